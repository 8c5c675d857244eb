from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("", views.wallet, name="wallet"),
    path("statement/", views.statement, name="statement"),
    path("statement.csv", views.statement_csv, name="statement-csv"),
    path("top-ups/new/", views.top_up_create, name="top-up-create"),
    path("top-ups/<int:pk>/", views.top_up_detail, name="top-up-detail"),
    path("sandbox/pay/<str:payment_id>/", views.sandbox_page, name="sandbox-page"),
    path("webhooks/<str:provider>/", views.webhook, name="webhook"),
]
