"""Association analysis (关联分析): entities linked by their legal representative (ID card number), address
and phone, as a bipartite graph of entities and those shared values.

For the whole register the graph is a sparse incidence matrix (scipy.sparse, entities × values): a
breadth-first search from the listed entities is one sparse product per hop, so a million entities take
seconds, where a networkx graph of Python objects would take gigabytes. Values shared by more than
``MAX_SHARED`` entities (a business centre, an agent's phone) are reported as dense clusters and not
walked through, or every entity of the district would be two hops from every other.

For one entity (``paths``) the same walk runs over the database and keeps each step, so the path that
explains a flag can be shown: entity → shared value → entity … → a listed entity.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from regshare.core.lazy import lazy_module

np = lazy_module("numpy")


if TYPE_CHECKING:
    import pyarrow as pa

KINDS = (("person", "legal_rep_id", "同一法定代表人"), ("address", "address", "同一住所"), ("phone", "phone", "同一联系电话"))
VIA = {kind: label for kind, _column, label in KINDS}
MAX_SHARED = 200
DENSE_CLUSTER = 5  # this many entities or more at one address or phone is a dense cluster


@dataclass
class Network:
    ids: np.ndarray  # entity ids, row order of ``incidence``
    incidence: object  # scipy.sparse.csr_matrix, entities × shared values (hubs removed)
    cluster: np.ndarray  # per entity: the most entities sharing one of its address or phone


def build(entities: pa.Table, max_shared: int = MAX_SHARED) -> Network:
    """The incidence matrix of the register: one column per value held by at least two entities."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from scipy import sparse

    n = entities.num_rows
    rows, cols, offset = [], [], 0
    cluster = np.ones(n, dtype=np.int64)
    for kind, column, _label in KINDS:
        values = entities.column(column)
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
        encoded = pc.dictionary_encode(values).combine_chunks()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        present = ~np.asarray(pc.is_null(encoded.indices).to_numpy(zero_copy_only=False))
        codes = np.where(present, np.nan_to_num(codes, nan=0), 0).astype(np.int64)
        counts = np.bincount(codes[present], minlength=len(encoded.dictionary))
        size = np.where(present, counts[codes], 1)
        if kind != "person":
            cluster = np.maximum(cluster, size)
        keep = present & (size >= 2) & (size <= max_shared)
        rows.append(np.nonzero(keep)[0])
        cols.append(codes[keep] + offset)
        offset += len(encoded.dictionary)
    r, c = np.concatenate(rows), np.concatenate(cols)
    incidence = sparse.csr_matrix((np.ones(len(r), dtype=np.float32), (r, c)), shape=(n, max(offset, 1)))
    return Network(ids=entities.column("entity_id").to_numpy(), incidence=incidence, cluster=cluster)


def hops_to(network: Network, sources: np.ndarray, max_hops: int) -> np.ndarray:
    """Per entity, the fewest hops (shared values) to one of ``sources`` (a boolean mask); -1 beyond
    ``max_hops``; 0 for the sources themselves."""
    m = network.incidence
    mt = m.T.tocsr()
    distance = np.full(len(network.ids), -1, dtype=np.int64)
    distance[sources] = 0
    frontier = sources.astype(np.float32)
    for hop in range(1, max_hops + 1):
        values = (mt @ frontier) > 0
        reached = (m @ values.astype(np.float32)) > 0
        new = reached & (distance < 0)
        if not new.any():
            break
        distance[new] = hop
        frontier = new.astype(np.float32)
    return distance


# ----------------------------------------------------------------------------- one entity, from the database


def _mask_id(number: str) -> str:
    return number[:6] + "*" * max(len(number) - 10, 0) + number[-4:] if len(number) > 10 else number


def _value_node(kind: str, entity) -> dict:
    if kind == "person":
        return {"person": f"{entity.legal_rep}({_mask_id(entity.legal_rep_id)})", "via": VIA[kind]}
    return {kind: getattr(entity, kind), "via": VIA[kind]}


def paths(uscc: str, hops: int, *, listed_only: bool = True, limit: int = 50) -> list[list[dict]]:
    """Paths of at most ``hops`` shared values from the entity to listed entities (or to every linked
    entity with ``listed_only=False``), shortest first: ``[{"uscc": …, "via": "起点"}, {"person": …,
    "via": "同一法定代表人"}, {"uscc": …, "via": "同一法定代表人", "listed": "经营异常名录"}, …]``."""
    from django.db.models import Q

    from regshare.credit.models import ListEntry, ListType
    from regshare.entities.models import Entity

    start = Entity.objects.filter(uscc=uscc).first()
    if start is None:
        return []
    fields = ("id", "uscc", "name", "legal_rep", "legal_rep_id", "address", "phone")
    parent: dict[int, tuple[int, str] | None] = {start.pk: None}
    entities = {start.pk: start}
    queue = deque([(start, 0)])
    while queue:
        entity, depth = queue.popleft()
        if depth == hops:
            continue
        for kind, column, _label in KINDS:
            value = getattr(entity, column)
            if not value:
                continue
            shared = Entity.objects.filter(**{column: value}).exclude(pk=entity.pk).only(*fields)
            if shared.count() > MAX_SHARED:
                continue
            for other in shared:
                if other.pk not in parent:
                    parent[other.pk] = (entity.pk, kind)
                    entities[other.pk] = other
                    queue.append((other, depth + 1))
    reached = [pk for pk in parent if pk != start.pk]
    listed: dict[int, str] = {}
    labels = dict(ListType.choices)
    for entity_id, list_type in ListEntry.objects.filter(Q(removed_on__isnull=True), entity_id__in=reached) \
            .exclude(list_type=ListType.RED).values_list("entity_id", "list_type"):
        listed.setdefault(entity_id, labels[list_type])
    ends = [pk for pk in reached if pk in listed or not listed_only]
    out = []
    for pk in ends:
        steps, node = [], pk
        while parent[node] is not None:
            previous, kind = parent[node]
            step = {"uscc": entities[node].uscc, "name": entities[node].name, "via": VIA[kind]}
            if node in listed:
                step["listed"] = listed[node]
            steps += [step, _value_node(kind, entities[previous] if kind != "person" else entities[node])]
            node = previous
        steps.append({"uscc": start.uscc, "name": start.name, "via": "起点"})
        out.append(list(reversed(steps)))
    out.sort(key=lambda p: (len(p), p[-1]["uscc"]))
    return out[:limit]
