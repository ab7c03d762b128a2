"""The public, recomputable draw ``sha256-rank-v1`` of 双随机、一公开 (pure functions, no database).

Defined exactly (issue 13, docs/supervision.md):

* ``pool_sha256`` = SHA-256 of the UTF-8 text ``"\\n".join(f"{code},{stratum}")`` over the pool sorted by code;
* per stratum s with n_s objects and ratio r_s: k_s = min(n_s, ceil(r_s × n_s)), the ratio taken as its decimal
  text (0.07 × 100 is 7, not the 8 that binary floating point would give); the stratum's codes are ordered by
  the hex SHA-256 of ``f"{seed}:{code}"`` ascending and the first k_s are selected;
* inspectors of a selected object: the eligible inspectors ordered by the hex SHA-256 of
  ``f"{seed}:{code}:{inspector_id}"`` ascending, the first k (2 unless the task asks more) taken.

Eligibility (回避) is decided before ranking and published with the draw, so anyone can recompute it: an
inspector is eligible for an object when he belongs to one of the task's departments (same-department rule),
his area is empty or a prefix of the object's area (the registration area, characters 3-8 of the credit code),
he declared no conflict with the object and he was not an inspector of the object's last inspection.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from regshare.core.lazy import lazy_module

np = lazy_module("numpy")


ALGORITHM = "sha256-rank-v1"


class DrawError(ValueError):
    """A draw that cannot be made as asked (Chinese message for the user)."""


@dataclass(frozen=True)
class InspectorRef:
    id: int
    department: str
    area: str = ""


@dataclass
class DrawResult:
    pool_sha256: str
    quotas: dict[str, int]
    selected: list[tuple[str, str, list[int]]] = field(default_factory=list)  # (code, stratum, inspector ids)


def object_area(code: str) -> str:
    return code[2:8]


def pool_text(pool: Iterable[tuple[str, str]]) -> str:
    # ",".join of each (code, stratum) pair is f"{code},{stratum}", done in C.
    return "\n".join(map(",".join, sorted((str(code), str(stratum)) for code, stratum in pool)))


def pool_sha256(pool: Iterable[tuple[str, str]]) -> str:
    return hashlib.sha256(pool_text(pool).encode("utf-8")).hexdigest()


def parse_ratio(value: object) -> Fraction:
    try:
        ratio = Fraction(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise DrawError(f"抽查比例不是数字: {value}") from exc
    if not 0 < ratio <= 1:
        raise DrawError(f"抽查比例应大于0且不超过1: {value}")
    return ratio


def quota(n: int, ratio: object) -> int:
    """k = min(n, ceil(r × n)) in exact arithmetic."""
    return min(n, math.ceil(parse_ratio(ratio) * n))


def validate_ratios(ratios: Mapping[str, object], strata: Iterable[str] = ()) -> None:
    """Every class named gets a ratio above zero, and every stratum in the pool has one."""
    for stratum, ratio in ratios.items():
        parse_ratio(ratio)
        if not str(stratum):
            raise DrawError("信用风险分类不能为空")
    missing = sorted(set(strata) - set(ratios))
    if missing:
        raise DrawError(f"以下信用风险分类没有设置抽查比例: {'、'.join(missing)}")


def _digests(prefix: bytes, tails: list[bytes]) -> list[bytes]:
    sha = hashlib.sha256
    return [sha(prefix + tail).digest() for tail in tails]


def first_by_hash(prefix: bytes, tails: list[bytes], k: int) -> list[int]:
    """Indexes of the k tails with the smallest SHA-256(prefix + tail), ascending; the binary digest orders
    exactly as its hex text. A numpy partition on the first 8 digest bytes narrows the candidates, and the
    candidates (every tail whose first 8 bytes do not exceed the k-th smallest, so ties are kept) are sorted
    on the full digest."""
    if k <= 0 or not tails:
        return []
    digests = _digests(prefix, tails)
    if k >= len(tails) or len(tails) < 64:
        return sorted(range(len(tails)), key=digests.__getitem__)[:k]
    heads = np.frombuffer(b"".join(digests), dtype=">u8")[::4]
    kth = heads[np.argpartition(heads, k - 1)[k - 1]]
    candidates = np.flatnonzero(heads <= kth).tolist()
    candidates.sort(key=digests.__getitem__)
    return candidates[:k]


def rank_codes(seed: str, codes: list[str], k: int | None = None) -> list[str]:
    """The first k codes (all when k is None) ordered by hex SHA-256 of ``seed:code``."""
    tails = [code.encode("utf-8") for code in codes]
    return [codes[i] for i in first_by_hash(f"{seed}:".encode(), tails, len(codes) if k is None else k)]


def select_objects(seed: str, pool: Iterable[tuple[str, str]], ratios: Mapping[str, object]) -> dict[str, list[str]]:
    by_stratum: dict[str, list[str]] = {}
    for code, stratum in pool:
        by_stratum.setdefault(stratum, []).append(code)
    validate_ratios(ratios, by_stratum)
    chosen = {}
    for stratum, codes in sorted(by_stratum.items()):
        k = quota(len(codes), ratios[stratum])
        chosen[stratum] = rank_codes(seed, codes, k)
    return chosen


def rank_inspectors(seed: str, code: str, inspector_ids: list[int], k: int,
                    tails: list[bytes] | None = None) -> list[int]:
    """The first k inspectors by hex SHA-256 of ``seed:code:id``; ``tails`` are the ids' UTF-8 texts when the
    caller has them already (a draw encodes each inspector once, not once per object)."""
    if tails is None:
        tails = [str(inspector_id).encode() for inspector_id in inspector_ids]
    sha, prefix = hashlib.sha256, f"{seed}:{code}:".encode()
    ranked = sorted(zip([sha(prefix + tail).digest() for tail in tails], inspector_ids, strict=True))
    return [inspector_id for _, inspector_id in ranked[:k]]


def draw(seed: str, pool: list[tuple[str, str]], ratios: Mapping[str, object], inspectors: list[InspectorRef],
         departments: Iterable[str], excluded: Mapping[str, Iterable[int]] | None = None, k: int = 2) -> DrawResult:
    """The whole draw. ``excluded[code]`` holds the inspectors avoided for that object (declared conflicts,
    the last inspection's inspectors); raises ``DrawError`` when an object keeps fewer than k inspectors."""
    if not seed:
        raise DrawError("随机种子未公布,不能抽取")
    if k < 2:
        raise DrawError("每户检查人员不得少于2名")
    codes = [code for code, _ in pool]
    if len(set(codes)) != len(codes):
        raise DrawError("检查对象库中有重复的统一社会信用代码")
    excluded = excluded or {}
    departments = set(departments)
    # Group inspectors by area once: an object only looks at the inspectors who may serve its area.
    in_task = [i for i in inspectors if i.department in departments]
    result = DrawResult(pool_sha256=pool_sha256(pool), quotas={})
    chosen = select_objects(seed, pool, ratios)
    area_cache: dict[str, list[InspectorRef]] = {}
    for stratum, selected in chosen.items():
        result.quotas[stratum] = len(selected)
        for code in selected:
            area = object_area(code)
            serving = area_cache.get(area)
            if serving is None:
                ids = [i.id for i in in_task if not i.area or area.startswith(i.area)]
                serving = area_cache[area] = (ids, [str(i).encode() for i in ids])
            ids, tails = serving
            avoid = excluded.get(code)
            if avoid:
                avoid = set(avoid)
                kept = [n for n, inspector_id in enumerate(ids) if inspector_id not in avoid]
                ids, tails = [ids[n] for n in kept], [tails[n] for n in kept]
            if len(ids) < k:
                raise DrawError(f"检查对象 {code} 回避后可选检查人员不足{k}名(仅{len(ids)}名),请扩充执法检查人员库")
            result.selected.append((code, stratum, rank_inspectors(seed, code, ids, k, tails)))
    result.selected.sort()
    return result


def record(task: str, seed: str, pool: list[tuple[str, str]], ratios: Mapping[str, object],
           inspectors: list[InspectorRef], departments: Iterable[str], excluded: Mapping[str, Iterable[int]],
           k: int, result: DrawResult) -> dict:
    """The published record: everything needed to recompute the draw, and the draw itself."""
    return {
        "task": task,
        "algorithm": ALGORITHM,
        "seed": seed,
        "pool_sha256": result.pool_sha256,
        "pool": [{"code": code, "stratum": stratum} for code, stratum in sorted(pool)],
        "ratios": {stratum: str(ratio) for stratum, ratio in sorted(ratios.items())},
        "inspectors_per_object": k,
        "departments": sorted(departments),
        "inspector_pool": [{"id": i.id, "department": i.department, "area": i.area}
                           for i in sorted(inspectors, key=lambda i: i.id)],
        "avoidance": {code: sorted(ids) for code, ids in sorted(excluded.items()) if ids},
        "selected": [{"code": code, "stratum": stratum, "inspectors": ids} for code, stratum, ids in result.selected],
    }


def recompute(published: Mapping, seed: str | None = None) -> DrawResult:
    pool = [(row["code"], row["stratum"]) for row in published["pool"]]
    inspectors = [InspectorRef(int(i["id"]), i["department"], i.get("area", "")) for i in published["inspector_pool"]]
    return draw(seed if seed is not None else published["seed"], pool, published["ratios"], inspectors,
                published["departments"], published.get("avoidance", {}), int(published["inspectors_per_object"]))


def verify(published: Mapping, seed: str | None = None) -> tuple[bool, str]:
    """(matches, explanation): the recomputed pool digest and selection against the published ones."""
    try:
        again = recompute(published, seed)
    except DrawError as exc:
        return False, f"无法重算: {exc}"
    if again.pool_sha256 != published["pool_sha256"]:
        return False, "对象库摘要不一致"
    stored = [(row["code"], row["stratum"], list(row["inspectors"])) for row in published["selected"]]
    if sorted(stored) != again.selected:
        return False, "重算的抽取结果与公布的结果不一致"
    return True, f"一致:{len(again.selected)}户检查对象与检查人员均可由公布的种子重算得到"
