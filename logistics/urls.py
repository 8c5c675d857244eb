from django.urls import path

from logistics import customs_views, views

app_name = "logistics"

urlpatterns = [
    path("stock/", views.stock_list, name="stock-list"),
    path("stock/<int:pk>/", views.stock_detail, name="stock-detail"),
    path("shipping/compare/", views.channel_compare, name="channel-compare"),
    path("addresses/", views.address_list, name="address-list"),
    path("addresses/new/", views.address_create, name="address-create"),
    path("addresses/<int:pk>/", views.address_edit, name="address-edit"),
    path("addresses/<int:pk>/remove/", views.address_archive, name="address-archive"),
    path("inbound/", views.inbound_list, name="inbound-list"),
    path("inbound/new/", views.inbound_create, name="inbound-create"),
    path("inbound/<int:pk>/cancel/", views.inbound_cancel, name="inbound-cancel"),
    path("parcels/", views.parcel_list, name="parcel-list"),
    path("parcels/new/", views.parcel_create, name="parcel-create"),
    path("parcels/<int:pk>/", views.parcel_detail, name="parcel-detail"),
    path(
        "parcels/<int:pk>/request-packing/",
        views.parcel_request_packing,
        name="parcel-request-packing",
    ),
    path("parcels/<int:pk>/cancel/", views.parcel_cancel, name="parcel-cancel"),
    path(
        "parcels/<int:pk>/declaration/",
        customs_views.parcel_declaration_edit,
        name="parcel-declaration-edit",
    ),
    path(
        "parcels/<int:pk>/declaration/currency/",
        customs_views.parcel_declaration_currency,
        name="parcel-declaration-currency",
    ),
    path(
        "parcels/<int:pk>/documents/<slug:kind>/",
        customs_views.parcel_document,
        name="parcel-document",
    ),
    path("customs/", customs_views.customs_profile, name="customs-profile"),
    path("tracking/webhook/<slug:provider>/", views.tracking_webhook, name="tracking-webhook"),
]
