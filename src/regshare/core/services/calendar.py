"""The working-day calendar: overrides, declared years and the import of the State Council's schedule."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from .. import audit, workdays
from ..models import CalendarYear, Notification, Role, User, WorkdayOverride
from ..permissions import Principal, require
from .notifications import notify_user


def set_workday_override(actor: Principal, day: dt.date, is_workday: bool, note: str = "") -> WorkdayOverride:
    require(actor, "calendar.edit")
    with transaction.atomic():
        override, _ = WorkdayOverride.objects.update_or_create(
            date=day, defaults={"is_workday": is_workday, "note": note[:200], "entered_by": actor.user})
        audit.record(actor, "calendar.override", override, {"date": day, "is_workday": is_workday, "note": note})
    return override


def delete_workday_override(actor: Principal, override: WorkdayOverride) -> None:
    require(actor, "calendar.edit")
    with transaction.atomic():
        audit.record(actor, "calendar.override.delete", override, {"date": override.date})
        override.delete()


def declare_calendar_year(actor: Principal, year: int, note: str = "") -> CalendarYear:
    """Confirm that a year's holidays and 调休 have been entered by hand, so deadlines may use it."""
    require(actor, "calendar.edit")
    check_calendar_year_entered(year)
    with transaction.atomic():
        entry, _ = CalendarYear.objects.update_or_create(year=year, defaults={"note": note[:200],
                                                                               "entered_by": actor.user})
        audit.record(actor, "calendar.year", entry, {"year": year, "note": note})
    return entry


def check_calendar_year_entered(year: int) -> None:
    """Refuse to confirm a year that is out of range or has no holidays entered (page and command line alike)."""
    if not 2000 <= year <= 2100:
        raise ValidationError("年份须在 2000 到 2100 之间", code="bad_year")
    # Every year has statutory holidays on weekdays (元旦 at least); confirming a year with none entered
    # would silently make it a plain Monday-to-Friday year.
    if not workdays.in_library(year) and not WorkdayOverride.objects.filter(
            date__year=year, is_workday=False).exists():
        raise ValidationError(f"尚未录入{year}年的放假日期,不能确认该年。请先导入国务院办公厅公布的{year}年"
                              "放假和调休安排并核对。", code="calendar_year_empty")


CALENDAR_KINDS = {"放假": False, "休息": False, "休息日": False, "调休上班": True, "上班": True, "工作日": True}
CALENDAR_FILE_MAX_BYTES = 1024 * 1024
CALENDAR_MAX_LINES = 366


@dataclass
class ScheduleLine:
    date: dt.date
    is_workday: bool
    note: str = ""


def _calendar_rows(content: bytes, filename: str) -> list[list[str]]:
    if len(content) > CALENDAR_FILE_MAX_BYTES:
        raise ValidationError("文件超过 1 MB,放假安排只需日期和类型两列", code="file_too_large")
    if filename.lower().endswith((".xlsx", ".xls")):
        from python_calamine import CalamineWorkbook

        try:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
            rows = sheet.to_python(skip_empty_area=True, nrows=CALENDAR_MAX_LINES + 2)
        except Exception as exc:  # calamine raises its own error types for every unreadable file
            raise ValidationError("无法读取该 Excel 文件,请上传 .xlsx 或 CSV 文件", code="unreadable_file") from exc
        return [[c.isoformat()[:10] if isinstance(c, dt.date) else str(c).strip() for c in row] for row in rows]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError("无法识别文件编码,请保存为 UTF-8 或 GBK 编码的 CSV", code="unreadable_file")
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def parse_calendar_schedule(year: int, content: bytes, filename: str = "schedule.csv") -> list[ScheduleLine]:
    """Lines ``日期,类型[,说明]`` (类型 放假 or 调休上班) of one year, from CSV text or an Excel sheet.

    All or nothing: any bad line refuses the whole file with every problem listed by line number.
    """
    lines: list[ScheduleLine] = []
    problems: list[str] = []
    seen: dict[dt.date, int] = {}
    for number, row in enumerate(_calendar_rows(content, filename), start=1):
        if not any(row):
            continue
        if number == 1 and row[0] in ("日期", "date"):
            continue
        if len(row) < 2:
            problems.append(f"第 {number} 行:应为「日期,类型」两列")
            continue
        try:
            parts = [int(p) for p in row[0].replace("/", "-").split(" ")[0].split("-")]
            day = dt.date(*parts) if len(parts) == 3 else None
        except ValueError:
            day = None
        if day is None:
            problems.append(f"第 {number} 行:日期「{row[0][:20]}」不是 YYYY-MM-DD 格式")
            continue
        if day.year != year:
            problems.append(f"第 {number} 行:{day} 不属于{year}年")
            continue
        if row[1] not in CALENDAR_KINDS:
            problems.append(f"第 {number} 行:类型「{row[1][:20]}」应为「放假」或「调休上班」")
            continue
        if day in seen:
            problems.append(f"第 {number} 行:{day} 与第 {seen[day]} 行重复")
            continue
        seen[day] = number
        lines.append(ScheduleLine(day, CALENDAR_KINDS[row[1]], (row[2] if len(row) > 2 else "")[:200]))
    if len(lines) > CALENDAR_MAX_LINES:
        problems.insert(0, f"日期超过 {CALENDAR_MAX_LINES} 行")
    if not lines and not problems:
        problems.append("文件中没有日期")
    if problems:
        shown = problems[:20] + ([f"……另有 {len(problems) - 20} 处问题"] if len(problems) > 20 else [])
        raise ValidationError("放假安排未导入:" + ";".join(shown), code="bad_schedule")
    return lines


def import_calendar_schedule(actor: Principal, year: int, lines: list[ScheduleLine], note: str = "") -> int:
    """Replace ``year``'s 放假/调休 dates with the published schedule; a draft until the year is confirmed."""
    require(actor, "calendar.edit")
    if workdays.in_library(year):
        raise ValidationError(f"{year}年的安排已由 chinesecalendar 提供;个别日期请用「新增调整」修改",
                              code="calendar_year_in_library")
    if CalendarYear.objects.filter(year=year).exists():
        raise ValidationError(f"{year}年已确认,期限正在使用它;个别日期请用「新增调整」修改",
                              code="calendar_year_confirmed")
    with transaction.atomic():
        WorkdayOverride.objects.filter(date__year=year).delete()
        WorkdayOverride.objects.bulk_create([
            WorkdayOverride(date=line.date, is_workday=line.is_workday, entered_by=actor.user,
                            note=line.note or ("调休上班" if line.is_workday else "放假") + (f"({note})" if note else ""))
            for line in lines])
        audit.record(actor, "calendar.import", f"year:{year}", {
            "year": year, "note": note, "holidays": sum(not line.is_workday for line in lines),
            "workdays": sum(line.is_workday for line in lines)})
    return len(lines)


def warn_unconfirmed_next_year(today: dt.date | None = None) -> int | None:
    """From 1 November, tell every platform admin once that next year's schedule is not confirmed.

    Returns the year warned about, or None when there was nothing (new) to say.
    """
    today = today or timezone.localdate()
    year = workdays.unconfirmed_next_year(today)
    kind = f"calendar.unconfirmed.{year}"
    if year is None or Notification.objects.filter(kind=kind).exists():
        return None
    admins = [u for u in User.objects.filter(is_active=True) if Role.PLATFORM_ADMIN in u.role_set]
    with transaction.atomic():
        for admin in admins:
            notify_user(admin, kind, f"{year}年节假日安排尚未确认,{year}年的期限将无法计算",
                        f"chinesecalendar 尚未收录{year}年。请在国务院办公厅公布{year}年部分节假日安排后,"
                        f"在「工作日日历」页面导入放假和调休日期,核对后确认该年;"
                        f"确认前,凡落在{year}年的期限都会被拒绝计算。", _calendar_link())
        audit.record("system", "calendar.unconfirmed_warning", f"year:{year}", {"admins": len(admins)})
    return year


def _calendar_link() -> str:
    try:
        return reverse("core:calendar")
    except NoReverseMatch:  # URLs not loaded (a command run without the web layer)
        return ""
