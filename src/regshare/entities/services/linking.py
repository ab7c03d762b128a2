"""Linking records to entities, and the review of candidate links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from regshare.core import audit, workflow
from regshare.core.codes import clean_uscc_arrow
from regshare.core.lazy import lazy_module
from regshare.core.permissions import Principal, has_perm

from .. import linkage
from ..codes import normalize_names_arrow
from ..models import Entity, EntityLink, LinkMethod, LinkStatus
from .increments import master_for_linkage
from .master import _text

pc = lazy_module("pyarrow.compute")
pa = lazy_module("pyarrow")


def thresholds() -> linkage.LinkThresholds:
    accept, review = getattr(settings, "REGSHARE_LINK_THRESHOLDS", (0.70, 0.10))
    return linkage.LinkThresholds(accept=accept, review=review)


LinkListener = Callable[[str, str, "Entity | None"], None]
_listeners: list[LinkListener] = []


def on_link_decided(listener: LinkListener) -> LinkListener:
    """Apps that keep their own entity reference (credit) learn of reviewed links here."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


@dataclass
class LinkOutcome:
    exact: dict[str, int] = field(default_factory=dict)          # record_key -> entity id
    probabilistic: dict[str, int] = field(default_factory=dict)  # auto-accepted
    candidates: int = 0
    unmatched: int = 0


def link_records(source: str, records: pa.Table, *,
                 master: pa.Table | Callable[[], pa.Table] | None = None) -> LinkOutcome:
    """Link records (columns record_key, uscc, name, legal_rep, address, established) to entities.

    A valid code found in the master links exactly (not stored: the code is the link). Everything
    else goes through Splink; accepted, candidate and unmatched outcomes are stored as EntityLink
    rows, replacing earlier automatic outcomes of the same records but never a human decision.
    """
    outcome = LinkOutcome()
    if records.num_rows == 0:
        return outcome
    for column in ("uscc", "name", "legal_rep", "address", "established"):
        if column not in records.column_names:
            records = records.append_column(column, pa.nulls(records.num_rows, pa.string()))
    keys = records.column("record_key").cast(pa.string()).to_pylist()
    codes = clean_uscc_arrow(records.column("uscc")).to_pylist()
    known = dict(Entity.objects.filter(uscc__in={c for c in codes if c}).values_list("uscc", "id"))
    rest_idx = []
    for i, (key, code) in enumerate(zip(keys, codes, strict=True)):
        if code in known:
            outcome.exact[key] = known[code]
        else:
            rest_idx.append(i)
    decided = set(EntityLink.objects.filter(source=source, method=LinkMethod.MANUAL)
                  .values_list("record_key", flat=True))
    rest = records.take(pa.array(rest_idx, pa.int64())) if rest_idx else records.slice(0, 0)
    rest = rest.filter(pc.invert(pc.is_in(rest.column("record_key").cast(pa.string()),
                                          pa.array(sorted(decided), pa.string())))) if decided else rest
    named = rest.filter(pc.greater(pc.utf8_length(normalize_names_arrow(rest.column("name"))), 0))
    if named.num_rows:
        # The master is read only when some record needs it (``master`` may load it on first call).
        table = master() if callable(master) else master if master is not None else master_for_linkage()
        best = linkage.link(table, linkage.prepare(named, "record_key"), thresholds())
    else:
        best = None
    by_key = {}
    if best is not None:
        for row in best.to_pylist():
            by_key[row["record_id"]] = row
    raw_uscc = dict(zip(rest.column("record_key").cast(pa.string()).to_pylist(),
                        _text(rest.column("uscc").to_pylist()), strict=True))
    raw_name = dict(zip(rest.column("record_key").cast(pa.string()).to_pylist(),
                        _text(rest.column("name").to_pylist()), strict=True))
    entity_ids = dict(Entity.objects.filter(uscc__in={r["uscc"] for r in by_key.values()})
                      .values_list("uscc", "id"))
    limits = thresholds()
    links = []
    for key in raw_uscc:
        row = by_key.get(key)
        status = (linkage.classify(row["match_probability"], row["runner_up"], limits, row["unique_name"])
                  if row else "unmatched")
        entity_id = entity_ids.get(row["uscc"]) if row and status != "unmatched" else None
        if status == "linked":
            outcome.probabilistic[key] = entity_id
        elif status == "candidate":
            outcome.candidates += 1
        else:
            outcome.unmatched += 1
        links.append(EntityLink(
            source=source, record_key=key, entity_id=entity_id, raw_uscc=raw_uscc[key][:60],
            raw_name=raw_name[key][:200], method=LinkMethod.PROBABILISTIC, status=status,
            match_weight=row["match_weight"] if row else None,
            match_probability=row["match_probability"] if row else None))
    with transaction.atomic():
        (EntityLink.objects.filter(source=source, record_key__in=list(raw_uscc))
         .exclude(method=LinkMethod.MANUAL).delete())
        EntityLink.objects.bulk_create(links, batch_size=1000)
        audit.record("system", "entities.linked", f"source:{source}",
                     {"exact": len(outcome.exact), "probabilistic": len(outcome.probabilistic),
                      "candidates": outcome.candidates, "unmatched": outcome.unmatched})
    return outcome


def _decided(accept: bool):
    def apply(link: EntityLink, principal: Principal, data: dict) -> dict:
        link.method = LinkMethod.MANUAL
        link.reviewed_by = principal.user
        link.reviewed_at = timezone.now()
        if accept:
            # One record names one entity: the other candidates of the same record fall.
            (EntityLink.objects.filter(source=link.source, record_key=link.record_key, status=LinkStatus.CANDIDATE)
             .exclude(pk=link.pk).update(status=LinkStatus.REJECTED, method=LinkMethod.MANUAL,
                                         reviewed_by=principal.user, reviewed_at=link.reviewed_at))
        return {"source": link.source, "record_key": link.record_key,
                "entity": link.entity.uscc if link.entity else None, "probability": link.match_probability,
                "note": data.get("note") or ""}

    return apply


def _tell_listeners(link: EntityLink, principal: Principal, data: dict) -> None:
    for listener in _listeners:
        listener(link.source, link.record_key, link.entity if link.status == LinkStatus.LINKED else None)


def _reviewers(principal: Principal) -> Q | None:
    return Q() if principal.user is not None and has_perm(principal, "entities.review") else None


# A candidate link waits for a reviewer, who confirms or rejects it (the review queue).
LINK_REVIEW = workflow.Workflow(
    name="entities.link", model="entities.EntityLink", state_field="status", label="关联待确认",
    initial=LinkStatus.CANDIDATE, initial_pending=_reviewers, wrong_state_code="link_already_decided",
    pending_title=lambda link: f"确认关联:{link.raw_name or link.record_key}"
                               f"{f' → {link.entity.name}' if link.entity else ''}",
    pending_link=lambda link: reverse("entities:review"), pending_related=("entity",),
    transitions=[
        workflow.Transition(
            name="confirm", label="确认关联", source=(LinkStatus.CANDIDATE,), target=LinkStatus.LINKED,
            permission="entities.review", fields=(("note", "说明"),), audit_action="entities.link_confirmed",
            apply=_decided(True), notify=_tell_listeners, style="primary"),
        workflow.Transition(
            name="reject", label="否决", source=(LinkStatus.CANDIDATE,), target=LinkStatus.REJECTED,
            permission="entities.review", fields=(("note", "说明"),), audit_action="entities.link_rejected",
            apply=_decided(False), notify=_tell_listeners),
    ],
)


def decide_candidate(principal: Principal, link_id: int, accept: bool, note: str = "") -> EntityLink:
    """Confirm or reject a candidate link from the review queue (audited)."""
    link = EntityLink.objects.filter(pk=link_id).first()
    if link is None:
        raise Http404("关联候选不存在")
    return workflow.perform(principal, link, "confirm" if accept else "reject", note=note or "")


def review_queue(query: str = "") -> QuerySet[EntityLink]:
    qs = EntityLink.objects.filter(status=LinkStatus.CANDIDATE).select_related("entity")
    if query:
        qs = qs.filter(Q(raw_name__icontains=query) | Q(entity__name__icontains=query) | Q(source=query))
    return qs.order_by("-match_probability", "id")
