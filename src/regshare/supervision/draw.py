"""The public, recomputable draw ``sha256-rank-v1`` of 双随机、一公开 (pure functions, no database).

Defined exactly (issue 13, docs/supervision.md):

* ``pool_sha256`` = SHA-256 of the UTF-8 text ``"\\n".join(f"{code},{stratum}")`` over the pool sorted by code;
* per stratum s with n_s objects and ratio r_s: k_s = min(n_s, ceil(r_s × n_s)), the ratio taken as its decimal
  text (0.07 × 100 is 7, not the 8 that binary floating point would give); the stratum's codes are ordered by
  the hex SHA-256 of ``f"{seed}:{code}"`` ascending and the first k_s are selected;
* inspectors of a selected object: the eligible inspectors ordered by the hex SHA-256 of
  ``f"{seed}:{code}:{inspector_id}"`` ascending, the first k (2 unless the task asks more) taken.

Extension ``control-v1`` (a random control group, so the lift of risk-based selection over random inspection can
be measured): with a control ratio r_c > 0 and N objects in the whole pool, k_c = min(N, ceil(r_c × N)); every
code of the pool, whatever its stratum, is ordered by the hex SHA-256 of ``f"{seed}:control:{code}"`` ascending
and the first k_c form the control group. The objects drawn are the union of the strata's selections and the
control group; an object in both is inspected once and counted in both. Inspectors are drawn the same way for
every object drawn. A record without the extension (or with r_c = 0) has no control group.

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


CONTROL_EXTENSION = "control-v1"


@dataclass
class DrawResult:
    pool_sha256: str
    quotas: dict[str, int]
    selected: list[tuple[str, str, list[int]]] = field(default_factory=list)  # (code, stratum, inspector ids)
    control: list[str] = field(default_factory=list)  # the control group's codes, sorted
    stratified: set[str] = field(default_factory=set)  # the codes drawn by their stratum's ratio


def object_area(code: str) -> str:
    return code[2:8]


def _sorted_by_code(pool: list[tuple[str, str]]) -> bool:
    """Strictly ascending codes (so also no code twice): one linear pass in C."""
    codes = [code for code, _ in pool]
    return all(map(str.__lt__, codes, codes[1:]))


def pool_text(pool: Iterable[tuple[str, str]], already_sorted: bool | None = None) -> str:
    # ",".join of each (code, stratum) pair is f"{code},{stratum}", done in C. The platform's pool comes sorted
    # by code from the database, which one linear check confirms; anything else is sorted here.
    pairs = [(str(code), str(stratum)) for code, stratum in pool] if already_sorted is None else pool
    if already_sorted is None:
        already_sorted = _sorted_by_code(pairs)
    return "\n".join(map(",".join, pairs if already_sorted else sorted(pairs)))


def pool_sha256(pool: Iterable[tuple[str, str]], already_sorted: bool | None = None) -> str:
    """``already_sorted`` (True or False) when the caller has checked the pool's order and that its codes and
    strata are text; None to check here."""
    return hashlib.sha256(pool_text(pool, already_sorted).encode("utf-8")).hexdigest()


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


def parse_control_ratio(value: object) -> Fraction:
    """The control group's ratio: 0 (no control group) up to 1, as its decimal text."""
    if value in (None, ""):
        return Fraction(0)
    try:
        ratio = Fraction(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise DrawError(f"随机对照组比例不是数字: {value}") from exc
    if not 0 <= ratio <= 1:
        raise DrawError(f"随机对照组比例应在0到1之间: {value}")
    return ratio


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
    # The prefix is hashed once and its state copied for every tail: the same digests as
    # sha256(prefix + tail), without hashing the 65-byte prefix again each time.
    start = hashlib.sha256(prefix).copy
    out: list[bytes] = []
    append = out.append
    for tail in tails:
        h = start()
        h.update(tail)
        append(h.digest())
    return out


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


def rank_codes(seed: str, codes: list[str], k: int | None = None, tails: list[bytes] | None = None) -> list[str]:
    """The first k codes (all when k is None) ordered by hex SHA-256 of ``seed:code``; ``tails`` are the codes'
    UTF-8 bytes when the caller has them already."""
    if tails is None:
        tails = [code.encode("utf-8") for code in codes]
    return [codes[i] for i in first_by_hash(f"{seed}:".encode(), tails, len(codes) if k is None else k)]


def select_objects(seed: str, pool: Iterable[tuple[str, str]], ratios: Mapping[str, object],
                   encoded: list[bytes] | None = None) -> dict[str, list[str]]:
    """Per stratum, its first k_s codes; ``encoded`` (the pool's codes as UTF-8, in pool order) when the caller
    has them already. Every code is hashed once (the prefix ``seed:`` is the same for all strata); each stratum
    then takes its k_s smallest digests."""
    pool = list(pool)
    strata = sorted({stratum for _, stratum in pool})
    validate_ratios(ratios, strata)
    if not pool:
        return {}
    if encoded is None:
        encoded = [code.encode("utf-8") for code, _ in pool]
    digests = _digests(f"{seed}:".encode(), encoded)
    number = {stratum: n for n, stratum in enumerate(strata)}
    of_stratum = np.fromiter((number[stratum] for _, stratum in pool), dtype=np.int32, count=len(pool))
    heads = np.frombuffer(b"".join(digests), dtype=">u8")[::4]
    chosen = {}
    for n, stratum in enumerate(strata):
        members = np.flatnonzero(of_stratum == n)
        k = quota(len(members), ratios[stratum])
        chosen[stratum] = [pool[i][0] for i in _smallest(members, heads, digests, k)]
    return chosen


def _smallest(members, heads, digests: list[bytes], k: int) -> list[int]:
    """The k members (pool indexes) with the smallest full digests, ascending: a partition on the first 8 bytes,
    then every member not above the k-th head (ties kept) sorted on the full digest."""
    if k <= 0:
        return []
    if k >= len(members):
        return sorted(members.tolist(), key=digests.__getitem__)
    member_heads = heads[members]
    kth = member_heads[np.argpartition(member_heads, k - 1)[k - 1]]
    candidates = members[member_heads <= kth].tolist()
    candidates.sort(key=digests.__getitem__)
    return candidates[:k]


def select_control(seed: str, codes: list[str], ratio: object, tails: list[bytes] | None = None) -> list[str]:
    """The control group (extension control-v1): the first min(N, ceil(r_c × N)) codes of the whole pool by hex
    SHA-256 of ``seed:control:code``, sorted by code."""
    k = min(len(codes), math.ceil(parse_control_ratio(ratio) * len(codes)))
    if k == 0:
        return []
    if tails is None:
        tails = [code.encode("utf-8") for code in codes]
    return sorted(codes[i] for i in first_by_hash(f"{seed}:control:".encode(), tails, k))


def rank_inspectors(seed: str, code: str, inspector_ids: list[int], k: int,
                    tails: list[bytes] | None = None) -> list[int]:
    """The first k inspectors by hex SHA-256 of ``seed:code:id``; ``tails`` are the ids' UTF-8 texts when the
    caller has them already (a draw encodes each inspector once, not once per object)."""
    if tails is None:
        tails = [str(inspector_id).encode() for inspector_id in inspector_ids]
    ranked = sorted(zip(_digests(f"{seed}:{code}:".encode(), tails), inspector_ids, strict=True))
    return [inspector_id for _, inspector_id in ranked[:k]]


def draw(seed: str, pool: list[tuple[str, str]], ratios: Mapping[str, object], inspectors: list[InspectorRef],
         departments: Iterable[str], excluded: Mapping[str, Iterable[int]] | None = None, k: int = 2,
         control_ratio: object = 0) -> DrawResult:
    """The whole draw. ``excluded[code]`` holds the inspectors avoided for that object (declared conflicts,
    the last inspection's inspectors); raises ``DrawError`` when an object keeps fewer than k inspectors.
    ``control_ratio`` > 0 adds the control group of extension control-v1."""
    if not seed:
        raise DrawError("随机种子未公布,不能抽取")
    if k < 2:
        raise DrawError("每户检查人员不得少于2名")
    pool = pool if isinstance(pool, list) else list(pool)
    codes = [code for code, _ in pool]
    in_order = all(map(str.__lt__, codes, codes[1:]))  # strictly ascending: sorted and no code twice
    if not in_order and len(set(codes)) != len(codes):
        raise DrawError("检查对象库中有重复的统一社会信用代码")
    excluded = excluded or {}
    departments = set(departments)
    in_task = [i for i in inspectors if i.department in departments]
    result = DrawResult(pool_sha256=pool_sha256(pool, in_order), quotas={})
    # Each code is encoded once and shared by its stratum's ranking and the control group's.
    encoded = [code.encode("utf-8") for code in codes]
    chosen = select_objects(seed, pool, ratios, encoded)
    result.control = select_control(seed, codes, control_ratio, encoded)
    stratum_of = {}
    for stratum, selected in chosen.items():
        result.quotas[stratum] = len(selected)
        result.stratified.update(selected)
        stratum_of.update(dict.fromkeys(selected, stratum))
    if result.control:
        strata = dict(pool)
        for code in result.control:
            stratum_of.setdefault(code, strata[code])
    # Inspectors who may serve an area are found once per area; an object only filters out its own avoidances.
    area_cache: dict[str, tuple[list[int], list[bytes]]] = {}
    for code, stratum in stratum_of.items():
        area = object_area(code)
        serving = area_cache.get(area)
        if serving is None:
            ids = [i.id for i in in_task if not i.area or area.startswith(i.area)]
            serving = area_cache[area] = (ids, [str(i).encode() for i in ids])
        ids, tails = serving
        # Ranking everyone who serves the area and skipping the avoided gives the eligible ones' order exactly,
        # without building a list per object.
        avoid = excluded.get(code)
        ranked = sorted(zip(_digests(f"{seed}:{code}:".encode(), tails), ids, strict=True))
        if avoid:
            avoid = set(avoid)
            ranked = [pair for pair in ranked if pair[1] not in avoid]
        if len(ranked) < k:
            raise DrawError(f"检查对象 {code} 回避后可选检查人员不足{k}名(仅{len(ranked)}名),请扩充执法检查人员库")
        result.selected.append((code, stratum, [inspector_id for _, inspector_id in ranked[:k]]))
    result.selected.sort()
    return result


def control_extension(ratio: object, result: DrawResult) -> dict:
    """The published description of the control group (extension control-v1)."""
    return {"ratio": str(ratio), "k": len(result.control), "order": 'sha256(f"{seed}:control:{code}")',
            "codes": list(result.control)}


def record(task: str, seed: str, pool: list[tuple[str, str]], ratios: Mapping[str, object],
           inspectors: list[InspectorRef], departments: Iterable[str], excluded: Mapping[str, Iterable[int]],
           k: int, result: DrawResult, control_ratio: object = 0) -> dict:
    """The published record: everything needed to recompute the draw, and the draw itself."""
    control = set(result.control)
    published = {
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
        "selected": [{"code": code, "stratum": stratum, "inspectors": ids, "by_ratio": code in result.stratified,
                      "control": code in control}
                     for code, stratum, ids in result.selected],
    }
    if parse_control_ratio(control_ratio):
        published["extensions"] = {CONTROL_EXTENSION: control_extension(control_ratio, result)}
    return published


def published_control_ratio(published: Mapping) -> object:
    return ((published.get("extensions") or {}).get(CONTROL_EXTENSION) or {}).get("ratio", 0)


def recompute(published: Mapping, seed: str | None = None) -> DrawResult:
    pool = [(row["code"], row["stratum"]) for row in published["pool"]]
    inspectors = [InspectorRef(int(i["id"]), i["department"], i.get("area", "")) for i in published["inspector_pool"]]
    return draw(seed if seed is not None else published["seed"], pool, published["ratios"], inspectors,
                published["departments"], published.get("avoidance", {}), int(published["inspectors_per_object"]),
                published_control_ratio(published))


def verify(published: Mapping, seed: str | None = None) -> tuple[bool, str]:
    """(matches, explanation): the recomputed pool digest, selection and control group against the published ones."""
    try:
        again = recompute(published, seed)
    except (DrawError, KeyError, TypeError, ValueError) as exc:
        return False, f"无法重算: {exc}"
    if again.pool_sha256 != published["pool_sha256"]:
        return False, "对象库摘要不一致"
    stored = [(row["code"], row["stratum"], list(row["inspectors"])) for row in published["selected"]]
    if sorted(stored) != again.selected:
        return False, "重算的抽取结果与公布的结果不一致"
    extension = (published.get("extensions") or {}).get(CONTROL_EXTENSION)
    if extension is not None:
        flagged = sorted(row["code"] for row in published["selected"] if row.get("control"))
        by_ratio = {row["code"] for row in published["selected"] if row.get("by_ratio", True)}
        if sorted(extension.get("codes", [])) != again.control or flagged != again.control:
            return False, "重算的随机对照组与公布的不一致"
        if by_ratio != again.stratified:
            return False, "重算的按比例抽取结果与公布的标记不一致"
    message = f"一致:{len(again.selected)}户检查对象与检查人员均可由公布的种子重算得到"
    if again.control:
        message += f"(含随机对照组{len(again.control)}户)"
    return True, message
