"""Risk indicators per entity, declared as data and computed column-wise in one SQL statement through
``regshare.lake.engine`` (DuckDB today; the SQL keeps to what Spark SQL also reads: CASE sums, CTEs, window
counts, no date arithmetic: window starts arrive as columns of the one-row ``params`` table).

The statement reads registered tables, whatever made them: the Django records (``sources.from_database``)
or Arrow tables generated in process (``bench/risk.py``):

- ``params``: ``today``, ``d30``, ``d90``, ``d365``, ``d1095`` (dates), ``today_n`` (days since 1970),
  ``label_end`` (date: the end of the label window, for ``labels``)
- ``entities``: ``entity_id``, ``uscc``, ``industry``, ``legal_rep``, ``legal_rep_id``, ``phone``, ``address``,
  ``established`` (date), ``established_n`` (days since 1970)
- ``credit_records``: ``entity_id``, ``kind``, ``severity``, ``outcome``, ``day``, ``raw_legal_rep``, ``raw_address``
- ``complaints``: ``entity_id``, ``day``, ``food`` (bool)
- ``list_entries``: ``entity_id``, ``list_type``, ``cause``, ``listed_on``, ``removed_on``
- ``licences``: ``uscc``, ``license_name``, ``valid_to``
- ``feedback``: ``entity_id``, ``day``, ``confirmed`` (closed alerts: a label for the next training)

Every indicator is counted as of ``today`` from rows dated on or before it, so the same definitions give
the features at a past cut date for a time-based training split.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str  # how a reason names it: "近30日投诉举报"
    definition: str
    sources: tuple[str, ...]  # the resources and records it is counted from
    window_days: int | None
    unit: str
    source: str  # the row source in SOURCES
    expr: str  # an aggregate over the source's rows of one entity


def _in(column: str, start: str) -> str:
    return f"{column} > p_{start} AND {column} <= p_today"


COMPLAINTS = ("12345工单(CGJ-0001)", "投诉举报信用记录")
RECORDS = ("行政处罚信息(SCJG-0002)", "信用记录")
LISTS = ("经营异常名录(SCJG-0003)", "严重违法失信名单(SCJG-0004)", "信用名单记录")
MASTER = ("法人库(SCJG-0001)",)

INDICATORS: tuple[Indicator, ...] = (
    Indicator("complaints_30d", "近30日投诉举报", "评价日前30日内受理的投诉举报件数", COMPLAINTS, 30, "件", "complaints",
              f"sum(CASE WHEN {_in('day', 'd30')} THEN 1 ELSE 0 END)"),
    Indicator("complaints_90d", "近90日投诉举报", "评价日前90日内受理的投诉举报件数", COMPLAINTS, 90, "件", "complaints",
              f"sum(CASE WHEN {_in('day', 'd90')} THEN 1 ELSE 0 END)"),
    Indicator("complaints_365d", "近一年投诉举报", "评价日前365日内受理的投诉举报件数", COMPLAINTS, 365, "件", "complaints",
              f"sum(CASE WHEN {_in('day', 'd365')} THEN 1 ELSE 0 END)"),
    Indicator("food_complaints_30d", "近30日食品类投诉", "评价日前30日内涉及食品安全的投诉举报件数", COMPLAINTS, 30, "件",
              "complaints", f"sum(CASE WHEN food AND {_in('day', 'd30')} THEN 1 ELSE 0 END)"),
    Indicator("penalties_3y", "近三年行政处罚", "评价日前三年内的行政处罚决定数", RECORDS, 1095, "次", "credit",
              f"sum(CASE WHEN kind = 'penalty' AND {_in('day', 'd1095')} THEN 1 ELSE 0 END)"),
    Indicator("serious_penalties_3y", "近三年严重失信处罚", "评价日前三年内失信程度为严重的行政处罚数", RECORDS, 1095, "次",
              "credit", f"sum(CASE WHEN kind = 'penalty' AND severity = 'serious' AND {_in('day', 'd1095')} "
                        "THEN 1 ELSE 0 END)"),
    Indicator("failed_inspections_3y", "近三年检查发现问题", "评价日前三年内监督检查、双随机抽查发现问题的次数", RECORDS,
              1095, "次", "credit",
              f"sum(CASE WHEN kind = 'inspection' AND outcome = 'failed' AND {_in('day', 'd1095')} THEN 1 ELSE 0 END)"),
    Indicator("list_entries", "在列失信名单", "评价日仍在经营异常名录、严重违法失信名单等名单中的记录数(不含红名单)", LISTS,
              None, "条", "lists",
              "sum(CASE WHEN list_type <> 'red' AND listed_on <= p_today AND (removed_on IS NULL OR removed_on > p_today) "
              "THEN 1 ELSE 0 END)"),
    Indicator("missed_reports_3y", "近三年未按期报送年报", "评价日前三年内因未按规定期限公示年度报告被列入经营异常名录的次数",
              LISTS, 1095, "次", "lists",
              f"sum(CASE WHEN cause = 'annual_report' AND {_in('listed_on', 'd1095')} THEN 1 ELSE 0 END)"),
    Indicator("expired_licences", "许可证过期未延续", "有效期在评价日前一年内届满且无更新有效期的行政许可种类数",
              ("行政许可信息(XZSP-0001)",), 365, "项", "licences",
              f"sum(CASE WHEN {_in('valid_to', 'd365')} AND valid_to < p_today THEN 1 ELSE 0 END)"),
    Indicator("legal_rep_changes_3y", "近三年法定代表人变更", "近三年信用记录所载法定代表人中与现登记不同的人数", RECORDS + MASTER,
              1095, "人", "history",
              f"count(DISTINCT CASE WHEN raw_legal_rep <> '' AND raw_legal_rep <> legal_rep AND {_in('day', 'd1095')} "
              "THEN raw_legal_rep END)"),
    Indicator("address_changes_3y", "近三年住所变更", "近三年信用记录所载住所中与现登记不同的地址数", RECORDS + MASTER, 1095, "处",
              "history", f"count(DISTINCT CASE WHEN raw_address <> '' AND raw_address <> address AND "
                         f"{_in('day', 'd1095')} THEN raw_address END)"),
    Indicator("age_years", "成立年限", "自成立日期至评价日的年数(保留一位小数)", MASTER, None, "年", "facts",
              "max(CASE WHEN established_n IS NULL THEN 0 ELSE round((p_today_n - established_n) / 365.25, 1) END)"),
    Indicator("address_cluster", "同一住所登记主体数", "与本主体住所相同的市场主体数(含本主体)", MASTER, None, "户", "facts",
              "max(address_cluster)"),
    Indicator("phone_cluster", "同一联系电话主体数", "与本主体联系电话相同的市场主体数(含本主体)", MASTER, None, "户", "facts",
              "max(phone_cluster)"),
    Indicator("listed_links", "关联失信主体数", "与本主体共用法定代表人身份证号、住所或联系电话且在列失信名单的其他主体数",
              MASTER + LISTS, None, "户", "links", "count(DISTINCT other)"),
)
BY_CODE = {i.code: i for i in INDICATORS}
FEATURES = [i.code for i in INDICATORS]
INDICATOR_CHOICES = [(i.code, i.label) for i in INDICATORS]

# Row sources: every one reads the entities alive on the evaluation day (``base``) and the parameters
# (``p``: every column prefixed ``p_`` so that no source column is shadowed).
SOURCES = {
    "complaints": "SELECT c.entity_id, c.day, c.food, p.* FROM complaints c CROSS JOIN p",
    "credit": "SELECT r.entity_id, r.kind, r.severity, r.outcome, r.day, p.* FROM credit_records r CROSS JOIN p",
    "lists": "SELECT l.entity_id, l.list_type, l.cause, l.listed_on, l.removed_on, p.* FROM list_entries l CROSS JOIN p",
    "licences": "SELECT b.entity_id, x.license_name, max(x.valid_to) AS valid_to, max(p.p_today) AS p_today, "
                "max(p.p_d365) AS p_d365 FROM licences x JOIN base b ON b.uscc = x.uscc CROSS JOIN p "
                "GROUP BY b.entity_id, x.license_name",
    "history": "SELECT r.entity_id, r.day, r.raw_legal_rep, r.raw_address, b.legal_rep, b.address, p.* "
               "FROM credit_records r JOIN base b ON b.entity_id = r.entity_id CROSS JOIN p",
    "facts": "SELECT b.entity_id, b.established_n, p.*, "
             "CASE WHEN b.address = '' THEN 1 ELSE count(*) OVER (PARTITION BY b.address) END AS address_cluster, "
             "CASE WHEN b.phone = '' THEN 1 ELSE count(*) OVER (PARTITION BY b.phone) END AS phone_cluster FROM base b "
             "CROSS JOIN p",
    "links": "SELECT a.entity_id, b.entity_id AS other FROM link_keys a JOIN link_keys b ON a.k = b.k AND a.v = b.v "
             "AND a.entity_id <> b.entity_id WHERE b.entity_id IN (SELECT entity_id FROM listed)",
}

_COMMON = (
    "p AS (SELECT today AS p_today, d30 AS p_d30, d90 AS p_d90, d365 AS p_d365, d1095 AS p_d1095, "
    "today_n AS p_today_n, label_end AS p_label_end FROM params), "
    "base AS (SELECT e.* FROM entities e CROSS JOIN p WHERE e.established IS NULL OR e.established <= p.p_today), "
    "listed AS (SELECT DISTINCT l.entity_id FROM list_entries l CROSS JOIN p WHERE l.list_type <> 'red' "
    "AND l.listed_on <= p.p_today AND (l.removed_on IS NULL OR l.removed_on > p.p_today)), "
    "link_keys AS (SELECT entity_id, 'person' AS k, legal_rep_id AS v FROM base WHERE legal_rep_id <> '' "
    "UNION ALL SELECT entity_id, 'phone' AS k, phone AS v FROM base WHERE phone <> '' "
    "UNION ALL SELECT entity_id, 'address' AS k, address AS v FROM base WHERE address <> '')"
)


def indicator_sql(indicators: tuple[Indicator, ...] = INDICATORS) -> str:
    """One statement: per source, its indicators aggregated per entity; then one row per alive entity."""
    ctes, columns, joins = [_COMMON], [], []
    for source in dict.fromkeys(i.source for i in indicators):
        mine = [i for i in indicators if i.source == source]
        aggregates = ", ".join(f"{i.expr} AS {i.code}" for i in mine)
        ctes.append(f"src_{source} AS ({SOURCES[source]}), "
                    f"agg_{source} AS (SELECT entity_id, {aggregates} FROM src_{source} GROUP BY entity_id)")
        joins.append(f"LEFT JOIN agg_{source} ON agg_{source}.entity_id = base.entity_id")
        columns += [f"CAST(coalesce(agg_{source}.{i.code}, 0) AS DOUBLE) AS {i.code}" for i in mine]
    return (f"WITH {', '.join(ctes)} SELECT base.entity_id, {', '.join(columns)} FROM base {' '.join(joins)} "
            "ORDER BY base.entity_id")


LABEL_SQL = (
    f"WITH {_COMMON}, hits AS ("
    "SELECT r.entity_id FROM credit_records r CROSS JOIN p WHERE r.kind = 'penalty' "
    "AND r.severity IN ('general', 'serious') AND r.day > p.p_today AND r.day <= p.p_label_end "
    "UNION ALL SELECT l.entity_id FROM list_entries l CROSS JOIN p WHERE l.list_type <> 'red' "
    "AND l.listed_on > p.p_today AND l.listed_on <= p.p_label_end "
    "UNION ALL SELECT f.entity_id FROM feedback f CROSS JOIN p WHERE f.confirmed AND f.day > p.p_today "
    "AND f.day <= p.p_label_end) "
    "SELECT base.entity_id, CASE WHEN base.entity_id IN (SELECT entity_id FROM hits) THEN 1 ELSE 0 END AS label "
    "FROM base ORDER BY base.entity_id"
)
FEEDBACK_SQL = (f"WITH {_COMMON} SELECT count(DISTINCT f.entity_id) FROM feedback f CROSS JOIN p "
                "WHERE f.confirmed AND f.day > p.p_today AND f.day <= p.p_label_end")


def params(today: dt.date, label_days: int = 365) -> pa.Table:
    import pyarrow as pa

    def day(value: dt.date) -> pa.Array:
        return pa.array([value], pa.date32())

    return pa.table({"today": day(today), "d30": day(today - dt.timedelta(days=30)),
                     "d90": day(today - dt.timedelta(days=90)), "d365": day(today - dt.timedelta(days=365)),
                     "d1095": day(today - dt.timedelta(days=1095)),
                     "today_n": pa.array([(today - dt.date(1970, 1, 1)).days], pa.int32()),
                     "label_end": day(today + dt.timedelta(days=label_days))})


def _session(tables: dict, today: dt.date, label_days: int, bulk: bool):
    from regshare.lake import engine

    registered = {**tables, "params": params(today, label_days)}
    return engine.bulk_session(tables=registered) if bulk else engine.session(tables=registered)


def compute(tables: dict, today: dt.date, *, bulk: bool = False) -> pa.Table:
    """The indicator table (``entity_id`` and one float column per indicator) as of ``today``."""
    with _session(tables, today, 365, bulk) as s:
        return s.table(indicator_sql())


def labels(tables: dict, cut: dt.date, label_days: int = 365, *, bulk: bool = False) -> tuple[pa.Table, int]:
    """Per entity alive at ``cut``: 1 if penalised (general or serious) or listed, or an alert on it was closed
    as confirmed, in the ``label_days`` after ``cut``; and how many entities the alert feedback labelled."""
    with _session(tables, cut, label_days, bulk) as s:
        return s.table(LABEL_SQL), int(s.scalar(FEEDBACK_SQL) or 0)


def describe(code: str, value: float) -> str:
    """An indicator value in words: 近30日投诉举报3件, 成立年限0.4年."""
    indicator = BY_CODE[code]
    shown = f"{value:.1f}" if indicator.unit == "年" else f"{int(round(value))}"
    return f"{indicator.label}{shown}{indicator.unit}"
