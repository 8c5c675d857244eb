from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("p/<int:pk>/", views.product_detail, name="product"),
]
