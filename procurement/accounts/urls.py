from django.urls import path

from procurement.accounts import views, views_integrations

app_name = "accounts"

urlpatterns = [
    path("new/", views.company_create, name="company-create"),
    path("", views.company_detail, name="company"),
    path("switch/", views.company_switch, name="company-switch"),
    path("members/", views.member_list, name="members"),
    path("members/invite/", views.member_invite, name="member-invite"),
    path("members/<int:pk>/", views.member_edit, name="member-edit"),
    path("members/<int:pk>/remove/", views.member_remove, name="member-remove"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation-revoke"),
    path("invitations/accept/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("integrations/", views_integrations.integrations_index, name="integrations"),
    path("integrations/keys/", views_integrations.api_key_create, name="api-key-create"),
    path(
        "integrations/keys/<int:pk>/revoke/",
        views_integrations.api_key_revoke,
        name="api-key-revoke",
    ),
    path(
        "integrations/webhooks/",
        views_integrations.webhook_endpoint_create,
        name="webhook-endpoint-create",
    ),
    path(
        "integrations/webhooks/<int:pk>/toggle/",
        views_integrations.webhook_endpoint_toggle,
        name="webhook-endpoint-toggle",
    ),
    path(
        "integrations/webhooks/<int:pk>/test/",
        views_integrations.webhook_endpoint_test,
        name="webhook-endpoint-test",
    ),
]
