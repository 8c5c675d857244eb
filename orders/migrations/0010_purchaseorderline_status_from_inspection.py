"""Carry every line's (inspection, resolution) into its status, and back.

    pending,  ""        -> pending
    pending,  replaced  -> replacing while the replacement is not counted, else pending
    passed,   ""        -> passed
    failed,   ""        -> failed
    failed,   accepted  -> accepted
    failed,   returned  -> returned
    failed,   replaced  -> replacing (the purchase order still waits for other decisions)
"""

from django.db import migrations

FORWARD = [
    # (inspection, resolution, received_quantity is null or None for either) -> status
    ("passed", None, None, "passed"),
    ("failed", "", None, "failed"),
    ("failed", "accepted", None, "accepted"),
    ("failed", "returned", None, "returned"),
    ("failed", "replaced", None, "replacing"),
    ("pending", "replaced", True, "replacing"),
]

BACKWARD = [
    # status, received_quantity is null or None for either -> (inspection, resolution)
    ("passed", None, ("passed", "")),
    ("failed", None, ("failed", "")),
    ("accepted", None, ("failed", "accepted")),
    ("returned", None, ("failed", "returned")),
    ("replacing", True, ("pending", "replaced")),
    ("replacing", False, ("failed", "replaced")),
    ("pending", None, ("pending", "")),
]


def forward(apps, schema_editor):
    Line = apps.get_model("orders", "PurchaseOrderLine")
    for inspection, resolution, uncounted, status in FORWARD:
        lines = Line.objects.filter(inspection=inspection)
        if resolution is not None:
            lines = lines.filter(resolution=resolution)
        if uncounted is not None:
            lines = lines.filter(received_quantity__isnull=uncounted)
        lines.update(status=status)


def backward(apps, schema_editor):
    Line = apps.get_model("orders", "PurchaseOrderLine")
    for status, uncounted, (inspection, resolution) in BACKWARD:
        lines = Line.objects.filter(status=status)
        if uncounted is not None:
            lines = lines.filter(received_quantity__isnull=uncounted)
        lines.update(inspection=inspection, resolution=resolution)


class Migration(migrations.Migration):
    dependencies = [("orders", "0009_purchaseorderline_status_and_events")]

    operations = [migrations.RunPython(forward, backward)]
