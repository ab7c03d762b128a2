"""Demo provision: a few file loads with quality history for monthly file resources, and the monthly
reporting duty with one late provider, one zero report and one provider that has not reported.

SCJG-0001's population is loaded by the entities step through ``ingest.services.ingest_file``.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from regshare.catalog.models import Resource
from regshare.core.codes import id_card_check_char, uscc_check_char
from regshare.core.models import User
from regshare.ingest import services
from regshare.ingest.models import Load, MonthlyReport, QualityReport, ReportKind
from regshare.ingest.rules import enum_values

from . import DemoContext

# resource, liaison, [(months ago, rows, share of planted defects)]
LOADS = [
    ("SCJG-0009", "scjg_liaison", [(3, 160, 0.01), (2, 180, 0.03), (1, 200, 0.12), (1, 200, 0.005)]),
    ("SCJG-0010", "scjg_liaison", [(3, 120, 0.0), (2, 130, 0.02), (1, 140, 0.01)]),
    ("SWJ-0002", "swj_liaison", [(2, 60, 0.04), (1, 70, 0.0)]),
]
# resource -> how the story month was reported: ontime | zero | late | missing (XZSP-0005 stays missing)
LAST_MONTH = {"SCJG-0009": "ontime", "SCJG-0010": "zero", "SWJ-0002": "late"}
LATE_BY_DAYS = 3


def story_period(today: dt.date) -> dt.date:
    """The month whose reports tell the demo's story: last month once a report of it can already be late
    (its due date plus ``LATE_BY_DAYS`` has passed), else the month before, whose due date is behind us.

    On the first days of a month last month's report is not due yet, so a late report of it cannot exist.
    """
    last = services.previous_month(today)
    if services.due_date(last) + dt.timedelta(days=LATE_BY_DAYS) <= today:
        return last
    return services.previous_month(last)


def _uscc(n: int) -> str:
    body = f"91360404{n:09d}"[:17]
    return body + uscc_check_char(body)


def _id_card(n: int, birth: dt.date) -> str:
    body = f"360404{birth:%Y%m%d}{n % 1000:03d}"
    return body + id_card_check_char(body)


def _value(field, n: int, rng, faker, when: dt.date) -> str:
    if field.tag == "uscc":
        return _uscc(n)
    if field.tag == "id_card":
        return _id_card(n, dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(365 * 40)))
    if field.tag == "mobile":
        return f"13{rng.randrange(10 ** 9):09d}"
    if field.tag == "company_name":
        return f"柴桑区{faker.word()}{rng.choice(['商贸', '食品', '加油站', '超市'])}有限公司"
    if field.tag == "person_name":
        return faker.name()
    if field.tag == "address":
        return f"江西省九江市柴桑区{faker.street_name()}{rng.randrange(1, 300)}号"
    kind = field.data_type
    if kind == "date":
        day = when - dt.timedelta(days=rng.randrange(28))
        return rng.choice([day.isoformat(), f"{day.year}/{day.month}/{day.day}", f"{day:%Y年%m月%d日}"])
    if kind == "datetime":
        return f"{when - dt.timedelta(days=rng.randrange(28))} 09:{rng.randrange(60):02d}:00"
    if kind == "integer":
        return str(rng.randrange(1, 1000))
    if kind == "decimal":
        return f"{rng.uniform(1, 5000):.2f}"
    if kind == "boolean":
        return rng.choice(["是", "否"])
    if kind == "enum" and field.enumeration:
        return rng.choice(enum_values(field.enumeration))
    if field.is_key:
        return f"{field.code_name.upper()}-{when:%Y%m}-{n:05d}"
    return f"{field.name}{rng.randrange(1, 50)}"


def _plant_defect(row: dict, fields, rng) -> None:
    field = rng.choice(fields)
    if field.tag == "uscc":
        row[field.name] = row[field.name][:17] + ("0" if row[field.name][17] != "0" else "1")
    elif field.data_type == "date":
        row[field.name] = "2023-02-30"
    elif field.data_type == "enum":
        row[field.name] = "待定"
    elif field.tag == "id_card":
        row[field.name] = "36040420990101001X"
    else:
        key = next((f for f in fields if f.required or f.is_key), field)
        row[key.name] = ""


def _write(path: Path, fields, rows: list[dict]) -> Path:
    with open(path, "w", encoding="gbk", errors="replace", newline="") as fh:
        fh.write(f"{fields[0].resource.name}(报送)\n")  # a title row above the header, as departments send
        writer = csv.DictWriter(fh, fieldnames=[f.name for f in fields])
        writer.writeheader()
        writer.writerows(rows)
    return path


def _backdate(load: Load, when: dt.datetime) -> None:
    Load.objects.filter(pk=load.pk).update(created_at=when, started_at=when, finished_at=when)
    QualityReport.objects.filter(load=load).update(created_at=when)


def run(ctx: DemoContext) -> None:
    from faker import Faker

    rng = ctx.rng("ingest")
    faker = Faker("zh_CN")
    faker.seed_instance(ctx.seed)
    today = timezone.localdate()
    folder = Path(tempfile.mkdtemp(prefix="regshare-demo-ingest-"))
    serial = 500_000
    for code, username, plan in LOADS:
        resource = Resource.objects.filter(code=code).first()
        if resource is None:
            continue
        fields = list(resource.fields.order_by("position", "id"))
        actor = User.objects.filter(username=username).first() or "demo"
        if Load.objects.filter(resource=resource).exists() or not fields:
            continue  # idempotent: the demo loads happened already
        for number, (months_ago, count, defects) in enumerate(plan):
            period = today
            for _ in range(months_ago):
                period = services.previous_month(period)
            rows = []
            for _ in range(count):
                serial += 1
                rows.append({f.name: _value(f, serial, rng, faker, period) for f in fields})
            for row in rng.sample(rows, int(count * defects)):
                _plant_defect(row, fields, rng)
            path = _write(folder / f"{code}-{number}.csv", fields, rows)
            result = services.ingest_file(actor, path, resource, mode="replace")
            # Three days before the month's due date, but never in the future (the due date of last month's
            # data may be days ahead at the start of a month).
            day = min(services.due_date(services.month_start(period)) - dt.timedelta(days=3),
                      today - dt.timedelta(days=1))
            _backdate(result.load, timezone.make_aware(dt.datetime.combine(day, dt.time(9 + number))))
        ctx.echo(f"  {code}: {len(plan)} 次归集")
    _monthly_duty(today, story_period(today))


@transaction.atomic
def _monthly_duty(today: dt.date, story: dt.date) -> None:
    """Two earlier months reported on time; the story month as in ``LAST_MONTH``; XZSP-0005 never
    reported it."""
    periods = [services.previous_month(services.previous_month(story)), services.previous_month(story)]
    for code in LAST_MONTH:
        resource = Resource.objects.filter(code=code).first()
        if resource is None:
            continue
        for period in periods:
            due = services.due_date(period)
            MonthlyReport.objects.update_or_create(resource=resource, period=period, defaults={
                "kind": ReportKind.DATA, "due_date": due, "note": "演示:按时报送",
                "submitted_at": timezone.make_aware(dt.datetime.combine(due - dt.timedelta(days=2), dt.time(9)))})
        how = LAST_MONTH[code]
        due = services.due_date(story)
        day = due + dt.timedelta(days=LATE_BY_DAYS) if how == "late" else min(due - dt.timedelta(days=1), today)
        MonthlyReport.objects.update_or_create(resource=resource, period=story, defaults={
            "kind": ReportKind.ZERO if how == "zero" else ReportKind.DATA, "due_date": due,
            "note": {"ontime": "演示:按时报送", "zero": "上月无新增数据", "late": "演示:逾期报送"}[how],
            "submitted_at": timezone.make_aware(dt.datetime.combine(day, dt.time(15)))})
    MonthlyReport.objects.filter(resource__code="XZSP-0005", period=story).delete()
