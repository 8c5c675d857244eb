"""Seed the 1688 category hazard rules with the categories carriers ask about most: words of
1688's own category names, the hazards they mean for air transport (IATA lithium battery
guidance; carriers' prohibited and restricted goods lists), and why."""

from django.db import migrations

RULES = [
    ("移动电源", ["battery_standalone"], "Power banks are lithium batteries on their own (UN3480)."),
    ("充电宝", ["battery_standalone"], "Power banks are lithium batteries on their own (UN3480)."),
    ("电池", ["battery_standalone"], "Batteries and cells sold as such."),
    ("蓝牙耳机", ["battery_built_in"], "Wireless earbuds hold a lithium battery (UN3481)."),
    ("智能手表", ["battery_built_in"], "Smart watches hold a lithium battery (UN3481)."),
    ("电动牙刷", ["battery_built_in"], "Electric toothbrushes hold a rechargeable battery."),
    ("香水", ["cosmetics", "liquids"], "Perfume is a flammable liquid (UN1266)."),
    ("指甲油", ["cosmetics", "liquids"], "Nail polish is a flammable liquid (UN1263)."),
    ("喷雾", ["aerosols"], "Sprays are aerosols under pressure (UN1950)."),
    ("磁铁", ["magnets"], "Strong magnets disturb aircraft instruments."),
    ("刀具", ["knives"], "Knives are refused by postal channels and many destinations."),
    ("散粉", ["cosmetics", "powders"], "Loose powder is checked by air carriers."),
    ("茶叶", ["food"], "Tea is food: many destinations need a declaration."),
]


def seed(apps, schema_editor):
    HazardRule = apps.get_model("catalog", "HazardRule")
    for word, hazards, note in RULES:
        HazardRule.objects.get_or_create(
            name_contains=word, source_category_id="", defaults={"hazards": hazards, "note": note}
        )


def unseed(apps, schema_editor):
    HazardRule = apps.get_model("catalog", "HazardRule")
    HazardRule.objects.filter(name_contains__in=[word for word, _h, _n in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0010_product_hazards_origin_and_category_hazard_rules")]

    operations = [migrations.RunPython(seed, unseed)]
