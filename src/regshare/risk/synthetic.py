"""A synthetic register with planted risk, generated column-wise (numpy → Arrow) in the shapes of
``sources.SCHEMAS``: for the benchmark at a million entities and the model tests at a few hundred.

Each entity has a hidden tier (clean, medium, high, very high) that sets its yearly rates of complaints,
penalties, failed inspections and listings, from four years before ``today`` to one year after it; the
year after ``today`` is the truth a score made on ``today`` is judged against. Planted structure:

- shell clusters: groups of twelve entities registered within the last year at one address and one phone,
  high risk, with little history of their own;
- person networks: one legal representative behind four entities, three of them already listed; the fourth
  is very high risk.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .sources import SCHEMAS

EPOCH = dt.date(1970, 1, 1)
TIERS = np.array(["clean", "medium", "high", "very_high"])
TIER_SHARE = (0.70, 0.22, 0.07, 0.01)
# per year: complaints, penalties (general or serious), failed inspections, listings
RATES = np.array([[0.05, 0.01, 0.02, 0.005],
                  [0.30, 0.06, 0.10, 0.02],
                  [1.20, 0.35, 0.40, 0.10],
                  [4.00, 1.50, 1.20, 0.50]])
INDUSTRIES = np.array(["F5211", "I6513", "E4710", "C1391", "H6210", "L7212", "G5430", "C3130"])
SHELL_SIZE = 12
PERSON_SIZE = 4


@dataclass
class Planted:
    tables: dict[str, pa.Table]
    tier: np.ndarray
    shell: np.ndarray  # bool per entity
    person_linked: np.ndarray  # bool: the unlisted entity of a person network


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype("datetime64[D]"), pa.date32())


def generate(n: int, today: dt.date, seed: int = 7) -> Planted:
    rng = np.random.default_rng(seed)
    t = (today - EPOCH).days
    ids = np.arange(1, n + 1, dtype=np.int64)
    tier = rng.choice(4, size=n, p=TIER_SHARE)
    established = t - rng.integers(400, 365 * 20, size=n)
    address = np.char.add("柴桑区某路", ids.astype(str))
    phone = np.char.add("139", np.char.zfill(ids.astype(str), 8))
    rep_id = np.char.add("P", ids.astype(str))
    rep = np.char.add("法人", ids.astype(str))

    shell = np.zeros(n, dtype=bool)
    clusters = max(1, n // 2000) if n >= 2 * SHELL_SIZE * 10 else 1
    order = rng.permutation(n)
    shell_rows = order[:clusters * SHELL_SIZE].reshape(clusters, SHELL_SIZE)
    for c, rows in enumerate(shell_rows):
        shell[rows] = True
        address[rows] = f"柴桑区创业大厦{c}室"
        phone[rows] = f"0792{c:07d}"
        established[rows] = t - rng.integers(30, 330, size=SHELL_SIZE)
        tier[rows] = 2
    networks = max(1, n // 5000) if n >= 200 else 1
    person_rows = order[clusters * SHELL_SIZE:clusters * SHELL_SIZE + networks * PERSON_SIZE].reshape(networks, PERSON_SIZE)
    person_linked = np.zeros(n, dtype=bool)
    for k, rows in enumerate(person_rows):
        rep_id[rows] = f"Q{k}"
        rep[rows] = f"关联人{k}"
        tier[rows] = 3
        person_linked[rows[3]] = True

    entities = pa.table({
        "entity_id": ids, "uscc": pa.array(np.char.add("S", np.char.zfill(ids.astype(str), 17))),
        "name": pa.array(np.char.add("企业", ids.astype(str))), "industry": pa.array(INDUSTRIES[ids % len(INDUSTRIES)]),
        "area": pa.array(np.char.add("乡镇", (ids % 10).astype(str))), "legal_rep": pa.array(rep),
        "legal_rep_id": pa.array(rep_id), "phone": pa.array(phone), "address": pa.array(address),
        "established": _dates(established), "established_n": pa.array(established.astype(np.int32))},
        schema=SCHEMAS["entities"])

    start = t - 4 * 365
    end = t + 365

    def events(rate_column: int) -> tuple[np.ndarray, np.ndarray]:
        first = np.maximum(established, start)
        years = np.maximum(end - first, 0) / 365.0
        counts = rng.poisson(RATES[tier, rate_column] * years)
        who = np.repeat(np.arange(n), counts)
        days = first[who] + (rng.random(len(who)) * (end - first[who])).astype(np.int64)
        return who, days

    c_who, c_days = events(0)
    complaints = pa.table({"entity_id": ids[c_who], "day": _dates(c_days),
                           "food": pa.array(rng.random(len(c_who)) < 0.3)}, schema=SCHEMAS["complaints"])
    p_who, p_days = events(1)
    i_who, i_days = events(2)
    who = np.concatenate([p_who, i_who])
    kinds = np.concatenate([np.full(len(p_who), "penalty"), np.full(len(i_who), "inspection")])
    severity = np.where(kinds == "penalty", np.where(rng.random(len(who)) < 0.2, "serious", "general"), "")
    credit = pa.table({
        "entity_id": ids[who], "kind": pa.array(kinds), "severity": pa.array(severity),
        "outcome": pa.array(np.where(kinds == "inspection", "failed", "")), "day": _dates(np.concatenate([p_days, i_days])),
        "raw_legal_rep": pa.array(rep[who]), "raw_address": pa.array(address[who])}, schema=SCHEMAS["credit_records"])

    l_who, l_days = events(3)
    # Shell companies are listed as unreachable (无法联系) in the year after today; the person's three
    # companies are listed already.
    shell_idx = np.nonzero(shell & (rng.random(n) < 0.7))[0]
    listed_person = person_rows[:, :3].ravel()
    l_who = np.concatenate([l_who, shell_idx, listed_person])
    l_days = np.concatenate([l_days, t + rng.integers(1, 365, size=len(shell_idx)),
                             t - rng.integers(30, 600, size=len(listed_person))])
    lists = pa.table({
        "entity_id": ids[l_who], "list_type": pa.array(np.full(len(l_who), "abnormal")),
        "cause": pa.array(np.where(rng.random(len(l_who)) < 0.5, "annual_report", "unreachable")),
        "listed_on": _dates(l_days), "removed_on": pa.nulls(len(l_who), pa.date32())}, schema=SCHEMAS["list_entries"])
    lic_who = rng.choice(n, size=n // 3, replace=False)
    lapse = rng.random(len(lic_who)) < np.where(tier[lic_who] >= 2, 0.4, 0.05)
    valid_to = np.where(lapse, t - rng.integers(10, 360, size=len(lic_who)), t + rng.integers(30, 1500, size=len(lic_who)))
    licences = pa.table({"uscc": entities.column("uscc").take(pa.array(lic_who)),
                         "license_name": pa.array(np.full(len(lic_who), "食品经营许可")), "valid_to": _dates(valid_to)},
                        schema=SCHEMAS["licences"])
    tables = {"entities": entities, "credit_records": credit, "complaints": complaints, "list_entries": lists,
              "licences": licences, "feedback": SCHEMAS["feedback"].empty_table()}
    return Planted(tables=tables, tier=tier, shell=shell, person_linked=person_linked)
