"""Built-in analyses of collaborative analysis topics (协同分析, seed 000 §4), computed from platform data:

* 行业准入趋势 (``entry_trend``): per month of the window, the entities established (成立日期) and the entities whose
  registration status became 注销/吊销 (dated by the entity master's update, since the register holds no closing
  date), by industry section (GB/T 4754 门类, the first letter of the industry code) and by registration area (the
  credit code's characters 3-8).
* 审批效率 (``approval``): the district's approval-efficiency indicators (SP-01 … SP-04) across periods and their
  breakdown by department for the latest period, as the evaluation computed them from XZSP-0002.

* 企业经营风险 (``business_risk``): the risk app's current scores (``risk.RiskScore``, a lower layer read directly):
  entities per risk level and the mean score, by industry section and by registration area.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.utils import timezone

CLOSED_STATUSES = ("注销", "吊销", "吊销,未注销", "吊销,已注销")
SECTIONS = {"A": "农、林、牧、渔业", "B": "采矿业", "C": "制造业", "D": "电力、热力、燃气及水生产和供应业",
            "E": "建筑业", "F": "批发和零售业", "G": "交通运输、仓储和邮政业", "H": "住宿和餐饮业",
            "I": "信息传输、软件和信息技术服务业", "J": "金融业", "K": "房地产业", "L": "租赁和商务服务业",
            "M": "科学研究和技术服务业", "N": "水利、环境和公共设施管理业", "O": "居民服务、修理和其他服务业",
            "P": "教育", "Q": "卫生和社会工作", "R": "文化、体育和娱乐业", "S": "公共管理、社会保障和社会组织",
            "T": "国际组织"}
APPROVAL_CODES = ("SP-01", "SP-02", "SP-03", "SP-04")


def _months(today: dt.date, count: int) -> list[str]:
    year, month = today.year, today.month
    out = []
    for _ in range(count):
        out.append(f"{year}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _section(industry: str) -> str:
    letter = (industry or "").strip()[:1].upper()
    return f"{letter} {SECTIONS[letter]}" if letter in SECTIONS else "未分类"


def entry_trend(params: dict, today: dt.date) -> dict:
    from regshare.entities.models import Entity

    months = _months(today, max(1, min(int(params.get("months") or 12), 36)))
    first = dt.date.fromisoformat(months[0] + "-01")
    new: Counter = Counter()
    closed: Counter = Counter()
    for established, industry, code in Entity.objects.filter(established__gte=first, established__lte=today) \
            .values_list("established", "industry", "uscc"):
        month = established.strftime("%Y-%m")
        new[("all", month)] += 1
        new[("industry", _section(industry), month)] += 1
        new[("area", code[2:8], month)] += 1
    for updated, industry, code in Entity.objects.filter(status__in=CLOSED_STATUSES, updated_at__date__gte=first) \
            .values_list("updated_at", "industry", "uscc"):
        month = timezone.localtime(updated).strftime("%Y-%m")
        closed[("all", month)] += 1
        closed[("industry", _section(industry), month)] += 1
        closed[("area", code[2:8], month)] += 1

    def series(kind: str) -> dict:
        keys = sorted({k[1] for k in (*new, *closed) if k[0] == kind})
        return {key: {"new": [new[(kind, key, m)] for m in months], "closed": [closed[(kind, key, m)] for m in months]}
                for key in keys}

    return {"months": months,
            "total": {"new": [new[("all", m)] for m in months], "closed": [closed[("all", m)] for m in months]},
            "by_industry": series("industry"), "by_area": series("area")}


def approval(params: dict, today: dt.date) -> dict:
    from .models import Indicator, IndicatorValue

    indicators = list(Indicator.objects.filter(code__in=APPROVAL_CODES).order_by("code"))
    values = IndicatorValue.objects.filter(indicator__in=indicators, industry="").select_related("department",
                                                                                                "indicator")
    periods = sorted({v.period for v in values if v.department_id is None})
    overall = {i.code: [None] * len(periods) for i in indicators}
    by_department: dict[str, dict[str, float]] = {}
    latest = periods[-1] if periods else None
    for v in values:
        if v.department_id is None and v.period in periods:
            overall[v.indicator.code][periods.index(v.period)] = round(v.value, 4)
        elif v.period == latest and v.department_id is not None:
            by_department.setdefault(v.department.name, {})[v.indicator.code] = round(v.value, 4)
    return {"indicators": [{"code": i.code, "name": i.name, "unit": i.unit} for i in indicators],
            "periods": periods, "overall": overall, "latest": latest, "by_department": by_department}


def business_risk(params: dict, today: dt.date) -> dict:
    from regshare.risk.models import RiskScore

    levels = ["A", "B", "C", "D"]
    groups: dict[str, dict[str, dict]] = {"by_industry": {}, "by_area": {}}
    total = Counter()
    for level, score, industry, code in RiskScore.objects.values_list("level", "score", "entity__industry",
                                                                       "entity__uscc"):
        total[level] += 1
        for kind, key in (("by_industry", _section(industry)), ("by_area", code[2:8])):
            row = groups[kind].setdefault(key, {"levels": dict.fromkeys(levels, 0), "count": 0, "sum": 0.0})
            row["levels"][level] = row["levels"].get(level, 0) + 1
            row["count"] += 1
            row["sum"] += score
    for rows in groups.values():
        for row in rows.values():
            row["mean_score"] = round(row.pop("sum") / row["count"], 2)
    return {"levels": levels, "total": {lv: total[lv] for lv in levels}, **groups}


ANALYSES = {"entry_trend": entry_trend, "approval": approval, "business_risk": business_risk}
