from datetime import UTC, datetime
from decimal import Decimal

from django.db import migrations

from procurement.accounts.staff_groups import grant_group_permissions

DEFAULT_TIERS = [
    (Decimal("0"), 300),
    (Decimal("10000"), 250),
    (Decimal("50000"), 200),
    (Decimal("200000"), 150),
]

PAYMENTS_GROUP_PERMISSIONS = {
    "Finance": [
        "payments.view_fxrate",
        "payments.add_fxrate",
        "payments.view_fxmarkup",
        "payments.add_fxmarkup",
        "payments.change_fxmarkup",
        "payments.view_fxquote",
        "payments.view_feeschedule",
        "payments.add_feeschedule",
        "payments.change_feeschedule",
        "payments.view_feetier",
        "payments.add_feetier",
        "payments.change_feetier",
        "payments.delete_feetier",
        "payments.view_account",
        "payments.view_ledgertransaction",
        "payments.view_posting",
        "payments.adjust_wallet",
        "payments.view_walletadjustment",
        "payments.add_walletadjustment",
        "payments.view_topup",
        "payments.view_topupevent",
        "payments.view_gatewayevent",
    ],
    "Account managers": [
        "payments.view_fxrate",
        "payments.view_feeschedule",
        "payments.view_feetier",
        "payments.view_topup",
        "payments.view_account",
        "payments.view_ledgertransaction",
    ],
}


def seed(apps, schema_editor):
    FeeSchedule = apps.get_model("payments", "FeeSchedule")
    FeeTier = apps.get_model("payments", "FeeTier")
    if not FeeSchedule.objects.exists():
        schedule = FeeSchedule.objects.create(
            effective_from=datetime(2020, 1, 1, tzinfo=UTC),
            minimum_fee_usd=Decimal("5.00"),
            note="Default schedule",
        )
        FeeTier.objects.bulk_create(
            FeeTier(schedule=schedule, volume_from_usd=floor, rate_bps=rate)
            for floor, rate in DEFAULT_TIERS
        )
    grant_group_permissions(apps, PAYMENTS_GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_postgres_ledger_guards"),
        ("accounts", "0002_staff_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
