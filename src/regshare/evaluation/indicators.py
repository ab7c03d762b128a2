"""The indicator system of seed 004 三(二) and the built-in calculations of the figures the platform holds.

Indicators are data (``models.Indicator``); ``STANDARD`` is the set the demo and ``seed_indicators`` install.
A computed indicator names a calculator here; each calculator reads the shared datasets of the lake (the
department's own published resource, never its system directly) or the relational records of apps below
evaluation (credit checks, the entity master), and returns the overall figure plus breakdowns by
department and by industry with the facts behind each figure.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from regshare.core import workdays

# code, name, group, formula, source, source detail, calculator, unit, direction, period, department suffix,
# thresholds (优/良/中/差 standard values)
STANDARD: list[tuple] = [
    ("QD-01", "负面清单事项覆盖率", "list_execution", "已纳入审批系统管理的负面清单事项数 ÷ 负面清单涉及本区事项数 × 100%",
     "submission", "区发改局报送", "", "%", "positive", "half", "FGJ", [100, 95, 90, 80]),
    ("QD-02", "准入审批合规率", "list_execution", "抽查的准入审批中符合负面清单要求的件数 ÷ 抽查件数 × 100%",
     "submission", "区司法局合法性审查报送", "", "%", "positive", "half", "SFJ", [100, 98, 95, 90]),
    ("QD-03", "清单外增设准入条件数", "list_execution", "发现的在负面清单之外增设准入条件的事项数",
     "submission", "区发改局报送", "", "项", "negative", "half", "FGJ", [0, 1, 2, 4]),
    ("SP-01", "平均审批时间", "approval", "已办结办件从受理到办结的工作日数之和 ÷ 已办结办件数",
     "computed", "XZSP-0002 政务服务办件信息", "approval_days", "工作日", "negative", "half", "XZSP", [2, 4, 7, 12]),
    ("SP-02", "审批通过率", "approval", "办理结果为准予的办件数 ÷ (准予 + 不予)办件数 × 100%",
     "computed", "XZSP-0002 政务服务办件信息", "approval_pass_rate", "%", "positive", "half", "XZSP",
     [98, 95, 90, 80]),
    ("SP-03", "即办件比例", "approval", "即办件数 ÷ 受理办件数 × 100%",
     "computed", "XZSP-0002 政务服务办件信息", "approval_on_the_spot", "%", "positive", "half", "XZSP",
     [60, 45, 30, 15]),
    ("SP-04", "网上办理率", "approval", "网上办理的办件数 ÷ 受理办件数 × 100%",
     "computed", "XZSP-0002 政务服务办件信息", "approval_online", "%", "positive", "half", "XZSP", [90, 80, 65, 50]),
    ("FW-01", "一次性告知率", "service", "一次性告知到位的咨询与退件数 ÷ 咨询与退件总数 × 100%",
     "submission", "区行政审批局报送", "", "%", "positive", "half", "XZSP", [100, 95, 90, 80]),
    ("FW-02", "服务投诉率", "service", "评价为不满意或非常不满意的评价数 ÷ 评价总数 × 100%",
     "computed", "XZSP-0005 政务服务好差评信息", "review_complaint_rate", "%", "negative", "half", "XZSP",
     [0.5, 1, 2, 5]),
    ("FW-03", "好差评满意度", "service", "评价为非常满意或满意的评价数 ÷ 评价总数 × 100%",
     "computed", "XZSP-0005 政务服务好差评信息", "review_satisfaction", "%", "positive", "half", "XZSP",
     [95, 90, 80, 70]),
    ("JG-01", "监管覆盖率", "supervision", "期内被抽查检查的市场主体数 ÷ 存续市场主体数 × 100%",
     "computed", "SCJG-0007 双随机抽查结果信息", "inspection_coverage", "%", "positive", "half", "SCJG",
     [10, 5, 3, 1]),
    ("JG-02", "违法违规查处率", "supervision", "抽查发现问题且已责令改正或作出行政处罚的件数 ÷ 抽查发现问题件数 × 100%",
     "computed", "SCJG-0007 双随机抽查结果信息、SCJG-0002 行政处罚信息", "investigation_rate", "%", "positive",
     "half", "SCJG", [95, 85, 70, 50]),
    ("JG-03", "信用监管应用率", "supervision", "申请人在办理前经过信用核查的办件数 ÷ 准予办件数 × 100%",
     "computed", "信用核查记录、XZSP-0002 政务服务办件信息", "credit_check_use", "%", "positive", "half", "SCJG",
     [60, 40, 20, 10]),
    ("MY-01", "市场主体满意度", "satisfaction", "问卷中评价为优或良的答卷数 ÷ 有效答卷数 × 100%",
     "survey", "市场主体满意度问卷", "", "%", "positive", "half", "FGJ", [95, 85, 75, 60]),
]


@dataclass
class Figure:
    """One figure: overall when ``department`` and ``industry`` are empty."""

    value: float
    facts: dict
    department: str = ""  # a department's name as the dataset writes it (办理部门), or a department code
    industry: str = ""


@dataclass
class Window:
    start: dt.date
    end: dt.date  # inclusive

    def holds(self, day: dt.date | None) -> bool:
        return day is not None and self.start <= day <= self.end


@dataclass
class Computed:
    figures: list[Figure] = field(default_factory=list)
    missing: str = ""  # why nothing could be computed (no data yet), shown to the analyst


Calculator = Callable[[Window], Computed]
CALCULATORS: dict[str, tuple[str, Calculator]] = {}


def calculator(name: str, label: str) -> Callable[[Calculator], Calculator]:
    def decorate(fn: Calculator) -> Calculator:
        CALCULATORS[name] = (label, fn)
        return fn

    return decorate


# ----------------------------------------------------------------------------- reading shared data

def _rows(code: str, columns: list[str]) -> list[dict] | None:
    """The current snapshot of a shared resource, only the columns needed; None when it has no data."""
    from regshare.lake import tables

    if not tables.exists(code):
        return None
    try:
        table = tables.read(code, columns=columns)
    except tables.LakeError:
        return None
    return table.to_pylist()


def _day(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().replace("/", "-")
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _yes(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"是", "true", "1", "y", "yes"}


def _industries(usccs: Iterable[str]) -> dict[str, str]:
    """Industry of each applicant from the entity master (行业代码; its first letter is the GB/T 4754 section)."""
    from regshare.entities.models import Entity

    wanted = {u for u in usccs if u}
    found: dict[str, str] = {}
    batch = list(wanted)
    for i in range(0, len(batch), 900):
        for uscc, industry in Entity.objects.filter(uscc__in=batch[i:i + 900]).values_list("uscc", "industry"):
            found[uscc] = industry_label(industry)
    return found


# GB/T 4754-2017 sections (门类) that market-access comparisons group by.
SECTIONS = {
    "A": "农林牧渔业", "B": "采矿业", "C": "制造业", "D": "电力热力燃气及水生产和供应业", "E": "建筑业",
    "F": "批发和零售业", "G": "交通运输仓储和邮政业", "H": "住宿和餐饮业", "I": "信息传输软件和信息技术服务业",
    "J": "金融业", "K": "房地产业", "L": "租赁和商务服务业", "M": "科学研究和技术服务业",
    "N": "水利环境和公共设施管理业", "O": "居民服务修理和其他服务业", "P": "教育", "Q": "卫生和社会工作",
    "R": "文化体育和娱乐业", "S": "公共管理社会保障和社会组织",
}


def industry_label(code: str) -> str:
    code = (code or "").strip().upper()
    if not code:
        return ""
    return SECTIONS.get(code[0], code)


def _share(rows: list[dict], hit: Callable[[dict], bool], percent: bool = True, counted: str = "办件") -> list[Figure]:
    """Overall share and the same share per group (department / industry)."""
    scale = 100.0 if percent else 1.0
    figures = []
    if rows:
        hits = sum(1 for r in rows if hit(r))
        figures.append(Figure(round(hits / len(rows) * scale, 2), {"分子": hits, "分母": len(rows), "口径": counted}))
    for kind in ("department", "industry"):
        groups: dict[str, list[dict]] = defaultdict(list)
        for row in rows:
            key = row.get(f"_{kind}") or ""
            if key:
                groups[key].append(row)
        for key, members in sorted(groups.items()):
            hits = sum(1 for r in members if hit(r))
            figures.append(Figure(round(hits / len(members) * scale, 2), {"分子": hits, "分母": len(members),
                                                                            "口径": counted},
                                  **{kind: key}))
    return figures


# ----------------------------------------------------------------------------- approval cases (XZSP-0002)

CASES = "XZSP-0002"


def _cases(window: Window) -> list[dict] | None:
    rows = _rows(CASES, ["case_no", "accepted_at", "finished_at", "on_the_spot", "online", "result", "department",
                         "uscc"])
    if rows is None:
        return None
    picked = []
    for row in rows:
        accepted = _day(row.get("accepted_at"))
        if window.holds(accepted):
            row["_accepted"], row["_finished"] = accepted, _day(row.get("finished_at"))
            row["_department"] = (row.get("department") or "").strip()
            picked.append(row)
    industries = _industries(r.get("uscc") or "" for r in picked)
    for row in picked:
        row["_industry"] = industries.get(row.get("uscc") or "", "")
    return picked


def _no_cases() -> Computed:
    return Computed(missing=f"数据资源 {CASES} 政务服务办件信息尚无本期数据")


@calculator("approval_days", "平均审批时间(工作日)")
def approval_days(window: Window) -> Computed:
    rows = _cases(window)
    if not rows:
        return _no_cases()
    done = [r for r in rows if r["_finished"] is not None and r["_finished"] >= r["_accepted"]]
    if not done:
        return Computed(missing="本期没有已办结的办件")
    for row in done:
        row["_days"] = workdays.workdays_between(row["_accepted"], row["_finished"])
    figures = [Figure(round(sum(r["_days"] for r in done) / len(done), 2),
                      {"工作日合计": sum(r["_days"] for r in done), "已办结办件数": len(done)})]
    for kind in ("department", "industry"):
        groups: dict[str, list[int]] = defaultdict(list)
        for row in done:
            if row[f"_{kind}"]:
                groups[row[f"_{kind}"]].append(row["_days"])
        for key, days in sorted(groups.items()):
            figures.append(Figure(round(sum(days) / len(days), 2), {"工作日合计": sum(days), "已办结办件数": len(days)},
                                  **{kind: key}))
    return Computed(figures)


@calculator("approval_pass_rate", "审批通过率")
def approval_pass_rate(window: Window) -> Computed:
    rows = _cases(window)
    if not rows:
        return _no_cases()
    decided = [r for r in rows if r.get("result") in ("准予", "不予")]
    if not decided:
        return Computed(missing="本期没有作出准予或不予决定的办件")
    return Computed(_share(decided, lambda r: r["result"] == "准予", counted="准予与不予的办件"))


@calculator("approval_on_the_spot", "即办件比例")
def approval_on_the_spot(window: Window) -> Computed:
    rows = _cases(window)
    if not rows:
        return _no_cases()
    return Computed(_share(rows, lambda r: _yes(r.get("on_the_spot")), counted="受理办件"))


@calculator("approval_online", "网上办理率")
def approval_online(window: Window) -> Computed:
    rows = _cases(window)
    if not rows:
        return _no_cases()
    return Computed(_share(rows, lambda r: _yes(r.get("online")), counted="受理办件"))


# ----------------------------------------------------------------------------- reviews (XZSP-0005)

REVIEWS = "XZSP-0005"


def _reviews(window: Window) -> list[dict] | None:
    rows = _rows(REVIEWS, ["review_no", "level", "reviewed_at", "channel"])
    if rows is None:
        return None
    picked = []
    for row in rows:
        if window.holds(_day(row.get("reviewed_at"))) and row.get("level"):
            row["_department"], row["_industry"] = "", ""
            picked.append(row)
    return picked


@calculator("review_complaint_rate", "服务投诉率(差评率)")
def review_complaint_rate(window: Window) -> Computed:
    rows = _reviews(window)
    if not rows:
        return Computed(missing=f"数据资源 {REVIEWS} 政务服务好差评信息尚无本期数据")
    return Computed(_share(rows, lambda r: r["level"] in ("不满意", "非常不满意"), counted="评价"))


@calculator("review_satisfaction", "好差评满意度")
def review_satisfaction(window: Window) -> Computed:
    rows = _reviews(window)
    if not rows:
        return Computed(missing=f"数据资源 {REVIEWS} 政务服务好差评信息尚无本期数据")
    return Computed(_share(rows, lambda r: r["level"] in ("非常满意", "满意"), counted="评价"))


# ----------------------------------------------------------------------------- supervision (SCJG-0007, SCJG-0002)

INSPECTIONS, PENALTIES = "SCJG-0007", "SCJG-0002"
PROBLEM_RESULTS = ("发现问题已责令改正", "发现问题待后续处理")


def _inspections(window: Window) -> list[dict] | None:
    rows = _rows(INSPECTIONS, ["task_no", "uscc", "inspected_on", "result"])
    if rows is None:
        return None
    return [r for r in rows if window.holds(_day(r.get("inspected_on")))]


@calculator("inspection_coverage", "监管覆盖率")
def inspection_coverage(window: Window) -> Computed:
    from regshare.entities.models import Entity

    rows = _inspections(window)
    if not rows:
        return Computed(missing=f"数据资源 {INSPECTIONS} 双随机抽查结果信息尚无本期数据")
    population = Entity.objects.exclude(status__in=("注销", "吊销")).count()
    if not population:
        return Computed(missing="法人库尚无市场主体")
    covered = {r["uscc"] for r in rows if r.get("uscc")}
    return Computed([Figure(round(len(covered) / population * 100, 2),
                            {"被检查市场主体数": len(covered), "存续市场主体数": population})])


@calculator("investigation_rate", "违法违规查处率")
def investigation_rate(window: Window) -> Computed:
    rows = _inspections(window)
    if not rows:
        return Computed(missing=f"数据资源 {INSPECTIONS} 双随机抽查结果信息尚无本期数据")
    problems = [r for r in rows if r.get("result") in PROBLEM_RESULTS]
    if not problems:
        return Computed(missing="本期抽查未发现问题")
    penalised = {r["uscc"] for r in (_rows(PENALTIES, ["uscc", "decision_date"]) or [])
                 if r.get("uscc") and (_day(r.get("decision_date")) or dt.date.min) >= window.start}
    handled = sum(1 for r in problems if r["result"] == "发现问题已责令改正" or r.get("uscc") in penalised)
    return Computed([Figure(round(handled / len(problems) * 100, 2),
                            {"已查处": handled, "发现问题": len(problems), "其中作出处罚的主体": len(penalised)})])


@calculator("credit_check_use", "信用监管应用率")
def credit_check_use(window: Window) -> Computed:
    from regshare.credit.models import CreditCheck

    rows = _cases(window)
    if not rows:
        return _no_cases()
    granted = [r for r in rows if r.get("result") == "准予" and r.get("uscc")]
    if not granted:
        return Computed(missing="本期没有准予的办件")
    checked = set(CreditCheck.objects.filter(
        created_at__date__gte=window.start - dt.timedelta(days=30), created_at__date__lte=window.end,
    ).values_list("entity__uscc", flat=True).distinct())
    return Computed(_share(granted, lambda r: r["uscc"] in checked, counted="准予办件"))
