from django.urls import path

from orders import views
from orders.views import alibaba as alibaba_views
from orders.views.documents import order_confirmation_pdf

app_name = "orders"

urlpatterns = [
    path("alibaba/messages/", alibaba_views.alibaba_message, name="alibaba-message"),
    path("", views.order_list, name="order-list"),
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart-add"),
    path("cart/count/", views.cart_count, name="cart-count"),
    path("cart/quick/", views.quick_order, name="quick-order"),
    path("cart/lines/<int:pk>/", views.cart_line_update, name="cart-line-update"),
    path("cart/lines/<int:pk>/remove/", views.cart_line_remove, name="cart-line-remove"),
    path("checkout/", views.checkout, name="checkout"),
    path("approvals/", views.approval_list, name="approval-list"),
    path("<int:pk>/", views.order_detail, name="order-detail"),
    path("<int:pk>/pay/", views.order_pay, name="order-pay"),
    path("<int:pk>/quote/", views.order_quote_refresh, name="order-quote-refresh"),
    path("<int:pk>/cancel/", views.order_cancel, name="order-cancel"),
    path("<int:pk>/confirmation/", views.order_confirmation, name="order-confirmation"),
    path("<int:pk>/confirmation.pdf", order_confirmation_pdf, name="order-confirmation-pdf"),
    path("<int:pk>/messages/", views.order_message, name="order-message"),
    path(
        "<int:pk>/approve/",
        views.order_decide,
        {"decision": "approve"},
        name="order-approve",
    ),
    path("<int:pk>/reject/", views.order_decide, {"decision": "reject"}, name="order-reject"),
    path(
        "purchase-orders/<int:pk>/accept-price/",
        views.purchase_order_accept_price,
        name="po-accept-price",
    ),
    path("purchase-orders/<int:pk>/cancel/", views.purchase_order_cancel, name="po-cancel"),
    path(
        "purchase-orders/lines/<int:pk>/<slug:decision>/",
        views.purchase_order_line_decide,
        name="po-line-decide",
    ),
    path("inspection-photos/<int:pk>/", views.inspection_photo, name="inspection-photo"),
    path(
        "inspection-photos/<int:pk>/thumbnail/",
        views.inspection_photo_thumbnail,
        name="inspection-photo-thumbnail",
    ),
    path("sourcing/", views.sourcing_list, name="sourcing-list"),
    path("sourcing/new/", views.sourcing_create, name="sourcing-create"),
    path("sourcing/<int:pk>/", views.sourcing_detail, name="sourcing-detail"),
    path("sourcing/<int:pk>/messages/", views.sourcing_message, name="sourcing-message"),
    path(
        "sourcing/quotes/<int:pk>/accept/",
        views.sourcing_quote_accept,
        name="sourcing-quote-accept",
    ),
    path(
        "sourcing/quotes/<int:pk>/decline/",
        views.sourcing_quote_decline,
        name="sourcing-quote-decline",
    ),
]
