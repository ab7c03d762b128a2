"""Demo evaluation (seed 004): the indicator system, the approval data of 区行政审批局 (XZSP-0002 办件,
XZSP-0005 好差评) and the market regulator's random inspections (SCJG-0007) published with plausible data over
the last three half-years (getting better each half), department submissions reviewed by 区发改, a
satisfaction survey imported from Excel, AHP weights and a fuzzy evaluation of each half-year."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from . import DemoContext

HANDLERS = [("区市场监管局", 1.0), ("区住建局", 1.6), ("区生态环境局", 1.4), ("区应急管理局", 1.2),
            ("区行政审批局", 0.7), ("区城管局", 1.1)]
ITEMS = [("食品经营许可", "行政许可"), ("建筑工程施工许可", "行政许可"), ("排污许可", "行政许可"),
         ("危险化学品经营许可", "行政许可"), ("营业执照登记", "行政确认"), ("户外广告设置许可", "行政许可"),
         ("消防安全检查", "公共服务")]
REVIEW_LEVELS = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]

# Group-level judgement of 区发改's experts (清单执行, 审批效能, 服务质量, 监管效能, 市场主体满意度), CR ≈ 0.02.
GROUP_MATRIX = [[1, "1/2", 2, 2, "1/2"], [2, 1, 3, 3, 1], ["1/2", "1/3", 1, 1, "1/3"], ["1/2", "1/3", 1, 1, "1/2"],
                [2, 1, 3, 2, 1]]
APPROVAL_MATRIX = [[1, 3, 2, 2], ["1/3", 1, "1/2", "1/2"], ["1/2", 2, 1, 1], ["1/2", 2, 1, 1]]


def halves(today: dt.date, count: int = 3) -> list[str]:
    """The current half-year and the ones before it, oldest first."""
    year, half = today.year, 1 if today.month <= 6 else 2
    out = []
    for _ in range(count):
        out.append(f"{year}H{half}")
        year, half = (year, 1) if half == 2 else (year - 1, 2)
    return out[::-1]


def _csv(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _usccs(limit: int = 400) -> list[str]:
    from regshare.entities.models import Entity

    return list(Entity.objects.order_by("uscc").values_list("uscc", flat=True)[:limit])


def _cases(ctx: DemoContext, periods: list[str], today: dt.date) -> list[dict]:
    from regshare.evaluation.services import period_window

    rng = ctx.rng("evaluation.cases")
    usccs = _usccs()
    rows, serial = [], 0
    for h, period in enumerate(periods):
        window = period_window(period)
        last = min(window.end, today - dt.timedelta(days=1))
        span = (last - window.start).days
        if span < 0:
            continue
        for _ in range(max(40, span * 2)):
            serial += 1
            accepted = window.start + dt.timedelta(days=rng.randrange(span + 1))
            handler, slowness = rng.choice(HANDLERS)
            item, kind = rng.choice(ITEMS)
            on_spot = rng.random() < 0.28 + 0.07 * h
            days = 0 if on_spot else max(1, round(rng.gauss(6.5 - 1.3 * h, 2) * slowness))
            finished = accepted + dt.timedelta(days=days + days // 5 * 2)
            done = finished < today
            roll = rng.random()
            result = ("办理中" if not done else "撤回" if roll < 0.02 else
                      "准予" if roll < 0.9 + 0.03 * h else "不予")
            uscc = rng.choice(usccs) if usccs else ""
            rows.append({
                "case_no": f"CS{accepted:%Y%m%d}{serial:05d}", "item_name": item, "item_type": kind,
                "company_name": f"申请人{serial:05d}", "uscc": uscc,
                "accepted_at": f"{accepted.isoformat()}T09:{rng.randrange(60):02d}:00",
                "finished_at": f"{finished.isoformat()}T16:{rng.randrange(60):02d}:00" if done else "",
                "promised_days": "0" if on_spot else "10", "on_the_spot": "是" if on_spot else "否",
                "online": "是" if rng.random() < 0.6 + 0.1 * h else "否", "result": result, "department": handler})
    return rows


def _reviews(ctx: DemoContext, periods: list[str], today: dt.date):
    import pyarrow as pa

    from regshare.evaluation.services import period_window

    rng = ctx.rng("evaluation.reviews")
    rows = []
    for h, period in enumerate(periods):
        window = period_window(period)
        span = (min(window.end, today - dt.timedelta(days=1)) - window.start).days
        if span < 0:
            continue
        weights = [0.45 + 0.05 * h, 0.35, 0.12 - 0.02 * h, 0.05 - 0.015 * h, 0.03 - 0.01 * h]
        for n in range(max(30, span)):
            day = window.start + dt.timedelta(days=rng.randrange(span + 1))
            rows.append({"review_no": f"PJ{day:%Y%m%d}{h}{n:04d}", "case_no": "",
                         "level": rng.choices(REVIEW_LEVELS, weights)[0],
                         "reviewed_at": f"{day.isoformat()} 10:00:00",
                         "channel": rng.choice(["窗口评价器", "赣服通", "政务服务网"])})
    return pa.Table.from_pylist(rows)


def _inspections(ctx: DemoContext, periods: list[str], today: dt.date) -> list[dict]:
    from regshare.entities.models import Entity
    from regshare.evaluation.services import period_window

    rng = ctx.rng("evaluation.inspections")
    names = dict(Entity.objects.order_by("uscc").values_list("uscc", "name")[:5000])
    usccs = sorted(names)
    if not usccs:
        return []
    results = ["未发现问题", "发现问题已责令改正", "发现问题待后续处理", "未发现开展本次抽查涉及的经营活动"]
    rows = []
    for h, period in enumerate(periods):
        window = period_window(period)
        span = (min(window.end, today - dt.timedelta(days=1)) - window.start).days
        if span < 0:
            continue
        for n, uscc in enumerate(rng.sample(usccs, min(len(usccs), max(10, len(usccs) // 20 + 10 * h)))):
            rows.append({"task_no": f"SJ{period}-{n:04d}", "uscc": uscc, "company_name": names[uscc],
                         "item": "食品经营监督检查", "inspected_on": (window.start + dt.timedelta(
                             days=rng.randrange(span + 1))).isoformat(),
                         "result": rng.choices(results, [0.7, 0.12 + 0.03 * h, 0.08 - 0.03 * h, 0.1])[0],
                         "authority": "柴桑区市场监督管理局"})
    return rows


def _publish(ctx: DemoContext, periods: list[str], today: dt.date) -> None:
    from regshare.catalog.models import Resource
    from regshare.core.models import User
    from regshare.ingest.services import ingest_file
    from regshare.lake import tables

    folder = Path(settings.REGSHARE_LAKE_DIR).parent / "demo"
    for code, username, make in (("XZSP-0002", "xzsp_liaison", _cases), ("SCJG-0007", "scjg_liaison", _inspections)):
        resource = Resource.objects.filter(code=code).first()
        actor = User.objects.filter(username=username).first()
        if resource is None or actor is None or tables.exists(code):
            continue
        rows = make(ctx, periods, today)
        if rows:
            names = set(resource.fields.values_list("code_name", flat=True))
            rows = [{k: v for k, v in row.items() if k in names} for row in rows]
            ingest_file(actor, _csv(folder / f"{code.lower()}-evaluation.csv", rows), resource, mode="replace")
            ctx.echo(f"  {code}: {len(rows)} 行")
    # 好差评 is a monthly file duty whose missing report the ingest demo shows: written to the lake directly so
    # that no monthly report is recorded for it.
    if Resource.objects.filter(code="XZSP-0005").exists() and not tables.exists("XZSP-0005"):
        table = _reviews(ctx, periods, today)
        tables.write("XZSP-0005", table, mode="replace", key=["review_no"])
        ctx.echo(f"  XZSP-0005: {table.num_rows} 行")


# indicator, department username, value by half-year (oldest first)
SUBMISSIONS = [
    ("QD-01", "fgj_liaison", [91.0, 94.5, 97.0]),
    ("QD-02", "sfj_liaison", [95.0, 97.0, 98.5]),
    ("QD-03", "fgj_liaison", [3, 2, 1]),
    ("FW-01", "xzsp_liaison", [90.0, 93.5, 96.0]),
]


def _survey_file(ctx: DemoContext, h: int) -> bytes:
    from openpyxl import Workbook

    rng = ctx.rng(f"evaluation.survey.{h}")
    book = Workbook()
    sheet = book.active
    sheet.append(["柴桑区市场准入满意度问卷结果"])
    sheet.append(["指标代码", "行业", "优", "良", "中", "差"])
    for industry in ("批发和零售业", "制造业", "住宿和餐饮业", "建筑业"):
        total = rng.randint(60, 120)
        good = round(total * (0.40 + 0.05 * h + rng.uniform(-0.05, 0.05)))
        fine = round(total * 0.35)
        mid = round(total * (0.17 - 0.03 * h))
        sheet.append(["MY-01", industry, good, fine, mid, max(0, total - good - fine - mid)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(ctx: DemoContext) -> None:
    from django.core.exceptions import ValidationError

    from regshare.core.models import Department, User
    from regshare.core.permissions import Principal
    from regshare.evaluation import services
    from regshare.evaluation.models import Evaluation, Indicator, Submission, Survey, Weighting

    departments = ctx.data.get("departments") or {
        d.code.rsplit("-", 1)[-1]: d for d in Department.objects.filter(code__contains="-")}
    services.install_standard("demo", departments)
    today = timezone.localdate()
    periods = halves(today)
    _publish(ctx, periods, today)

    analyst = User.objects.filter(username="fgj_analyst").first()
    reviewer = User.objects.filter(username="fgj_leader").first()
    if analyst is None or reviewer is None:
        return
    manager = Principal.for_user(analyst)
    for period in periods:
        services.compute(manager, period)
    for h, period in enumerate(periods):
        for code, username, values in SUBMISSIONS:
            user = User.objects.filter(username=username).first()
            indicator = Indicator.objects.filter(code=code).first()
            if user is None or indicator is None or Submission.objects.filter(
                    indicator=indicator, period=period, department=user.department).exists():
                continue
            item = services.create_submission(Principal.for_user(user), indicator, period, values[h],
                                              f"{user.department.name}按评估方案统计({services.period_label(period)})")
            if h < len(periods) - 1 or code != "FW-01":  # the current half's 一次性告知率 waits for review
                services.review(Principal.for_user(reviewer), item, True, "数据口径符合要求,予以采用")
        name = f"{services.period_label(period)}市场准入满意度问卷"
        if not Survey.objects.filter(name=name).exists():
            services.import_survey(manager, name, period, _survey_file(ctx, h), f"满意度问卷{period}.xlsx")
    if not Weighting.objects.filter(level=services.GROUP_LEVEL).exists():
        services.create_weighting(manager, "五类指标相对重要性(区发改专家组)", services.GROUP_LEVEL,
                                  ["list_execution", "approval", "service", "supervision", "satisfaction"],
                                  GROUP_MATRIX, "saaty")
        services.create_weighting(manager, "审批效能类指标相对重要性", "approval", ["SP-01", "SP-02", "SP-03", "SP-04"],
                                  APPROVAL_MATRIX, "cn")
    _meeting(manager, periods, departments)
    for period in periods[:-1]:
        if not Evaluation.objects.filter(period=period).exists():
            try:
                item = services.run_evaluation(manager, period)
                ctx.echo(f"  {period}: {item.grade} {item.score:.2f}")
            except ValidationError as exc:  # a half-year without every figure stays unevaluated
                ctx.echo(f"  {period}: 未评价({exc})")
    _topics(manager, departments, today)
    _report(ctx, manager, Principal.for_user(reviewer), today)


def _topics(manager, departments: dict, today: dt.date) -> None:
    """Two analysis topics of seed 000 §4: approval efficiency (reported, with feedback) and entry trends."""
    from regshare.core import workflow
    from regshare.core.models import User
    from regshare.core.permissions import Principal
    from regshare.evaluation import services
    from regshare.evaluation.models import AnalysisTopic

    if AnalysisTopic.objects.exists() or "XZSP" not in departments or "SCJG" not in departments:
        return
    approval = services.create_topic(manager, "审批效率协同分析", "approval",
                                     "比较各半年平均审批时间、通过率、即办件和网上办理比例,按办理部门分解",
                                     [departments["XZSP"], departments["SJJ"]])
    workflow.perform(manager, approval, "analyse", conclusion="平均审批时间逐期缩短,网上办理率仍低于目标。")
    workflow.perform(manager, approval, "report", report="建议扩大即办件范围,推行高频事项全程网办,按月通报各部门审批时间。")
    liaison = User.objects.filter(username="xzsp_liaison").first()
    if liaison is not None:
        services.add_feedback(Principal.for_user(liaison), approval, "政务服务窗口即办件改革",
                              "新增即办事项 12 项,窗口平均等待时间缩短约三成。")
    trend = services.create_topic(manager, "行业准入趋势分析", "entry_trend",
                                  "按月统计各行业门类、各登记区域新设与注销吊销的市场主体",
                                  [departments["SCJG"]], params={"months": 12})
    workflow.perform(manager, trend, "analyse", conclusion="批发零售和住宿餐饮新设主体占比最高。")
    risk = services.create_topic(manager, "企业经营风险分析", "business_risk",
                                 "以风险预警模型的企业风险评分为基础,按行业门类和登记区域分析风险等级分布",
                                 [departments["SCJG"], departments["SWJ"]] if "SWJ" in departments else [])
    workflow.perform(manager, risk, "analyse")


def _report(ctx: DemoContext, manager, approver, today: dt.date) -> None:
    """The report of the last evaluated half-year: consulted, revised, approved by the district government and
    published (its files generated), so the portal lists it."""
    from regshare.core import workflow
    from regshare.core.models import User
    from regshare.core.permissions import Principal
    from regshare.evaluation import services
    from regshare.evaluation.models import Evaluation, Report

    evaluation = Evaluation.objects.order_by("-period", "-created_at").first()
    if evaluation is None or Report.objects.exists():
        return
    report = services.create_report(manager, f"柴桑区{services.period_label(evaluation.period)}市场准入效能评估报告",
                                    evaluation.period, evaluation)
    # Comments opened six weeks ago and closed two weeks ago, so the report went its whole way.
    opened = today - dt.timedelta(days=42)
    workflow.perform(manager, report, "consult", on=opened,
                     comment_deadline=str(today - dt.timedelta(days=14)))
    liaison = User.objects.filter(username="xzsp_liaison").first()
    if liaison is not None:
        services.add_comment(Principal.for_user(liaison), report, "建议在问题部分补充即办件比例偏低的原因分析。",
                             today=opened)
    services.add_comment(Principal(), report, "希望公布各部门审批时间排名。", kind="public", author="市民王先生",
                         today=opened)
    workflow.perform(manager, report, "revise", revision_note="采纳区行政审批局意见,补充原因分析;部门排名在考核中公布。")
    leader = User.objects.filter(username="fgj_leader").first()
    workflow.perform(Principal.for_user(leader) if leader else approver, report, "approve",
                     approval_note="同意发布。")
    services.build_report_files(report.pk)
    workflow.perform(manager, report, "publish")
    ctx.echo(f"  评估报告已发布:{report.title}")


def _meeting(manager, periods: list[str], departments: dict) -> None:
    """The half-yearly coordination meeting after the last complete half-year, with two decisions to track."""
    from regshare.evaluation import services
    from regshare.evaluation.models import Meeting

    if Meeting.objects.exists() or "XZSP" not in departments or "ZJJ" not in departments:
        return
    window = services.period_window(periods[-1])
    held_on = window.start + dt.timedelta(days=9)
    if held_on >= timezone.localdate():
        return
    title = f"{services.period_label(periods[-2])}市场准入效能评估工作协调会议"
    services.record_meeting(
        manager, "half_year", title, held_on,
        f"通报{services.period_label(periods[-2])}评估结果;审批效能类指标权重经专家判断确定;部署下半年评估工作。",
        [d for k, d in departments.items() if k in ("XZSP", "ZJJ", "SCJG", "SFJ", "SJJ")],
        [services.Decision("推行高频准入事项全程网办,网上办理率提高 5 个百分点", departments["XZSP"],
                           window.start + dt.timedelta(days=120)),
         services.Decision("压缩建筑工程施工许可平均审批时间", departments["ZJJ"], held_on + dt.timedelta(days=60))])
    services.escalate_overdue()
