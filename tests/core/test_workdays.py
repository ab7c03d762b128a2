import datetime as dt

import pytest

from regshare.core import workdays
from regshare.core.models import CalendarYear, WorkdayOverride

D = dt.date


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2026, 9, 30), 2, D(2026, 10, 9)),  # National Day week is skipped
        (D(2026, 9, 30), 0, D(2026, 9, 30)),
        (D(2026, 11, 20), 1, D(2026, 11, 23)),  # Friday + 1 = Monday
        (D(2026, 2, 13), 1, D(2026, 2, 14)),  # 2026-02-14 is an adjusted Saturday workday (调休)
    ],
)
def test_add_workdays(db, start, n, expected):
    assert workdays.add_workdays(start, n) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [(D(2026, 10, 10), True), (D(2026, 10, 1), False), (D(2026, 11, 21), False), (D(2026, 11, 23), True)],
)
def test_is_workday(db, day, expected):
    assert workdays.is_workday(day) is expected


def test_workdays_between_is_inverse_of_add(db):
    start = D(2026, 9, 25)
    for n in range(0, 15):
        assert workdays.workdays_between(start, workdays.add_workdays(start, n)) == n
    assert workdays.workdays_between(D(2026, 10, 9), D(2026, 9, 30)) == -2


def test_override_wins_over_library(db):
    WorkdayOverride.objects.create(date=D(2026, 11, 23), is_workday=False, note="防汛临时休息")
    WorkdayOverride.objects.create(date=D(2026, 11, 22), is_workday=True, note="调休上班")
    assert not workdays.is_workday(D(2026, 11, 23))
    assert workdays.is_workday(D(2026, 11, 22))
    assert workdays.add_workdays(D(2026, 11, 21), 1) == D(2026, 11, 22)


def test_unknown_year_raises_with_year_and_remedy(unconfirmed_years):
    with pytest.raises(workdays.CalendarYearUnknown) as info:
        workdays.add_workdays(D(2026, 12, 28), 10)
    assert info.value.year == 2027
    assert "2027年" in str(info.value) and "导入" in str(info.value) and "确认" in str(info.value)


def test_declared_year_uses_weekdays_plus_overrides(unconfirmed_years):
    CalendarYear.objects.create(year=2027, note="国办发明电〔2026〕X号")
    WorkdayOverride.objects.create(date=D(2027, 1, 1), is_workday=False, note="元旦")
    assert not workdays.is_workday(D(2027, 1, 1))
    assert workdays.is_workday(D(2027, 1, 4))
    assert workdays.add_workdays(D(2026, 12, 31), 1) == D(2027, 1, 4)


# --- years the library does not know: one clear refusal, a draft, a confirmation, a warning -------------

SCHEDULE_2027 = "日期,类型,说明\n2027-01-01,放假,元旦\n2027-02-08,放假,春节\n2027-02-20,调休上班,春节调休\n"


def test_imported_dates_of_an_unconfirmed_year_are_only_a_draft(unconfirmed_years):
    WorkdayOverride.objects.create(date=D(2027, 1, 4), is_workday=True, note="导入")
    with pytest.raises(workdays.CalendarYearUnknown):
        workdays.is_workday(D(2027, 1, 4))


def test_api_deadline_in_an_unconfirmed_year_is_a_400_naming_the_year(unconfirmed_years, client_as, time_machine):
    from regshare.catalog.models import UpdateObligation

    time_machine.move_to(dt.datetime(2026, 12, 30, 10, tzinfo=dt.UTC))
    client = client_as("scjg_liaison")
    response = client.post("/api/v1/catalog/obligations", {"reason": "duty", "description": "职能调整",
                                                            "changed_on": "2026-12-28"}, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "calendar_year_unknown" and body["year"] == 2027
    assert "2027年" in body["message"] and "工作日日历" in body["message"] and "确认" in body["message"]
    assert not UpdateObligation.objects.filter(changed_on=D(2026, 12, 28)).exists()


def test_a_page_reaching_an_unconfirmed_year_answers_400_in_chinese(demo, rf, user_named):
    from regshare.core.middleware import CalendarYearUnknownMiddleware

    request = rf.post("/anything/")
    request.user = user_named("scjg_liaison")
    middleware = CalendarYearUnknownMiddleware(lambda r: None)
    response = middleware.process_exception(request, workdays.CalendarYearUnknown(2027))
    assert response.status_code == 400
    text = response.content.decode()
    assert "2027年的法定节假日和调休安排尚未确认" in text and "工作日日历" in text
    assert middleware.process_exception(request, ValueError("other")) is None


def _import(client, content: bytes | str, name: str = "2027.csv", year: int = 2027):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post("/system/calendar/", {"s-year": year, "s-note": "国办发明电〔2026〕号",
                                             "s-file": SimpleUploadedFile(name, data)})


def test_admin_imports_next_years_schedule_reviews_the_draft_and_confirms_it(unconfirmed_years, client_as):
    from regshare.core.models import AuditRecord

    client = client_as("admin")
    assert _import(client, SCHEDULE_2027).status_code == 302
    assert WorkdayOverride.objects.filter(date__year=2027).count() == 3
    page = client.get("/system/calendar/").content.decode()
    assert "待确认的年份" in page and "2027年:放假 2 天,调休上班 1 天" in page
    with pytest.raises(workdays.CalendarYearUnknown):
        workdays.add_workdays(D(2026, 12, 31), 1)  # still a draft

    assert client.post("/system/calendar/", {"y-year": 2027, "y-note": "国办发明电〔2026〕号"}).status_code == 302
    assert workdays.add_workdays(D(2026, 12, 31), 1) == D(2027, 1, 4)  # 1 January is a holiday
    assert not workdays.is_workday(D(2027, 2, 8))
    assert workdays.is_workday(D(2027, 2, 20))  # a Saturday worked in exchange (调休)
    actions = set(AuditRecord.objects.filter(action__startswith="calendar.").values_list("action", flat=True))
    assert {"calendar.import", "calendar.year"} <= actions
    # once confirmed, a new import could silently change running deadlines
    assert "已确认" in _import(client, SCHEDULE_2027).content.decode()


def test_schedule_from_an_excel_sheet(unconfirmed_years, client_as):
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["日期", "类型"])
    sheet.append([dt.datetime(2027, 10, 1), "放假"])
    sheet.append(["2027/10/9", "调休上班"])
    buffer = io.BytesIO()
    book.save(buffer)
    assert _import(client_as("admin"), buffer.getvalue(), "2027.xlsx").status_code == 302
    assert dict(WorkdayOverride.objects.filter(date__year=2027).values_list("date", "is_workday")) == {
        D(2027, 10, 1): False, D(2027, 10, 9): True}


def test_a_bad_schedule_is_refused_line_by_line_and_changes_nothing(unconfirmed_years, client_as):
    bad = "2027-01-01,放假\n2027-13-01,放假\n2026-10-01,放假\n2027-02-08,休假\n2027-01-01,调休上班\n"
    page = _import(client_as("admin"), bad).content.decode()
    assert "放假安排未导入" in page
    for expected in ("第 2 行", "第 3 行:2026-10-01 不属于2027年", "第 4 行:类型「休假」", "第 5 行:2027-01-01 与第 1 行重复"):
        assert expected in page
    assert not WorkdayOverride.objects.filter(date__year=2027).exists()


def test_a_year_cannot_be_confirmed_without_holidays_nor_imported_over_the_library(unconfirmed_years, client_as):
    client = client_as("admin")
    page = client.post("/system/calendar/", {"y-year": 2027, "y-note": ""}).content.decode()
    assert "尚未录入2027年的放假日期" in page and not CalendarYear.objects.exists()
    page = _import(client, SCHEDULE_2027.replace("2027", "2026"), year=2026).content.decode()
    assert "chinesecalendar" in page and not WorkdayOverride.objects.exists()


def test_only_the_platform_admin_imports_a_schedule(unconfirmed_years, client_as):
    assert _import(client_as("scjg_admin"), SCHEDULE_2027).status_code == 403
    assert not WorkdayOverride.objects.exists()


def test_from_1_november_the_admin_is_warned_once_until_next_year_is_confirmed(unconfirmed_years, client_as,
                                                                               time_machine,
                                                                               principal_of_user):
    from regshare.core import services
    from regshare.core.models import Notification

    time_machine.move_to(dt.datetime(2026, 10, 31, 10, tzinfo=dt.UTC))
    client = client_as("admin")
    assert "calendar-warning" not in client.get("/").content.decode()
    assert services.warn_unconfirmed_next_year() is None

    time_machine.move_to(dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC))
    client = client_as("admin")  # the session of the day before has expired
    assert "2027年节假日安排尚未确认" in client.get("/").content.decode()
    assert services.warn_unconfirmed_next_year() == 2027
    assert services.warn_unconfirmed_next_year() is None  # once
    notes = Notification.objects.filter(kind="calendar.unconfirmed.2027")
    assert [n.user.username for n in notes] == ["admin"] and "导入" in notes[0].body
    assert "calendar-warning" not in client_as("scjg_liaison").get("/").content.decode()

    services.import_calendar_schedule(principal_of_user("admin"), 2027,
                                      services.parse_calendar_schedule(2027, SCHEDULE_2027.encode()))
    services.declare_calendar_year(principal_of_user("admin"), 2027, "国办发明电〔2026〕号")
    assert "calendar-warning" not in client_as("admin").get("/").content.decode()


@pytest.mark.date_sensitive
def test_marked_tests_run_on_each_day_given_to_make_test_dates(request):
    from django.utils import timezone

    day = request.node.callspec.params.get("_travel_to_test_today") if hasattr(request.node, "callspec") else None
    if day is None:
        pytest.skip("runs with --today / REGSHARE_TEST_TODAY (make test-dates)")
    assert timezone.localdate() == day and dt.date.today() == day
