"""Warehouse staff see declarations, boxes and documents (they edit lines on the pack page, through the
pack permission); account managers keep the customs thresholds and see merchants' customs
profiles."""

from django.db import migrations

from procurement.accounts.staff_groups import grant_group_permissions

CUSTOMS_GROUP_PERMISSIONS = {
    "Warehouse": [
        "logistics.view_declarationline",
        "logistics.view_parcelbox",
        "logistics.view_parceldocument",
        "logistics.view_customsthreshold",
        "logistics.view_customsprofile",
    ],
    "Account managers": [
        "logistics.view_declarationline",
        "logistics.view_parcelbox",
        "logistics.view_parceldocument",
        "logistics.view_customsthreshold",
        "logistics.add_customsthreshold",
        "logistics.change_customsthreshold",
        "logistics.view_customsprofile",
        "catalog.view_hazardrule",
        "catalog.add_hazardrule",
        "catalog.change_hazardrule",
        "catalog.delete_hazardrule",
    ],
}


def grant(apps, schema_editor):
    grant_group_permissions(apps, CUSTOMS_GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("logistics", "0007_parcel_documents"),
        ("catalog", "0011_seed_category_hazard_rules"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
