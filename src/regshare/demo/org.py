"""Departments and people of the demo district 柴桑区 (九江市, 江西省)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from regshare.core import audit, workdays
from regshare.core.clock import today
from regshare.core.models import CalendarYear, Department, Role, User

from . import DEMO_PASSWORD, DemoContext

DIVISION = "360404"

# code suffix, name, username prefix, extra roles for that department's people
DEPARTMENTS = [
    ("FGJ", "区发改局", "fgj"),
    ("SCJG", "区市场监管局", "scjg"),
    ("XZSP", "区行政审批局", "xzsp"),
    ("SJJ", "区数据管理局", "sjj"),
    ("SFJ", "区司法局", "sfj"),
    ("SWJ", "区税务局", "swj"),
    ("STHJ", "区生态环境局", "sthj"),
    ("ZJJ", "区住建局", "zjj"),
    ("YJJ", "区应急管理局", "yjj"),
    ("RSJ", "区人社局", "rsj"),
    ("CGJ", "区城管局", "cgj"),
    ("GAJ", "公安分局", "gaj"),
]

# Every department has an admin, a data liaison, a reviewer and a leader.
STANDARD_ROLES = [
    ("admin", [Role.DEPARTMENT_ADMIN], "管理员"),
    ("liaison", [Role.DATA_LIAISON], "联络员"),
    ("reviewer", [Role.REVIEWER], "审核员"),
    ("leader", [Role.LEADER], "领导"),
]

# People with cross-cutting roles.
SPECIAL_USERS = [
    ("admin", "SJJ", [Role.PLATFORM_ADMIN], "平台管理员"),
    ("auditor", "SJJ", [Role.AUDITOR], "审计员"),
    ("fgj_analyst", "FGJ", [Role.ANALYST], "分析员"),
    ("sjj_analyst", "SJJ", [Role.ANALYST], "数据分析员"),
    ("scjg_inspector", "SCJG", [Role.INSPECTOR], "执法员甲"),
    ("scjg_inspector2", "SCJG", [Role.INSPECTOR], "执法员乙"),
    ("yjj_inspector", "YJJ", [Role.INSPECTOR], "执法员丙"),
]


def department_code(suffix: str) -> str:
    return f"{DIVISION}-{suffix}"


DEMO_CALENDAR_NOTE = "演示日历:仅周一至周五为工作日,非国务院公布的安排;正式使用前请导入并确认该年的放假和调休安排"


def confirm_demo_calendar(ctx: DemoContext, on: dt.date | None = None) -> list[int]:
    """Confirm, as plain Monday-to-Friday demo years, the years up to next year that the holiday library
    does not know, so the demo's deadlines can be computed in late December too. Marked as demo data on the
    calendar page; a real installation imports the State Council's schedule instead."""
    on = on or today()
    added = []
    for year in range(workdays.library_years()[1] + 1, on.year + 2):
        if not workdays.year_known(year):
            CalendarYear.objects.get_or_create(year=year, defaults={"note": DEMO_CALENDAR_NOTE})
            added.append(year)
    if added:
        ctx.echo(f"  {'、'.join(map(str, added))}年的放假安排尚未收录:按演示日历(仅周一至周五为工作日)计算期限")
    return added


@transaction.atomic
def run(ctx: DemoContext) -> None:
    confirm_demo_calendar(ctx)
    province, _ = Department.objects.update_or_create(
        code="360000", defaults={"name": "江西省", "level": Department.Level.PROVINCE, "division_code": "360000"})
    city, _ = Department.objects.update_or_create(
        code="360400", defaults={"name": "九江市", "level": Department.Level.CITY, "division_code": "360400",
                                 "parent": province})
    district, _ = Department.objects.update_or_create(
        code=DIVISION, defaults={"name": "柴桑区", "level": Department.Level.DISTRICT, "division_code": DIVISION,
                                 "parent": city})
    by_suffix = {}
    for suffix, name, _prefix in DEPARTMENTS:
        by_suffix[suffix], _ = Department.objects.update_or_create(
            code=department_code(suffix),
            defaults={"name": name, "short_name": name.removeprefix("区"), "level": Department.Level.DEPARTMENT,
                      "division_code": DIVISION, "parent": district, "is_data_bureau": suffix == "SJJ"})
    ctx.data["departments"] = by_suffix

    people = []
    for suffix, name, prefix in DEPARTMENTS:
        for role_key, roles, label in STANDARD_ROLES:
            people.append((f"{prefix}_{role_key}", suffix, roles, f"{name.removeprefix('区')}{label}"))
    people += [(u, s, r, label) for u, s, r, label in SPECIAL_USERS]
    for username, suffix, roles, full_name in people:
        department = by_suffix[suffix]
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username)
            user.set_password(DEMO_PASSWORD)
            created = True
        else:
            created = False
        user.full_name = full_name
        user.department = department
        user.roles = sorted(str(r) for r in roles)
        user.is_staff = Role.PLATFORM_ADMIN in user.roles
        user.is_superuser = Role.PLATFORM_ADMIN in user.roles
        user.save()
        if created:
            audit.record("demo", "user.create", user, {"department": department.code, "roles": user.roles})
        ctx.logins.append((username, department.name, "、".join(Role(r).label for r in user.roles)))
