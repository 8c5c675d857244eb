from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from procurement.accounts.models import Company, Invitation, Membership, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name",)}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "spending_limit", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = [
        "legal_name",
        "country",
        "wallet_currency",
        "uses_sourcing",
        "uses_forwarding",
        "account_manager",
        "created_at",
    ]
    list_filter = [
        "wallet_currency",
        "uses_sourcing",
        "uses_forwarding",
        "country",
        "account_manager",
    ]
    search_fields = ["legal_name", "memberships__user__email"]
    autocomplete_fields = ["account_manager"]
    list_select_related = ["account_manager"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [MembershipInline]
    date_hierarchy = "created_at"


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "company", "role", "spending_limit", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "company__legal_name"]
    autocomplete_fields = ["user", "company"]
    list_select_related = ["user", "company"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "company", "role", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["role"]
    search_fields = ["email", "company__legal_name"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]
    readonly_fields = ["invited_by", "accepted_at", "accepted_by", "created_at"]
    exclude = ["token_hash"]

    def has_add_permission(self, request) -> bool:
        # Invitations carry a token mailed to the invitee; only the invite service makes them.
        return False
