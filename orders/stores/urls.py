from django.urls import path

from orders.stores import views

app_name = "stores"

urlpatterns = [
    path("", views.store_list, name="list"),
    path("connect/", views.store_connect, name="connect"),
    path("<int:pk>/", views.store_detail, name="detail"),
    path("<int:pk>/settings/", views.store_settings, name="settings"),
    path("<int:pk>/channels/", views.store_channels, name="channels"),
    path("<int:pk>/channels/remove/", views.store_channel_remove, name="channel-remove"),
    path("<int:pk>/pause/", views.store_pause, name="pause"),
    path("<int:pk>/resume/", views.store_resume, name="resume"),
    path("<int:pk>/remove/", views.store_remove, name="remove"),
    path("<int:pk>/credentials/", views.store_credentials, name="credentials"),
    path("<int:pk>/mapping/", views.store_mapping, name="mapping"),
    path("<int:pk>/publish/", views.product_publish, name="publish"),
    path("<int:pk>/demo-order/", views.store_demo_order, name="demo-order"),
    path("variants/<int:pk>/map/", views.variant_map, name="variant-map"),
    path("orders/<int:pk>/", views.store_order_detail, name="order-detail"),
    path("orders/<int:pk>/retry/", views.store_order_retry, name="order-retry"),
    path("orders/<int:pk>/decide/", views.store_order_decide, name="order-decide"),
    path("hooks/<str:token>/", views.webhook, name="webhook"),
]
