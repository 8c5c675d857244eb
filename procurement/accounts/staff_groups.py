"""The staff groups and their model permissions. Later apps extend GROUP_PERMISSIONS and add a
data migration that calls `sync_staff_groups` again."""

ACCOUNT_MANAGERS = "Account managers"
FINANCE = "Finance"
WAREHOUSE = "Warehouse"

GROUP_PERMISSIONS: dict[str, list[str]] = {
    ACCOUNT_MANAGERS: [
        "accounts.view_user",
        "accounts.view_company",
        "accounts.change_company",
        "accounts.view_membership",
        "accounts.view_invitation",
    ],
    FINANCE: [
        "accounts.view_company",
        "accounts.view_membership",
    ],
    WAREHOUSE: [
        "accounts.view_company",
    ],
}


def sync_staff_groups(apps, schema_editor=None) -> None:
    """Create the groups and grant them their permissions (idempotent; usable in migrations)."""
    grant_group_permissions(apps, GROUP_PERMISSIONS)


def grant_group_permissions(apps, mapping: dict[str, list[str]]) -> None:
    """Give each named staff group the listed "app_label.codename" permissions.

    Apps call this from a data migration of their own with their own mapping, so each app
    extends the groups without editing this module.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, perms in mapping.items():
        group, _created = group_model.objects.get_or_create(name=name)
        for dotted in perms:
            app_label, codename = dotted.split(".")
            permission = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                group.permissions.add(permission)
