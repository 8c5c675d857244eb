from django.urls import path

from catalog import link_views, views

app_name = "catalog"

urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("p/<int:pk>/", views.product_detail, name="product"),
    path("import/", link_views.offer_import_view, name="offer-import"),
]
