"""Ledger transactions and supplier payables keep what their references read when written.

The backfill gives rows written before these columns the labels their objects read now (the
nearest record there is), in every language of the site, in SQL: one UPDATE ... FROM per
language, kind of reference and column, built from the same label expressions the pages use
(procurement.core.references.label_updates). A database without such rows (a new one) runs
nothing, so the label tables of the apps above need not exist yet.
"""

from django.db import migrations, models

from procurement.core import references

_LABELLED = {
    "LedgerTransaction": {"reference_labels": "reference"},
    "SupplierPayable": {
        "reference_labels": "reference",
        "order_labels": "order_reference",
        "supplier_labels": "supplier_reference",
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
                # The updates queued deferred foreign-key checks; PostgreSQL alters no table
                # with checks pending, so they run now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(_APPEND_ONLY.format("ENABLE"))


class Migration(migrations.Migration):

    dependencies = [
        ("payments", "0010_export_job_heartbeat"),
    ]

    operations = [
        migrations.AddField(
            model_name="ledgertransaction",
            name="reference_labels",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text=(
                    "What the reference read when the transaction was written (the order "
                    "number, the supplier's name), per language; empty when it named no object."
                ),
                verbose_name="reference labels",
            ),
        ),
        migrations.AddField(
            model_name="supplierpayable",
            name="reference_labels",
            field=models.JSONField(blank=True, default=dict, verbose_name="purchase order labels"),
        ),
        migrations.AddField(
            model_name="supplierpayable",
            name="order_labels",
            field=models.JSONField(blank=True, default=dict, verbose_name="order labels"),
        ),
        migrations.AddField(
            model_name="supplierpayable",
            name="supplier_labels",
            field=models.JSONField(blank=True, default=dict, verbose_name="supplier labels"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
