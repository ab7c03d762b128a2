"""Publicity and list periods, from national rules (see docs/DECISIONS.md ## Credit).

- 双公示: licences and penalties are published within 7 working days of the decision (seed 003 §19).
- Penalty publicity (《失信行为纠正后的信用信息修复管理办法(试行)》国家发展改革委令2023年第58号):
  简易程序 penalties are not published; 一般失信 published for at most 1 year, repair may be asked
  after 3 months; 严重失信 published for at most 3 years, repair after 1 year.
- 经营异常名录 three years without remedy → 严重违法失信名单 (《企业信息公示暂行条例》第十七条,
  《市场监督管理严重违法失信名单管理办法》第十四条); the serious list ends after 3 years (same 办法 第二十一条).
"""

from __future__ import annotations

import datetime as dt

PUBLISH_WITHIN_WORKDAYS = 7
REPAIR_DECISION_WORKDAYS = 5

# severity -> (max publicity in months, minimum months before repair may be asked)
PENALTY_PERIODS = {"general": (12, 3), "serious": (36, 12)}
ABNORMAL_TO_SERIOUS_YEARS = 3
SERIOUS_LIST_YEARS = 3


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def add_years(day: dt.date, years: int) -> dt.date:
    return add_months(day, 12 * years)
