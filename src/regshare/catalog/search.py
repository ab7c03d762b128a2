"""Chinese search over the catalog: jieba tokens, BM25 over weighted text fields.

Each process keeps one in-memory index. A single ``CatalogStamp`` row gets a fresh random value
whenever a resource, a field or a department changes (signals below, plus explicit ``bump()`` after
bulk writes), so every process notices a change made by another one at its next search and rebuilds.
A random value (not a counter) means a rolled-back transaction can never leave a stale index that
looks current. Rebuilds re-tokenise only resources whose text changed.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models.signals import post_delete, post_save

from regshare.core.lazy import lazy_module

jieba = lazy_module("jieba")
np = lazy_module("numpy")

# jieba logs its dictionary loading at DEBUG on its own logger (jieba.setLogLevel without importing it).
logging.getLogger("jieba").setLevel(logging.WARNING)

K1 = 1.2
B = 0.75
# A term found in the name counts more than one in the summary.
WEIGHTS = {"code": 4.0, "name": 3.0, "field": 1.5, "department": 1.2, "summary": 1.0}
# A few domain synonyms: people say 企业 where the register says 市场主体.
SYNONYMS = {
    "企业": ("市场主体",),
    "公司": ("企业", "市场主体"),
    "市场主体": ("企业",),
    "黑名单": ("严重违法失信",),
    "失信": ("严重违法失信",),
    "工单": ("投诉举报",),
    "12345": ("投诉举报",),
}
SYNONYM_WEIGHT = 0.5
# Common words such as 信息/数据 stay: BM25's idf already makes them count for little.
STOPWORDS = frozenset("的 和 与 及 或 等 之 在 了 是 对 由 为 中 其".split())
BOOST_CANDIDATES = 500
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)

FILTER_FIELDS = ("provider", "share_type", "open_type", "grade", "update_frequency", "provision", "status")


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def tokenize(text: str) -> list[str]:
    """Search tokens of a text: jieba's search-engine mode, without punctuation and stop words."""
    return list(_tokenize_cached(text or ""))


@functools.lru_cache(maxsize=100_000)
def _tokenize_cached(text: str) -> tuple[str, ...]:
    # Field and department names repeat across thousands of resources; cutting each once keeps rebuilds cheap.
    out = []
    for token in jieba.cut_for_search(normalise(text)):
        token = token.strip()
        if not token or _PUNCT.match(token) or token in STOPWORDS:
            continue
        out.append(token)
    return tuple(out)


def query_terms(query: str) -> dict[str, tuple[float, int]]:
    """Query tokens with their weight and group: a synonym counts half and belongs to its source word's group."""
    terms: dict[str, tuple[float, int]] = {}
    for token in tokenize(query):
        terms.setdefault(token, (1.0, len(terms)))
    for token, (_weight, group) in list(terms.items()):
        for synonym in SYNONYMS.get(token, ()):
            for part in tokenize(synonym) or [synonym]:
                terms.setdefault(part, (SYNONYM_WEIGHT, group))
    return terms


def document_terms(code: str, name: str, summary: str, department: str, field_names: Iterable[str]) -> dict[str, float]:
    weights: dict[str, float] = {}

    def add(text: str, weight: float) -> None:
        for token in tokenize(text):
            weights[token] = weights.get(token, 0.0) + weight

    code_norm = normalise(code)
    weights[code_norm] = WEIGHTS["code"]
    for part in re.split(r"[-_/]", code_norm):
        if part:
            weights[part] = weights.get(part, 0.0) + 1.0
    add(name, WEIGHTS["name"])
    add(summary, WEIGHTS["summary"])
    add(department, WEIGHTS["department"])
    for field_name in field_names:
        add(field_name, WEIGHTS["field"])
    return weights


@dataclass
class Hits:
    """Resource ids and scores, best first (numpy arrays: a page converts only its own slice)."""

    ids: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


class _Index:
    def __init__(self, stamp: str) -> None:
        self.stamp = stamp
        self.ids = np.zeros(0, dtype=np.int64)
        self.names: list[str] = []
        self.attrs: dict[str, np.ndarray] = {}
        self.codes: dict[str, dict[str, int]] = {}
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.doclen = np.zeros(0, dtype=np.float32)
        self.avgdl = 1.0




def _no_hits() -> Hits:
    return Hits(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))

_lock = threading.Lock()
_index: _Index | None = None
# resource id -> (text key, term weights): survives rebuilds so unchanged resources are not re-cut.
_term_cache: dict[int, tuple[str, dict[str, float]]] = {}


def current_stamp() -> str:
    from .models import CatalogStamp

    return CatalogStamp.objects.filter(pk=1).values_list("value", flat=True).first() or ""


def bump(**_kwargs) -> None:
    """Mark the catalog changed (every process rebuilds its index at its next search)."""
    from .models import CatalogStamp

    CatalogStamp.objects.update_or_create(pk=1, defaults={"value": uuid.uuid4().hex})


def connect_signals() -> None:
    from regshare.core.models import Department

    from .models import Resource, ResourceField

    for model in (Resource, ResourceField, Department):
        post_save.connect(bump, sender=model, dispatch_uid=f"catalog-search-{model.__name__}-save")
        post_delete.connect(bump, sender=model, dispatch_uid=f"catalog-search-{model.__name__}-delete")


def _build(stamp: str) -> _Index:
    from .models import Resource, ResourceField

    index = _Index(stamp)
    rows = list(Resource.objects.order_by("id").values_list(
        "id", "code", "name", "summary", "provider__name", "provider_id", "share_type", "open_type", "grade",
        "update_frequency", "provision", "status"))
    field_names: dict[int, list[str]] = {}
    for resource_id, name in ResourceField.objects.order_by("resource_id", "position", "id").values_list(
            "resource_id", "name"):
        field_names.setdefault(resource_id, []).append(name)

    n = len(rows)
    index.ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    index.names = [r[2] for r in rows]
    for pos, key in enumerate(FILTER_FIELDS, start=5):
        values = [str(r[pos]) for r in rows]
        mapping: dict[str, int] = {}
        for value in values:
            mapping.setdefault(value, len(mapping))
        index.codes[key] = mapping
        index.attrs[key] = np.fromiter((mapping[v] for v in values), dtype=np.int32, count=n)

    posting_docs: dict[str, list[int]] = {}
    posting_weights: dict[str, list[float]] = {}
    doclen = np.zeros(n, dtype=np.float32)
    alive = set()
    for doc, (rid, code, name, summary, department, *_rest) in enumerate(rows):
        fields = field_names.get(rid, [])
        key = "\x1f".join((code, name, summary or "", department or "", "\x1e".join(fields)))
        cached = _term_cache.get(rid)
        if cached is None or cached[0] != key:
            cached = (key, document_terms(code, name, summary or "", department or "", fields))
            _term_cache[rid] = cached
        alive.add(rid)
        terms = cached[1]
        doclen[doc] = sum(terms.values())
        for term, weight in terms.items():
            posting_docs.setdefault(term, []).append(doc)
            posting_weights.setdefault(term, []).append(weight)
    for rid in set(_term_cache) - alive:
        del _term_cache[rid]
    index.postings = {term: (np.asarray(docs, dtype=np.int32), np.asarray(posting_weights[term], dtype=np.float32))
                      for term, docs in posting_docs.items()}
    index.doclen = doclen
    index.avgdl = float(doclen.mean()) if n else 1.0
    return index


def get_index() -> _Index:
    global _index
    stamp = current_stamp()
    if _index is not None and _index.stamp == stamp:
        return _index
    with _lock:
        if _index is None or _index.stamp != stamp:
            _index = _build(stamp)
        return _index


def search(query: str, *, filters: dict[str, str] | None = None, visible_department_id: int | None = None,
           see_all: bool = False, min_match: float = 0.0) -> Hits:
    """Resource ids that match ``query`` (any term, or at least ``min_match`` of its terms), best first.

    ``filters`` maps a name of ``FILTER_FIELDS`` to a value (provider is a department id). Without
    ``see_all`` only published resources and those of ``visible_department_id`` are returned.
    """
    index = get_index()
    n = len(index.ids)
    if n == 0:
        return _no_hits()
    mask = np.ones(n, dtype=bool)
    for key, value in (filters or {}).items():
        if value in (None, ""):
            continue
        code = index.codes[key].get(str(value))
        if code is None:
            return _no_hits()
        mask &= index.attrs[key] == code
    if not see_all:
        published = index.codes["status"].get("published", -1)
        visible = index.attrs["status"] == published
        if visible_department_id is not None:
            own = index.codes["provider"].get(str(visible_department_id))
            if own is not None:
                visible |= index.attrs["provider"] == own
        mask &= visible

    terms = query_terms(query)
    groups = len({group for _weight, group in terms.values()})
    scores = np.zeros(n, dtype=np.float32)
    group_hits = np.zeros((max(groups, 1), n), dtype=bool)
    norm = K1 * (1 - B + B * index.doclen / index.avgdl)
    for term, (query_weight, group) in terms.items():
        posting = index.postings.get(term)
        if posting is None:
            continue
        docs, tf = posting
        group_hits[group, docs] = True
        idf = np.log(1 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
        scores[docs] += query_weight * idf * tf * (K1 + 1) / (tf + norm[docs])
    matched_groups = group_hits.sum(axis=0)
    if groups > 1:
        # Coordination: a resource that has every word of the query beats one that repeats a single word.
        scores *= matched_groups / groups
    whole = normalise(query).replace(" ", "")
    if min_match > 0:
        mask &= matched_groups >= max(1, int(np.ceil(min_match * groups)))
    matched = np.flatnonzero((scores > 0) & mask)
    if len(whole) >= 2 and len(matched):
        # The whole query inside the name (e.g. 行政处罚 in 环境行政处罚信息) beats scattered terms;
        # checked on the best candidates only, so a query matching everything stays fast.
        candidates = matched
        if len(matched) > BOOST_CANDIDATES:
            candidates = matched[np.argpartition(-scores[matched], BOOST_CANDIDATES)[:BOOST_CANDIDATES]]
        for doc in candidates:
            name = normalise(index.names[doc]).replace(" ", "")
            if whole in name:
                scores[doc] *= 1.6 if name.startswith(whole) else 1.5
    # Docs are in id order, so a stable sort on the score alone breaks ties by id.
    order = matched[np.argsort(-scores[matched], kind="stable")]
    return Hits(index.ids[order], scores[order])


def reset() -> None:
    """Forget the in-process index (tests that swap databases)."""
    global _index
    with _lock:
        _index = None
        _term_cache.clear()
