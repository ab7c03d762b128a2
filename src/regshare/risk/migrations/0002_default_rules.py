from django.db import migrations

# code, name, indicator, threshold, level
DEFAULT_RULES = [
    ("R001", "近30日食品类投诉集中", "food_complaints_30d", 3, "C"),
    ("R002", "近90日投诉举报频繁", "complaints_90d", 5, "C"),
    ("R003", "近三年有严重失信处罚", "serious_penalties_3y", 1, "D"),
    ("R004", "近三年多次检查发现问题", "failed_inspections_3y", 2, "C"),
    ("R005", "同一住所集中登记", "address_cluster", 10, "C"),
    ("R006", "关联多个失信主体", "listed_links", 2, "C"),
    ("R007", "许可证过期未延续", "expired_licences", 1, "B"),
    ("R008", "法定代表人频繁变更", "legal_rep_changes_3y", 2, "B"),
]


def add_rules(apps, schema_editor):
    RiskRule = apps.get_model("risk", "RiskRule")
    for code, name, indicator, threshold, level in DEFAULT_RULES:
        RiskRule.objects.get_or_create(code=code, defaults={"name": name, "indicator": indicator,
                                                            "threshold": threshold, "level": level})


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]
    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
