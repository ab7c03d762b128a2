"""Demo security incident: one 一般 incident on the approved grant of SCJG-0001, reported, its channel cut,
handled and closed after review by a second person. Idempotent: keyed by a fixed demo number."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from regshare.core.models import User
from regshare.core.permissions import Principal

from . import DemoContext

DEMO_NUMBER = "AQDEMO0001"


def _who(username: str) -> Principal:
    return Principal.for_user(User.objects.get(username=username))


def run(ctx: DemoContext) -> None:
    from regshare.exchange.models import Application
    from regshare.incidents import services
    from regshare.incidents.models import Incident, ReportLevel

    if Incident.objects.filter(number=DEMO_NUMBER).exists():
        return
    application = Application.objects.filter(number="SQDEMO0001").select_related("grant").first()
    grant = getattr(application, "grant", None) if application is not None else None
    if grant is None:
        return
    # Three days ago, at fixed times of day, so the log reads like a real handling of one working morning.
    day = timezone.localtime() - dt.timedelta(days=3)
    at = lambda hour, minute: day.replace(hour=hour, minute=minute, second=0, microsecond=0)  # noqa: E731
    incident = services.register_incident(_who("scjg_liaison"), services.IncidentInput(
        title="授权接口在非工作时间被批量调用", grade="general",
        description="区市场监管局巡检调用记录时发现,区行政审批局业务系统令牌于凌晨连续查询市场主体登记信息约 2 万次,"
                    "超出窗口核验的正常用量,疑似令牌泄露。",
        discovered_at=at(8, 40), discoverer="区市场监管局数据联络员(调用记录巡检)", grant_ids=[grant.pk]), now=at(8, 50))
    Incident.objects.filter(pk=incident.pk).update(number=DEMO_NUMBER)
    incident.refresh_from_db()
    services.report(_who("scjg_liaison"), incident, ReportLevel.BUREAU, "区数据管理局",
                    "已电话并书面报告区数据管理局值班人员,附调用记录截图。", now=at(9, 5))
    services.cut_channel(_who("sjj_admin"), incident, "疑似令牌泄露,暂停系统调用", now=at(9, 15))
    services.report(_who("scjg_liaison"), incident, ReportLevel.UPWARD, "九江市市场监督管理局",
                    "按应急预案向市局报告事件概况和已采取的措施。", now=at(9, 30))
    services.add_step(_who("sjj_admin"), incident, "会同区行政审批局核查:令牌配置文件误传至测试服务器,已删除并更换服务器口令。",
                      at(11, 0), now=at(11, 5))
    services.add_step(_who("xzsp_liaison"), incident, "确认被查询数据未对外扩散,已销毁测试服务器上的缓存副本。",
                      at(15, 30), now=at(15, 35))
    services.close(_who("sjj_leader"), incident, "报告及时,通道已切断,原因已查明并整改;同意结案,使用部门可重新申请令牌。",
                   now=at(17, 0))
    ctx.echo(f"演示数据:安全事件 1 件(已结案 {DEMO_NUMBER})")
