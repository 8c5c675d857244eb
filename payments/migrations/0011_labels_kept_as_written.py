"""Ledger transactions and supplier payables keep what their references read when written.

The backfill gives rows written before these columns the labels their objects read now (the
nearest record there is), in SQL: one UPDATE ... FROM per kind of reference and column, built
from the same label expressions the pages use (procurement.core.references.label_updates). A
database without such rows (a new one) runs nothing, so the label tables of the apps above need
not exist yet.
"""

from django.db import migrations, models

from procurement.core import references

_LABELLED = {
    "LedgerTransaction": {"reference_label": "reference"},
    "SupplierPayable": {
        "reference_label": "reference",
        "order_label": "order_reference",
        "supplier_label": "supplier_reference",
    },
}


# On PostgreSQL ledger transactions are append-only (0003's trigger); filling the column added
# here is the one change let through, inside this migration's transaction.
_APPEND_ONLY = "ALTER TABLE payments_ledgertransaction {} TRIGGER payments_ledgertransaction_append_only"


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    guarded = connection.vendor == "postgresql"
    for name, columns in _LABELLED.items():
        model = apps.get_model("payments", name)
        if not model.objects.using(connection.alias).exists():
            continue
        with connection.cursor() as cursor:
            if guarded and name == "LedgerTransaction":
                cursor.execute(_APPEND_ONLY.format("DISABLE"))
            for label_column, reference_column in columns.items():
                statements = references.label_updates(
                    model._meta.db_table,
                    label_column=label_column,
                    reference_column=reference_column,
                )
                for sql, params in statements:
                    cursor.execute(sql, params)
            if guarded and name == "LedgerTransaction":
                cursor.execute(_APPEND_ONLY.format("ENABLE"))


class Migration(migrations.Migration):

    dependencies = [
        ("payments", "0010_export_job_heartbeat"),
    ]

    operations = [
        migrations.AddField(
            model_name="ledgertransaction",
            name="reference_label",
            field=models.TextField(
                blank=True,
                default="",
                help_text=(
                    "What the reference read when the transaction was written (the order "
                    "number, the supplier's name); empty when it named no object."
                ),
                verbose_name="reference label",
            ),
        ),
        migrations.AddField(
            model_name="supplierpayable",
            name="reference_label",
            field=models.TextField(blank=True, default="", verbose_name="purchase order label"),
        ),
        migrations.AddField(
            model_name="supplierpayable",
            name="order_label",
            field=models.TextField(blank=True, default="", verbose_name="order label"),
        ),
        migrations.AddField(
            model_name="supplierpayable",
            name="supplier_label",
            field=models.TextField(blank=True, default="", verbose_name="supplier label"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
