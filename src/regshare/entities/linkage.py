"""Probabilistic record linkage (Splink) of records without a usable code to the master.

Input and output are Arrow tables so the same function serves the app (a resource version, a
batch of credit records) and the benchmark (a million entities). The m-probabilities are fixed
from what we know of how departments mistype entities (a name typo is rarer than a missing legal
representative); u-probabilities are computed from the master's value frequencies, and the prior
is one true match among the master's N entities. No training step: the result is deterministic.
See docs/DECISIONS.md.

It runs on the configured query engine (``REGSHARE_ENGINE``: DuckDB or Spark) through a session of
``lake.engine``; the SQL that differs between the two comes from the session's ``Dialect``, and every
step gives the same links on both (edit distances count characters on both, the sample of the master is
chosen by an MD5 order both compute alike).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from regshare.core.lazy import lazy_module
from regshare.lake import engine

from .codes import normalize_names_arrow

pa = lazy_module("pyarrow")
pc = lazy_module("pyarrow.compute")

COLUMNS = ("name_norm", "name_core", "legal_rep", "address", "established")
# Place names a district's companies put in front of their names (or leave out); stripped to compare the
# trade name itself. A deployment elsewhere sets REGSHARE_PLACE_NAMES.
DEFAULT_PLACE_NAMES = ("江西省", "江西", "九江市", "九江", "柴桑区", "柴桑", "浔阳区", "浔阳", "濂溪区", "濂溪")
_SUFFIXES = ("股份公司", "公司", "专业合作社", "经营部", "商行", "店", "厂")
# Edit distance, in characters, of "one mistyped character" (a substitution, an insertion or a deletion).
ONE_EDIT = 1
# Intermediate tables of ``link``, dropped before its session closes (on Spark they are cached in memory the
# whole process shares).
# No work table's query has a WITH clause: Spark does not recognise a cached query with a common table
# expression when a later query reads it, and computes it all over again.
_WORK_TABLES = ("ml", "rl", "rq", "rk", "mk", "pairs", "near", "cores", "fulls", "ranked", "best", "standing")


@dataclass(frozen=True)
class LinkThresholds:
    accept: float = 0.70   # at or above: linked automatically
    rival: float = 0.75    # a second candidate this likely sends the record to review instead
    review: float = 0.10   # between review and accept: a candidate in the review queue


def prepare(table: pa.Table, id_column: str, *, name: str = "name", legal_rep: str = "legal_rep",
            address: str = "address", established: str = "established") -> pa.Table:
    """Project a table onto the linkage columns, with names normalised column-wise."""

    def col(column_name: str) -> pa.ChunkedArray:
        if column_name in table.column_names:
            return table.column(column_name).cast(pa.string())
        return pa.chunked_array([pa.nulls(table.num_rows, pa.string())])

    names = normalize_names_arrow(col(name))
    return pa.table({
        "unique_id": table.column(id_column).cast(pa.string()),
        "name_norm": names,
        "name_core": name_core_arrow(names),
        "legal_rep": col(legal_rep),
        "address": col(address),
        "established": col(established),
    })


def place_names() -> tuple[str, ...]:
    try:
        from django.conf import settings

        return tuple(getattr(settings, "REGSHARE_PLACE_NAMES", DEFAULT_PLACE_NAMES))
    except Exception:  # the benchmark runs without Django settings
        return DEFAULT_PLACE_NAMES


def name_core_arrow(names):
    """The trade name: normalised name without leading place names and the trailing legal form."""
    places = "|".join(sorted(place_names(), key=len, reverse=True))
    core = pc.replace_substring_regex(names, f"^(?:(?:{places}))+", "")
    core = pc.replace_substring_regex(core, f"(?:{'|'.join(_SUFFIXES)})$", "")
    return core


def _collision(con: engine.Session, column: str, n: int) -> float:
    """P(two random master rows share a non-empty value of ``column``), from the value frequencies."""
    squares, total = con.sql(
        f"SELECT sum(c * c), sum(c) FROM (SELECT count(*) AS c FROM m_in "
        f"WHERE {column} IS NOT NULL AND {column} <> '' GROUP BY {column})").fetchall()[0]
    if not total:
        return 1.0 / max(n, 2)
    return min(max(float(squares) / float(total) ** 2, 0.5 / max(n, 2)), 0.5)


def _near_miss(con: engine.Session, n: int) -> float:
    """P(two random trade names differ by one character), on a fixed 2,000 × 2,000 sample of the master.

    A 1,000 × 1,000 sample costs a quarter but at 1M entities its noisier estimate cost 3 points of recall.
    The sample is the first 2,000 by the MD5 of the code: as random as a seeded sample, and the same rows on
    every engine (each engine's own sampling picks other rows, and the estimate would differ).
    """
    d = con.dialect
    (share,) = con.sql(f"""
        WITH s AS (SELECT name_core FROM m_in WHERE name_core <> '' ORDER BY {d.md5('unique_id')} LIMIT 2000)
        SELECT avg(CASE WHEN a.name_core <> b.name_core AND {d.edit_distance('a.name_core', 'b.name_core')} <= {ONE_EDIT}
                        THEN 1.0 ELSE 0.0 END)
        FROM s a, s b""").fetchall()[0]
    return min(max(float(share or 0.0), 1.0 / max(n, 2)), 0.2)


def _settings(con: engine.Session, n_master: int):
    """Fixed m-probabilities (how departments mistype entities); u-probabilities computed from the
    master's value frequencies (exact levels) and a fixed sample (one-character near misses)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    n = max(n_master, 2)
    name_u = _collision(con, "name_core", n)
    near1 = _near_miss(con, n)
    # Edit distance on the trade name: one mistyped character is the common error in hand-entered records,
    # and among random pairs a distance of 1 is rare, so it carries much more weight than a similarity score.
    # Splink writes each engine's levenshtein; DuckDB (2.x) and Spark both count characters, not bytes.
    name_cmp = cl.LevenshteinAtThresholds("name_core", [ONE_EDIT]).configure(
        m_probabilities=[0.72, 0.22, 0.06], u_probabilities=[name_u, near1, 1 - name_u - near1])
    rep_u = _collision(con, "legal_rep", n)
    rep_cmp = cl.ExactMatch("legal_rep").configure(m_probabilities=[0.92, 0.08], u_probabilities=[rep_u, 1 - rep_u])
    addr_u = _collision(con, "address", n)
    addr_cmp = cl.ExactMatch("address").configure(m_probabilities=[0.80, 0.20],
                                                   u_probabilities=[addr_u, 1 - addr_u])
    date_u = _collision(con, "established", n)
    date_cmp = cl.ExactMatch("established").configure(m_probabilities=[0.90, 0.10],
                                                       u_probabilities=[date_u, 1 - date_u])
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=1.0 / n,
        blocking_rules_to_generate_predictions=[
            block_on("name_core"),
            block_on("legal_rep", "substr(name_core, 1, 1)"),
            block_on("legal_rep", "substr(name_core, -2, 2)"),
            block_on("address"),
        ],
        comparisons=[name_cmp, rep_cmp, addr_cmp, date_cmp],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def _loose_form_sql() -> str:
    """A regex (RE2 and Java alike) for a legal form with one mistyped character ("股晟公司", "有淼责任公司").

    ``normalize_name`` only shortens a legal form it recognises, so one typo in it leaves a name two to four
    characters longer than the registered one. Only the part before "公司" is fuzzed, and not "有限" of
    "有限公司": "有." or ".限" would also eat the end of trade names such as 有色 or 有为 (a typo in "公司" or
    in "有限公司" itself is not caught).
    """
    fuzzed = ("有限责任", "股份有限", "股份")
    variants = sorted({f[:i] + "." + f[i + 1:] for f in fuzzed for i in range(len(f))} | set(fuzzed) | {"有限"},
                      key=len, reverse=True)
    return f"(?:{'|'.join(variants)})公司$"


def _near_unique(con: engine.Session) -> None:
    """Table ``near``: records whose name is one character away from exactly one registered name.

    Names are compared whole (place prefix and legal form included, the legal form canonicalised even
    with a typo in it), so a typo in the place name or the legal form counts as one character, like one
    in the trade name. Candidates come from single-deletion keys (a name and every name with one character
    removed): two names one substitution, insertion or deletion apart share a key, and the keys are long,
    so the join is selective. Only records without a registered name equal to theirs are looked at (a
    typo in the legal form may make the canonicalised name equal to one); the edit distance (in characters)
    is checked afterwards.
    """
    d = con.dialect
    form = d.literal(_loose_form_sql())
    share_form = d.literal("(?:股.|.份)(?:有限|..)?公司$")
    for side, source in (("ml", "m_in"), ("rl", "r_in")):
        # The pattern ends in "公司$": it matches once at most, so replacing every match replaces that one.
        con.execute(d.create_table(side, f"""
            SELECT unique_id, legal_rep,
                   CASE WHEN {d.regex_matches('name_norm', form)}
                        THEN {d.regex_replace('name_norm', form, f"CASE WHEN {d.regex_matches('name_norm', share_form)} THEN '股份公司' ELSE '公司' END")}
                        ELSE name_norm END AS loose
            FROM {source} WHERE name_norm <> ''"""))
    con.execute(d.create_table("rq", """
        SELECT rl.* FROM rl JOIN r_in r USING (unique_id)
        WHERE length(rl.loose) >= 4 AND NOT EXISTS (SELECT 1 FROM m_in m WHERE m.name_norm = r.name_norm)"""))
    keys = f"""SELECT unique_id, loose, CASE WHEN i = 0 THEN loose
                                             ELSE substr(loose, 1, i - 1) || substr(loose, i + 1) END AS k
               FROM (SELECT unique_id, loose, {d.each_integer('length(loose)')} AS i FROM {{t}}) positions"""
    con.execute(d.create_table("rk", keys.format(t="rq")))
    con.execute(d.create_table(
        "mk", f"SELECT * FROM ({keys.format(t='ml')}) master_keys WHERE k IN (SELECT k FROM rk)"))
    con.execute(d.create_table("pairs", f"""
        SELECT record_id, any_value(uscc) AS uscc, count(*) AS n
        FROM (SELECT DISTINCT rk.unique_id AS record_id, mk.unique_id AS uscc
              FROM rk JOIN mk USING (k) WHERE {d.edit_distance('rk.loose', 'mk.loose')} <= {ONE_EDIT}) one_edit
        GROUP BY record_id"""))
    con.execute(d.create_table("near", """
        SELECT c.record_id, c.uscc FROM pairs c
        JOIN ml m ON m.unique_id = c.uscc JOIN rq r ON r.unique_id = c.record_id
        WHERE c.n = 1 AND NOT (m.legal_rep IS NOT NULL AND r.legal_rep IS NOT NULL AND m.legal_rep <> r.legal_rep)"""))


def link(master: pa.Table, records: pa.Table, thresholds: LinkThresholds | None = None) -> pa.Table:
    """Best master match of every record: record_id, uscc, match_weight, match_probability, runner_up,
    unique_name (accept although the probability is below the threshold; see ``classify``).

    ``master`` and ``records`` come from ``prepare`` (master's unique_id is the USCC). ``thresholds``
    decides which Splink matches already stand; the others may be replaced by a one-edit unique name.
    Runs on the configured query engine.
    """
    from splink import Linker

    limits = thresholds or LinkThresholds()
    if records.num_rows == 0 or master.num_rows == 0:
        return pa.table({"record_id": pa.array([], pa.string()), "uscc": pa.array([], pa.string()),
                         "match_weight": pa.array([], pa.float64()),
                         "match_probability": pa.array([], pa.float64()),
                         "runner_up": pa.array([], pa.float64()), "unique_name": pa.array([], pa.bool_())})
    logging.getLogger("splink").setLevel(logging.ERROR)
    con = engine.open_session(settings=engine.Settings(threads=2))
    linker = None
    try:
        con.register("m_in", master)
        con.register("r_in", records)
        # Splink runs its SQL on the session's own connection and reads the tables registered above.
        db_api = con.dialect.splink_api(con.con)
        left = db_api.register("m_in", dataset_display_name="master")
        right = db_api.register("r_in", dataset_display_name="records")
        linker = Linker([left, right], _settings(con, master.num_rows), log_level=None)
        predictions = linker.inference.predict(threshold_match_probability=0.01)
        return _best(con, predictions.physical_name, limits)
    finally:
        _drop_work_tables(con, linker)
        con.close()


def _best(con: engine.Session, predictions: str, limits: LinkThresholds) -> pa.Table:
    """One row per record: Splink's best pair, or the one-edit unique name where Splink's does not stand."""
    d = con.dialect
    _near_unique(con)
    # Splink's pairs, oriented: which side is the record and which the registered entity.
    con.execute(f"""
        CREATE TEMPORARY VIEW p AS
        SELECT CASE WHEN source_dataset_l = 'master' THEN unique_id_r ELSE unique_id_l END AS record_id,
               CASE WHEN source_dataset_l = 'master' THEN unique_id_l ELSE unique_id_r END AS uscc,
               match_weight, match_probability
        FROM {predictions}
    """)
    # A record whose trade name (or whole name) equals exactly one registered entity's, with no disagreeing
    # legal representative, is accepted even when Splink's posterior stays low for lack of other fields:
    # among N entities the prior is 1/N, so a unique name alone cannot reach the accept threshold. Among
    # candidates of equal weight, the one whose whole name is equal comes first.
    con.execute(d.create_table(
        "cores", "SELECT name_core, count(*) AS n FROM m_in WHERE name_core <> '' GROUP BY name_core"))
    con.execute(d.create_table(
        "fulls", "SELECT name_norm, count(*) AS n FROM m_in WHERE name_norm <> '' GROUP BY name_norm"))
    con.execute(d.create_table("ranked", """
        SELECT p.*, m.name_norm = r.name_norm AS same_name, row_number() OVER w AS rn,
               -- a rival 2^-5 as likely as the best (e.g. another name sharing the legal representative
               -- against the equal name with it) is no reason for review: the two are exclusive
               CASE WHEN match_weight - lead(match_weight) OVER w < 5
                    THEN lead(match_probability) OVER w END AS runner_up
        FROM p JOIN m_in m ON m.unique_id = p.uscc JOIN r_in r ON r.unique_id = p.record_id
        WINDOW w AS (PARTITION BY record_id ORDER BY match_weight DESC, m.name_norm = r.name_norm DESC, uscc)"""))
    con.execute(d.create_table("best", """
        SELECT ranked.record_id, ranked.uscc, ranked.match_weight, ranked.match_probability,
               coalesce(ranked.runner_up, 0.0) AS runner_up,
               coalesce(((m.name_core = r.name_core AND cores.n = 1) OR (ranked.same_name AND fulls.n = 1))
                        AND NOT (m.legal_rep IS NOT NULL AND r.legal_rep IS NOT NULL AND m.legal_rep <> r.legal_rep),
                        false) AS unique_name
        FROM ranked
        JOIN m_in m ON m.unique_id = ranked.uscc
        JOIN r_in r ON r.unique_id = ranked.record_id
        LEFT JOIN cores ON cores.name_core = m.name_core
        LEFT JOIN fulls ON fulls.name_norm = m.name_norm
        WHERE rn = 1
    """))
    # A record that Splink does not link, whose name is one character away from exactly one registered
    # name (and no registered name equals it), is linked to that entity: the typo is the likeliest story.
    # Its weight and probability are Splink's for that pair when Splink scored it.
    con.execute(d.create_table("standing", f"""
        SELECT * FROM best
        WHERE runner_up < {limits.rival} AND (match_probability >= {limits.accept} OR unique_name)"""))
    # The literals are typed (0.0 is a decimal in both engines): the columns have the same types everywhere.
    return con.sql("""
        SELECT * FROM standing
        UNION ALL
        SELECT n.record_id, n.uscc, coalesce(p.match_weight, CAST(0 AS DOUBLE)),
               coalesce(p.match_probability, CAST(0 AS DOUBLE)), CAST(0 AS DOUBLE), true
        FROM near n LEFT JOIN p ON p.record_id = n.record_id AND p.uscc = n.uscc
        WHERE n.record_id NOT IN (SELECT record_id FROM standing)
        UNION ALL
        SELECT * FROM best
        WHERE record_id NOT IN (SELECT record_id FROM standing) AND record_id NOT IN (SELECT record_id FROM near)
        ORDER BY record_id
    """).to_arrow_table()


def _drop_work_tables(con: engine.Session, linker: Any) -> None:
    """Drop ``link``'s and Splink's intermediate tables: on Spark they stay cached in the process's shared
    context after the session closes; on DuckDB closing would free them anyway."""
    d = con.dialect
    con.execute("DROP VIEW IF EXISTS p")
    for name in _WORK_TABLES:
        con.execute(d.drop_table(name))
    if linker is not None:
        linker.table_management.delete_tables_created_by_splink_from_db()


def classify(probability: float, runner_up: float, thresholds: LinkThresholds, unique_name: bool = False) -> str:
    """linked / candidate / unmatched; two close strong candidates go to review, not to a guess."""
    if runner_up < thresholds.rival and (probability >= thresholds.accept or unique_name):
        return "linked"
    if probability >= thresholds.review:
        return "candidate"
    return "unmatched"
