"""Codes stay out of what people read: audit log and its filter, inbox, 403 page, status log."""

from __future__ import annotations

import datetime as dt
import io
import re

import time_machine
from django.utils import timezone
from openpyxl import load_workbook

from regshare.core import audit, labels
from regshare.core.models import AuditRecord


def test_every_action_written_by_the_code_has_a_chinese_label():
    # every literal action of an audit call in the source is registered (a new one must be added here)
    from pathlib import Path

    source = Path(labels.__file__).parents[1]
    written = set()
    for path in source.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r'audit_action="([a-z_.]+)"', text))
        written |= set(re.findall(r'audit\.record(?:_deferred|_row)?\([^,()]+, "([a-z_.]+)"', text))
    missing = sorted(a for a in written if labels.action_label(a) == a or "(" in labels.action_label(a))
    assert missing == []


def test_audit_log_shows_labels_names_and_readable_details(client_as, user_named):
    audit.record(user_named("scjg_liaison"), "login.success", None, {"ip": "10.0.0.8"})
    page = client_as("auditor").get("/system/audit/").content.decode()
    assert "登录成功" in page and "IP 地址" in page
    assert ">login.success<" not in page and '{"ip"' not in page
    full_name = user_named("scjg_liaison").full_name
    assert f"{full_name}(scjg_liaison)" in page


def test_audit_filter_by_chinese_label_and_by_date_range(client_as, user_named):
    with time_machine.travel(dt.datetime(2024, 3, 4, 9, tzinfo=timezone.get_current_timezone()), tick=False):
        audit.record(user_named("scjg_liaison"), "login.failed", None, {"username": "march"})
    audit.record(user_named("scjg_liaison"), "logout", None, {"username": "later-visit"})
    client = client_as("auditor")
    by_label = client.get("/system/audit/?label=登录失败").content.decode()
    assert "march" in by_label and "退出登录" not in by_label.split("<tbody>")[1]
    in_march = client.get("/system/audit/?start=2024-03-01&end=2024-03-31").content.decode()
    assert "march" in in_march and "later-visit" not in in_march.split("<tbody>")[1]
    bad = client.get("/system/audit/?start=3月")
    assert bad.status_code == 200 and "日期格式应为" in bad.content.decode()
    assert '<option value="login.failed"' in by_label  # the list of actions offers Chinese labels
    assert "登录失败</option>" in by_label


def test_audit_export_needs_a_date_range_and_is_itself_audited(client_as, user_named):
    client = client_as("auditor")
    refused = client.get("/system/audit/?export=xlsx", follow=True)
    assert "请先选择起止日期" in refused.content.decode()
    today = timezone.localdate().isoformat()
    audit.record(user_named("scjg_liaison"), "login.success", None, {"ip": "=HYPERLINK(\"x\")"})
    response = client.get(f"/system/audit/?export=xlsx&start={today}&end={today}")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("序号", "时间(北京时间)", "操作者", "动作")
    assert any(r[3] == "登录成功" for r in rows[1:])
    detail = next(r[6] for r in rows[1:] if r[3] == "登录成功")
    assert detail.startswith("IP 地址:=HYPERLINK")  # text, never a formula cell
    assert AuditRecord.objects.filter(action="export.xlsx", target="审计日志").exists()


def test_notifications_show_the_kind_in_chinese(client_as, user_named):
    from regshare.core import services

    services.notify_user(user_named("scjg_liaison"), "catalog.published", "目录 SCJG-0001 已发布")
    page = client_as("scjg_liaison").get("/notifications/").content.decode()
    assert "目录已发布" in page and "catalog.published" not in page


def test_the_403_page_names_the_permission_in_chinese(client_as):
    page = client_as("fgj_analyst").get("/exchange/queue/")
    assert page.status_code == 403
    text = page.content.decode()
    assert "审核共享申请" in text and "exchange.review" not in text


def test_status_log_shows_state_names_and_people(client_as):
    text = client_as("scjg_liaison").get("/catalog/r/SCJG-0001/").content.decode()
    log = text.split('data-testid="status-log"')[1].split("</table>")[0]
    assert "已发布" in log and "published" not in log and "user:" not in log and ">demo<" not in log


def test_ratio_and_unknown_codes():
    assert labels.ratio_percent(0.8889) == "88.9%" and labels.ratio_percent(None) == "—"
    assert labels.action_label("credit.something_new") == "信用(credit.something_new)"
    assert labels.target_label("resource:SCJG-0001") == "数据资源 SCJG-0001"


def test_tokens_show_scopes_in_chinese(client_as, principal_of_user):
    from regshare.core import services

    services.issue_token(principal_of_user("scjg_admin"), department=principal_of_user("scjg_admin").department,
                         name="审批系统", scopes=["exchange.access"], days_valid=30)
    page = client_as("scjg_admin").get("/system/tokens/").content.decode()
    row = page.split("审批系统")[1].split("</tr>")[0]
    assert "读取授权数据" in row and "exchange.access" not in row


def test_calendar_page_does_not_name_the_library(client_as):
    page = client_as("admin").get("/system/calendar/").content.decode()
    assert "chinesecalendar" not in page and "国务院办公厅" in page


def test_write_modes_and_link_methods_in_chinese():
    from regshare.credit.templatetags.credit_labels import link_method

    assert labels.write_mode_label("merge") == "增量合并" and labels.write_mode_label("replace") == "全量替换"
    assert link_method("exact") == "代码精确匹配" and link_method("probabilistic") == "概率匹配"


def test_demo_decision_numbers_carry_no_list_code():
    from regshare.demo.credit import list_decision_no

    number = list_decision_no("abnormal", 7, 1, dt.date(2025, 5, 6), "市监")
    assert "abnormal" not in number and number == "柴市监名〔2025〕异00007-1号"


def test_user_export(client_as):
    response = client_as("scjg_admin").get("/system/users/?export=xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("用户名", "姓名", "部门", "角色")
    assert {r[2] for r in rows[1:]} == {"区市场监管局"} or len({r[2] for r in rows[1:]}) == 1  # own department only
    assert "scjg_liaison" in {r[0] for r in rows[1:]} and "xzsp_liaison" not in {r[0] for r in rows[1:]}
