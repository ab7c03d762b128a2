"""The Chinese words a person reads for the platform's codes that are not a model's choices: audit
actions, notification kinds, permissions, actors, channels and the keys of an audit record's detail.

Model states and kinds come from their ``choices``; everything else a page shows comes from here, so a
code never reaches a page (the audit log, its filter and its export, the inbox, the 403 page, the usage
page). Higher apps add their own words with ``register_actions`` / ``register_notification_kinds`` in
their ``AppConfig.ready()``; a code nobody registered is shown by the label of its longest registered
prefix (``credit.repair_applied`` → 信用) followed by the code, never as a bare code alone.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

ACTIONS: dict[str, str] = {
    # sign-in and people
    "login.success": "登录成功", "login.failed": "登录失败", "login.locked": "账号锁定", "logout": "退出登录",
    "user.create": "创建用户", "user.roles": "调整用户角色", "user.unlock": "解除登录锁定",
    "token.issue": "签发接口令牌", "token.revoke": "吊销接口令牌", "token.use": "使用接口令牌",
    "token.rejected": "接口令牌被拒绝", "admin.change": "后台修改", "admin.delete": "后台删除",
    "export.xlsx": "导出 Excel",
    # working-day calendar
    "calendar.import": "导入节假日安排", "calendar.override": "调整工作日", "calendar.override.delete": "删除工作日调整",
    "calendar.unconfirmed_warning": "节假日未确认提醒", "calendar.year": "确认年度节假日",
    # catalog
    "catalog": "数据目录",
    "catalog.resource.create": "新建数据资源", "catalog.resource.update": "修改数据资源",
    "catalog.resource.delete": "删除数据资源", "catalog.resource.submit": "提交目录审核",
    "catalog.resource.publish": "发布数据资源", "catalog.resource.reject": "退回目录",
    "catalog.resource.offline": "下线数据资源", "catalog.resource.retire": "停用数据资源",
    "catalog.demand.create": "登记数据需求", "catalog.demand.match": "匹配数据需求", "catalog.demand.close": "关闭数据需求",
    "catalog.obligation.create": "登记目录更新义务", "catalog.obligation.fulfil": "完成目录更新",
    "catalog.obligation.overdue": "目录更新逾期", "catalog.export.share_list": "导出共享清单",
    "catalog.export.demand_list": "导出需求清单", "catalog.export.review_form": "导出共享审核表",
    "catalog.import.share_list": "导入共享清单", "catalog.import.demand_list": "导入需求清单",
    # sharing
    "exchange": "数据共享",
    "exchange.access": "读取共享数据", "exchange.access.query": "查询共享数据", "exchange.access.download": "下载共享数据",
    "exchange.access.proxy": "接口代理调用", "exchange.access.push": "推送增量数据", "exchange.access.offline": "生成离线共享包",
    "exchange.access.entity_page": "查看市场主体档案", "exchange.access.report": "生成信用报告",
    "exchange.application.submit": "提交共享申请", "exchange.application.review": "审核共享申请",
    "exchange.application.withdraw": "撤回共享申请",
    "exchange.application.approval_read": "查阅领导批准附件", "exchange.application.negotiate": "发起协商",
    "exchange.application.negotiation_result": "登记协商结果", "exchange.application.coordinate": "协调解决",
    "exchange.grant.create": "开通共享授权", "exchange.grant.dedicated": "开通专用资源",
    "exchange.grant.revoke": "收回共享授权", "exchange.grant.cut": "切断共享通道", "exchange.grant.expire": "授权到期",
    "exchange.grant.token": "签发授权令牌", "exchange.grant.destruction": "登记数据销毁",
    "exchange.offline.handover": "登记离线交接", "exchange.proxy.register": "登记代理接口",
    "exchange.subscribe": "订阅增量更新", "exchange.unsubscribe": "取消订阅", "exchange.replay": "重放增量推送",
    "exchange.push.failed": "增量推送失败", "exchange.review.overdue": "审核逾期",
    "exchange.delegate": "指定授权代理", "exchange.delegate.end": "撤销授权代理",
    "exchange.correction.report": "提交数据纠错", "exchange.correction.answer": "答复数据纠错",
    "exchange.correction.overdue": "纠错校核逾期",
    # provision
    "ingest": "数据归集",
    "ingest.load.create": "开始数据归集", "ingest.load.finish": "完成数据归集", "ingest.source.save": "保存对接来源",
    "ingest.rejects.download": "下载问题数据", "ingest.duty.remind": "月报提醒", "ingest.zero_report": "提交零报告",
    # incidents
    "incidents": "安全事件",
    "incidents.register": "登记安全事件", "incidents.report": "上报安全事件", "incidents.step": "登记处置记录",
    "incidents.cut": "切断共享通道", "incidents.revoke": "收回授权", "incidents.close": "办结安全事件",
    "incidents.overdue": "安全事件逾期", "incidents.handling": "安全事件转入处置",
    # entities and credit
    "entities": "市场主体",
    "entities.linked": "关联市场主体", "entities.link_confirmed": "确认主体关联", "entities.link_rejected": "否决主体关联",
    "entities.master_rebuilt": "重建法人库",
    "credit": "信用",
    "credit.record_created": "登记信用记录", "credit.records_imported": "导入信用记录", "credit.published": "双公示发布",
    "credit.publicity_expired": "公示期满", "credit.listed": "列入名单", "credit.listed_for_annual_report": "未年报列入名单",
    "credit.removed_from_list": "移出名单", "credit.list_resource_converted": "名单资源转换",
    "credit.repair_applied": "申请信用修复", "credit.repair_approved": "信用修复通过", "credit.repair_rejected": "信用修复驳回",
    "credit.checked": "信用核查", "credit.report_exported": "导出信用报告", "credit.risk_recomputed": "重算风险分类",
    # supervision, risk, evaluation
    "supervision": "监管", "risk": "风险预警", "evaluation": "效能评估",
    "supervision.item_created": "新建监管事项", "supervision.item_claimed": "认领监管事项",
    "supervision.items_published": "发布监管事项", "supervision.items_imported": "导入监管事项",
    "supervision.items_exported": "导出监管事项", "supervision.record_created": "登记监管记录",
    "supervision.task_created": "创建检查任务", "supervision.task_escalated": "检查任务升级",
    "supervision.result_entered": "录入检查结果", "supervision.complaint_received": "受理投诉举报",
    "supervision.complaint_transferred": "转办投诉举报", "supervision.referred": "抄告", "supervision.referral_read": "阅知抄告",
    "supervision.assistance_requested": "发起协查", "supervision.case_opened": "立案跟踪",
    "supervision.case_event": "案件进展", "supervision.routing_rule_saved": "保存分派规则",
    "evaluation.compute": "计算评估指标", "evaluation.evaluate": "综合评价", "evaluation.indicators.install": "安装指标体系",
    "evaluation.weighting.create": "设定指标权重", "evaluation.survey.import": "导入满意度调查",
    "evaluation.meeting.record": "登记协调会议", "evaluation.submission.create": "新建评估报送",
    "evaluation.submission.submit": "提交评估报送", "evaluation.submission.approve": "评估报送通过",
    "evaluation.submission.return": "退回评估报送", "evaluation.rectification.create": "登记整改问题",
    "evaluation.rectification.plan": "提交整改方案", "evaluation.rectification.report": "报告整改进展",
    "evaluation.rectification.close": "整改销号", "evaluation.rectification.reopen": "整改重新打开",
    "evaluation.rectification.escalate": "整改逾期督办",
    "evaluation.assessment.view": "查看部门考核", "evaluation.assessment.export": "导出部门考核",
    "evaluation.report.create": "新建评估报告", "evaluation.report.build": "生成评估报告",
    "evaluation.report.edit": "修改评估报告", "evaluation.report.consult": "评估报告征求意见",
    "evaluation.report.comment": "提出评估报告意见", "evaluation.report.answer": "答复评估报告意见",
    "evaluation.report.revise": "修订评估报告", "evaluation.report.send_back": "退回评估报告",
    "evaluation.report.approve": "评估报告定稿", "evaluation.report.publish": "发布评估报告",
    "evaluation.report.download": "下载评估报告",
    "evaluation.topic.create": "创建协同分析专题", "evaluation.topic.analyse": "运行专题分析",
    "evaluation.topic.report": "形成专题分析报告", "evaluation.topic.feedback": "反馈专题应用情况",
    "evaluation.topic.close": "结束协同分析专题",
    "supervision.conflict_declared": "申报回避", "supervision.conflict_withdrawn": "撤回回避申报",
    "risk.scored": "计算风险评分", "risk.scores_viewed": "查看风险评分", "risk.top_viewed": "查看高风险主体",
    "risk.entity_viewed": "查看主体风险", "risk.links_viewed": "查看关联分析", "risk.alerts_viewed": "查看预警列表",
    "risk.alert_viewed": "查看预警", "risk.alert.verified": "核实预警", "risk.alert.acted": "处置预警",
    "risk.alert.closed": "办结预警", "risk.alert.dismissed": "排除预警", "risk.model.trained": "训练风险模型",
    "risk.model_viewed": "查看风险模型", "risk.rule_saved": "保存预警规则",
    "cockpit": "驾驶舱", "cockpit.view": "查看驾驶舱", "cockpit.leader": "查看领导页面",
    "portal": "公众门户",
}

NOTIFICATION_KINDS: dict[str, str] = {
    "note": "通知",
    "catalog.published": "目录已发布", "catalog.rejected": "目录被退回", "catalog.review": "目录待审核",
    "catalog.demand": "数据需求", "catalog.obligation.overdue": "目录更新逾期",
    "exchange.review": "共享申请待审核", "exchange.granted": "共享申请已通过", "exchange.rejected": "共享申请未通过",
    "exchange.negotiation": "共享协商", "exchange.coordination": "协调解决", "exchange.overdue": "审核逾期",
    "exchange.revoked": "授权已收回", "exchange.cut": "共享通道已切断", "exchange.expired": "授权已到期",
    "exchange.correction": "数据纠错",
    "ingest.duty": "月报提醒", "ingest.quality": "质量反馈",
    "incidents.registered": "安全事件登记", "incidents.reported": "安全事件上报", "incidents.cut": "共享通道已切断",
    "incidents.overdue": "安全事件逾期",
    "supervision.assistance": "协查请求", "supervision.complaint_alarm": "投诉举报预警", "supervision.referral": "抄告",
    "supervision.task_overdue": "检查任务逾期",
    "evaluation.rectification": "整改事项",
}

PERMISSIONS: dict[str, str] = {
    "dashboard.view": "查看工作台", "notifications.view": "查看通知", "departments.view": "查看部门",
    "departments.manage": "管理部门", "users.view": "查看用户", "users.manage": "管理用户", "tokens.manage": "管理接口令牌",
    "audit.view": "查看审计日志", "audit.verify": "校验审计哈希链", "calendar.view": "查看工作日历",
    "calendar.edit": "维护工作日历",
    "catalog.view": "查看数据目录", "catalog.edit": "编制数据目录", "catalog.review": "审核数据目录",
    "catalog.demand": "登记数据需求", "catalog.obligation": "管理目录更新义务",
    "exchange.view": "查看共享申请与授权", "exchange.apply": "提交共享申请", "exchange.review": "审核共享申请",
    "exchange.delegate": "指定授权代理", "exchange.revoke": "收回共享授权", "exchange.token": "签发授权令牌",
    "exchange.access": "读取授权数据", "exchange.subscribe": "订阅增量更新", "exchange.correct": "提交数据纠错",
    "exchange.provide": "提供数据", "exchange.destroy": "登记数据销毁", "exchange.access_log": "查看调用记录",
    "exchange.receipt": "取回调用记录凭证",
    "ingest.view": "查看数据归集", "ingest.upload": "上传数据",
    "incidents.view": "查看安全事件", "incidents.register": "登记安全事件", "incidents.handle": "处置安全事件",
    "incidents.cut": "切断共享通道", "incidents.close": "办结安全事件",
    "entities.view": "查看市场主体", "entities.review": "审核主体关联", "entities.rebuild": "重建法人库",
    "credit.view": "查看信用信息", "credit.manage": "管理信用信息", "credit.check": "信用核查",
    "credit.repair": "办理信用修复", "credit.report": "生成信用报告", "credit.stats": "查看信用统计",
    "supervision.view": "查看监管", "supervision.record": "登记监管记录", "supervision.draw": "双随机抽取",
    "supervision.manage_items": "管理监管事项", "supervision.claim_item": "认领监管事项",
    "supervision.manage_task": "管理检查任务", "supervision.manage_inspectors": "管理检查人员",
    "supervision.enter_result": "录入检查结果", "supervision.publish_result": "公示检查结果",
    "supervision.complaint_intake": "受理投诉举报", "supervision.complaint_handle": "办理投诉举报",
    "supervision.manage_routing": "管理分派规则", "supervision.assist": "办理协查", "supervision.case": "跟踪案件",
    "supervision.stats": "查看监管统计",
    "evaluation.view": "查看效能评估", "evaluation.manage": "管理效能评估", "evaluation.submit": "报送评估数据",
    "evaluation.review": "审核评估数据", "evaluation.rectify": "办理整改",
}

SYSTEM_ACTORS = {"cli": "系统(命令行)", "public": "公众(未登录)", "system": "系统", "regshare": "系统", "demo": "系统(演示数据初始化)", "anonymous": "未登录访客"}

# Keys of an audit record's detail, as the audit log page shows them.
DETAIL_KEYS: dict[str, str] = {
    "from": "原状态", "to": "新状态", "transition": "办理事项", "deadline": "期限", "reason": "理由", "note": "意见",
    "rows": "行数", "version": "版本", "resource": "数据资源", "grant": "授权", "basis": "依据", "channel": "方式",
    "receipt": "凭证", "query": "查询条件", "sha256": "摘要", "entity": "统一社会信用代码", "entity_name": "市场主体",
    "file": "文件", "fields": "数据项", "count": "数量", "department": "部门", "username": "用户名", "roles": "角色",
    "scopes": "权限范围", "name": "名称", "status": "状态", "mode": "方式", "ip": "IP 地址", "date": "日期",
    "year": "年度", "is_workday": "是否工作日", "from_date": "起始日期", "to_date": "截止日期",
    "exact": "代码精确匹配", "probabilistic": "概率匹配", "candidates": "待人工确认", "rows_loaded": "入库行数",
    "rows_rejected": "问题行数", "filters": "筛选条件", "q": "关键词", "start": "起始日期", "end": "截止日期",
    "label": "动作关键词", "actor": "操作者", "action": "动作",
}


# How a version of a lake table was written (the Delta log's operation or the platform's load mode).
WRITE_MODES = {"replace": "全量替换", "overwrite": "全量替换", "merge": "增量合并", "append": "追加", "MERGE": "增量合并",
               "WRITE": "写入", "CREATE TABLE": "建表", "CREATE OR REPLACE TABLE": "建表(替换)", "DELETE": "删除",
               "UPDATE": "更新", "OPTIMIZE": "整理文件", "VACUUM START": "清理旧文件", "VACUUM END": "清理旧文件",
               "RESTORE": "恢复版本"}


def write_mode_label(code: str) -> str:
    return WRITE_MODES.get(code or "", code or "")


def scope_labels(scopes: list[str]) -> list[str]:
    """Token scopes in Chinese (the label each app registered with its permission)."""
    return [permission_label(s) if s in PERMISSIONS else _token_scope(s) for s in scopes or []]


def _token_scope(scope: str) -> str:
    from regshare.core.permissions import TOKEN_SCOPES

    return TOKEN_SCOPES.get(scope, scope)


def register_actions(labels: dict[str, str]) -> None:
    ACTIONS.update(labels)


def register_notification_kinds(labels: dict[str, str]) -> None:
    NOTIFICATION_KINDS.update(labels)


def _by_prefix(code: str, table: dict[str, str]) -> str:
    if code in table:
        return table[code]
    parts = code.split(".")
    for end in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in table:
            return f"{table[prefix]}({code})"
    return code


def action_label(code: str) -> str:
    """``login.success`` → 登录成功; a workflow's transition action → its registered label."""
    return _by_prefix(code or "", ACTIONS)


def notification_kind_label(code: str) -> str:
    return _by_prefix(code or "", NOTIFICATION_KINDS)


def permission_label(perm: str) -> str:
    from regshare.core.permissions import TOKEN_SCOPES

    return PERMISSIONS.get(perm) or TOKEN_SCOPES.get(perm) or "相应权限"


def actions_matching(text: str) -> list[str]:
    """The action codes whose Chinese label contains ``text`` (the audit log's filter by label)."""
    text = (text or "").strip()
    if not text:
        return []
    return sorted(code for code, label in ACTIONS.items() if text in label)


def action_choices() -> list[tuple[str, str]]:
    """Every action with its label, for a filter's list (the prefixes first as "all of …")."""
    groups = [(code, f"{label}(全部)") for code, label in ACTIONS.items() if "." not in code]
    return groups + sorted(((c, label) for c, label in ACTIONS.items() if "." in c), key=lambda item: item[0])


def actor_label(actor: str) -> str:
    """``user:zhang`` → 张三(zhang) when the user has a full name; ``token:ab12@SCJG`` → 接口令牌 ab12(SCJG)."""
    actor = actor or ""
    if actor in SYSTEM_ACTORS:
        return SYSTEM_ACTORS[actor]
    kind, _, name = actor.partition(":")
    if kind == "user" and name:
        from regshare.core.models import User

        full_name = User.objects.filter(username=name).values_list("full_name", flat=True).first()
        return f"{full_name}({name})" if full_name else name
    if kind == "token" and name:
        prefix, _, department = name.partition("@")
        return f"接口令牌 {prefix}" + (f"({department})" if department else "")
    return actor


def actor_labels(actors: set[str]) -> dict[str, str]:
    """``actor_label`` for a whole page of records in one query."""
    from regshare.core.models import User

    usernames = {a.partition(":")[2] for a in actors if a.startswith("user:")}
    names = dict(User.objects.filter(username__in=usernames).values_list("username", "full_name"))
    out = {}
    for actor in actors:
        kind, _, name = actor.partition(":")
        if kind == "user" and name in names and names[name]:
            out[actor] = f"{names[name]}({name})"
        elif kind == "user":
            out[actor] = name or actor
        else:
            out[actor] = actor_label(actor)
    return out


TARGET_KINDS = {"resource": "数据资源", "user": "用户", "department": "部门", "token": "接口令牌"}


def target_label(target: str) -> str:
    """``resource:SCJG-0001`` → 数据资源 SCJG-0001; ``exchange.application:7`` → 共享申请 #7 (the model's
    verbose name); anything else as written."""
    from django.apps import apps

    kind, sep, key = (target or "").partition(":")
    if not sep:
        return target or ""
    if kind in TARGET_KINDS:
        return f"{TARGET_KINDS[kind]} {key}"
    app_label, dot, model_name = kind.partition(".")
    if dot:
        try:
            return f"{apps.get_model(app_label, model_name)._meta.verbose_name} #{key}"
        except LookupError:
            return target
    return target


def _detail_value(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        return ",".join(f"{DETAIL_KEYS.get(k, k)}={_detail_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(_detail_value(v) for v in value)
    if value is None:
        return "—"
    return str(value)


def detail_items(text: str) -> list[tuple[str, str]]:
    """An audit record's detail (JSON) as (Chinese key, readable value) pairs; text that is not a JSON
    object is one pair under 详情."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return [("详情", text)] if text else []
    if not isinstance(value, dict):
        return [("详情", _detail_value(value))]
    return [(DETAIL_KEYS.get(k, k), _detail_value(v)) for k, v in value.items() if v not in ("", None, [], {})]


def ratio_percent(value: Any, digits: int = 1) -> str:
    """0.8889 → 88.9%; a value that is not a number is shown as it is ("—" for none)."""
    if value is None or value == "":
        return "—"
    try:
        return f"{float(value) * 100:.{digits}f}%"
    except (TypeError, ValueError):
        return str(value)


def beijing(moment: dt.datetime | None) -> dt.datetime | None:
    """A moment in Beijing time (the platform's zone), whatever zone it was stored in."""
    from django.utils import timezone

    if moment is None:
        return None
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment
