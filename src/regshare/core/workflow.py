"""Declarative state machines: every object with states changes state here and only here.

An app declares a ``Workflow`` (which model, which field holds the state, which transitions) and
registers it in its ``AppConfig.ready()``. ``perform`` is the one path of a state change: in one
transaction it locks the row, checks the state, the permission and who may act, changes the state,
runs the transition's extra writes, sets the next step's working-day deadline, appends the audit
record and sends the notification. ``available`` is what a page, the API or a template offers (they
hold no rule of their own), and ``pending_for`` is the one source of the dashboard's to-do list.

Items on the to-do list that are not a state waiting for a transition (a monthly report due, a
catalog update obligation) come from providers registered with ``register_pending``; the dashboard
asks only this module.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from . import audit, workdays
from .labels import permission_label
from .permissions import Principal, has_perm

logger = logging.getLogger(__name__)

ActorCheck = Callable[[Principal, Any], bool]
SideEffect = Callable[[Any, Principal, dict], Any]
PendingQuery = Callable[[Principal], "Q | None"]


class TransitionRefused(ValidationError):
    """The object is not in a state the transition starts from, or the data the transition needs is missing.

    A ``ValidationError``: the pages show its Chinese message and the API answers 400/422 with its code.
    """

    def __init__(self, message: str, code: str = "transition_refused"):
        super().__init__(message, code=code)


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    source: tuple[str, ...]
    target: str
    permission: str
    may_act: ActorCheck | None = None
    # Working days until the next step is due, or a function reading them from settings.
    deadline_workdays: int | Callable[[], int] | None = None
    audit_action: str = ""
    notify: SideEffect | None = None
    apply: SideEffect | None = None
    # Objects in ``target`` that now wait for the principal (their next transition is theirs to perform).
    pending: PendingQuery | None = None
    # Data keys ``perform`` must receive non-empty (an opinion, a reason), with their Chinese names.
    required: tuple[tuple[str, str], ...] = ()
    # Data keys a page may send besides ``required`` (an optional opinion), with their Chinese names.
    fields: tuple[tuple[str, str], ...] = ()
    # A rule on the object's own data (all steps done, a file attached …), checked like the state.
    when: Callable[[Any], bool] | None = None
    refusal: str = ""  # the message when ``when`` says no
    refusal_code: str = "not_ready"
    missing_code: str = "missing_data"
    # The message when ``may_act`` says no: a text, or a function of (principal, obj) for a precise reason.
    denial: str | Callable[[Principal, Any], str] = ""
    # Someone acting on the holder's behalf without the permission (an authorised review agent,
    # 002 第十五条(一)): an object-level grant that stands in for ``permission``. ``may_act`` still applies.
    delegate: ActorCheck | None = None
    style: str = ""  # a hint for the button: "primary", "danger"
    confirm: str = ""  # a question the page asks before posting
    # Taken by the scheduler when a date passes (a grant expires, a transition period ends), never by a
    # person: ``perform`` refuses everyone, ``perform_scheduled`` takes it with the actor "system".
    automatic: bool = False
    # False when a page offers the transition through a form of its own (a choice among objects that the
    # generic form cannot offer): ``available`` leaves it out, ``perform`` and ``may_perform`` still apply.
    offered: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.source, str):  # a lone state is a common slip: ("draft") is a string
            object.__setattr__(self, "source", (self.source,))


@dataclass
class Workflow:
    name: str
    model: str
    state_field: str
    transitions: list[Transition]
    deadline_field: str | None = None
    label: str = ""  # the to-do list's category
    wrong_state_code: str = "wrong_state"
    pending_title: Callable[[Any], str] | None = None
    pending_link: Callable[[Any], str] | None = None
    pending_related: tuple[str, ...] = ()  # select_related for the to-do query
    pending_limit: int = 20
    # The state a new object starts in (created by the app's own service, not by a transition) and who
    # it then waits for: the to-do list's counterpart of ``Transition.pending`` for that first state.
    initial: str = ""
    initial_pending: PendingQuery | None = None
    # When the deadline lives elsewhere (on the current step): annotations for the to-do query and the
    # name of the one that holds the deadline.
    pending_annotations: dict[str, Any] = field(default_factory=dict)
    pending_deadline: str = ""
    _by_name: dict[str, Transition] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for transition in self.transitions:
            if transition.name in self._by_name:
                raise ValueError(f"{self.name}: transition {transition.name!r} declared twice")
            self._by_name[transition.name] = transition

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def transition(self, name: str) -> Transition:
        try:
            return self._by_name[name]
        except KeyError:
            raise TransitionRefused(f"没有名为「{name}」的操作", code="unknown_transition") from None

    def state_label(self, state: str) -> str:
        field_ = self.model_class._meta.get_field(self.state_field)
        return str(dict(field_.flatchoices).get(state, state))

    def audit_action(self, transition: Transition) -> str:
        return transition.audit_action or f"{self.name}.{transition.name}"


_REGISTRY: dict[str, Workflow] = {}


def register(flow: Workflow) -> Workflow:
    """Register a workflow (from the owning app's ``ready()``); registering the same name again replaces it."""
    for other in _REGISTRY.values():
        if other.name != flow.name and other.model.lower() == flow.model.lower():
            clash = {t.name for t in other.transitions} & {t.name for t in flow.transitions}
            if clash:
                raise ValueError(f"{flow.name} and {other.name} both declare {sorted(clash)} on {flow.model}")
    _REGISTRY[flow.name] = flow
    return flow


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def workflows() -> list[Workflow]:
    return list(_REGISTRY.values())


def get(name: str) -> Workflow:
    return _REGISTRY[name]


def workflows_for(obj_or_model: Any) -> list[Workflow]:
    label = obj_or_model._meta.label_lower
    return [flow for flow in _REGISTRY.values() if flow.model.lower() == label]


def find(obj: Any, name: str) -> tuple[Workflow, Transition]:
    for flow in workflows_for(obj):
        if name in flow._by_name:
            return flow, flow._by_name[name]
    raise TransitionRefused(f"没有名为「{name}」的操作", code="unknown_transition")


def _today() -> dt.date:
    return timezone.localdate()


def _acting_refusal(principal: Principal, transition: Transition, obj: Any) -> str | None:
    """Why this principal may not perform the transition (None: they may), the object's state aside."""
    if not principal.is_authenticated:
        return "请先登录"
    if transition.automatic:
        return f"「{transition.label}」由系统按期自动办理,不能手工执行"
    if not has_perm(principal, transition.permission) and not (
            transition.delegate is not None and transition.delegate(principal, obj)):
        return f"无权执行「{transition.label}」(需要「{permission_label(transition.permission)}」权限)"
    if transition.may_act is not None and not transition.may_act(principal, obj):
        denial = transition.denial(principal, obj) if callable(transition.denial) else transition.denial
        return denial or f"您所在的部门不能对此事项执行「{transition.label}」"
    return None


def deadline_after(transition: Transition, start: dt.date) -> dt.date | None:
    days = transition.deadline_workdays
    if days is None:
        return None
    return workdays.add_workdays(start, days() if callable(days) else days)


def acting_refusal(principal: Principal, obj: Any, name: str) -> str | None:
    """Why ``principal`` may not take step ``name`` on ``obj`` (None: they may), whatever state ``obj`` is in:
    a service checks this before its own preconditions, and a page offers the step only when it is None."""
    _flow, transition = find(obj, name)
    return _acting_refusal(principal, transition, obj)


def may_perform(principal: Principal, obj: Any, name: str) -> bool:
    flow, transition = find(obj, name)
    return _allowed(principal, obj, flow, transition)


def _allowed(principal: Principal, obj: Any, flow: Workflow, transition: Transition) -> bool:
    if getattr(obj, flow.state_field) not in transition.source:
        return False
    if _acting_refusal(principal, transition, obj) is not None:
        return False
    return transition.when is None or bool(transition.when(obj))


def available(principal: Principal, obj: Any) -> list[Transition]:
    """The transitions this principal may perform on ``obj`` now: what pages, API and templates offer."""
    return [transition for flow in workflows_for(obj) for transition in flow.transitions
            if transition.offered and _allowed(principal, obj, flow, transition)]


def perform(principal: Principal, obj: Any, name: str, **data: Any) -> Any:
    """Perform transition ``name`` on ``obj`` as ``principal``; returns the saved object (``obj`` is updated too).

    Raises ``PermissionDenied`` (not signed in, no permission, not the acting department) or
    ``TransitionRefused`` (wrong state, missing data, the object's own rule says no). Nothing is
    written unless everything succeeds, the audit record and the transition's own writes included.

    ``data`` reaches ``apply`` and ``notify``; ``on`` (a date) replaces today as the start of the next
    deadline, which they find in ``data["deadline"]``.
    """
    flow, transition = find(obj, name)
    return _perform(principal, principal, obj, flow, transition, data)


def perform_scheduled(obj: Any, name: str, *, actor: str = "system", **data: Any) -> Any:
    """Take the ``automatic`` transition ``name`` on ``obj`` for the scheduler (a date has passed).

    Everything ``perform`` does except the acting checks: the state, the required data and ``when`` are
    checked, the audit record names ``actor``. ``apply`` and ``notify`` receive an anonymous principal and
    find ``actor`` in ``data``.
    """
    flow, transition = find(obj, name)
    if not transition.automatic:
        raise PermissionDenied(f"「{transition.label}」须由有权限的人员办理")
    return _perform(actor, None, obj, flow, transition, {**data, "actor": actor})


def _perform(actor: Principal | str, principal: Principal | None, obj: Any, flow: Workflow,
             transition: Transition, data: dict) -> Any:
    """``perform`` for a principal, or for the scheduler when ``principal`` is None (``actor`` is then a name)."""
    model = type(obj)
    with transaction.atomic():
        locked = model._default_manager.select_for_update().get(pk=obj.pk)
        state = getattr(locked, flow.state_field)
        if state not in transition.source:
            raise TransitionRefused(f"当前状态为「{flow.state_label(state)}」,不能{transition.label}",
                                    code=flow.wrong_state_code)
        if principal is not None:
            refusal = _acting_refusal(principal, transition, locked)
            if refusal is not None:
                raise PermissionDenied(refusal)
        else:
            principal = Principal()
        missing = [label for key, label in transition.required if not str(data.get(key) or "").strip()]
        if missing:
            raise TransitionRefused(f"{transition.label}需要填写:{'、'.join(missing)}", code=transition.missing_code)
        if transition.when is not None and not transition.when(locked):
            raise TransitionRefused(transition.refusal or f"此事项目前不能{transition.label}",
                                    code=transition.refusal_code)
        on = data.get("on") or _today()
        deadline = deadline_after(transition, on)
        data = {**data, "on": on, "deadline": deadline}
        setattr(locked, flow.state_field, transition.target)
        if flow.deadline_field and deadline is not None:
            setattr(locked, flow.deadline_field, deadline)
        # The transition's own writes see the new state and may refine it (a last review step closes the case).
        extra = transition.apply(locked, principal, data) if transition.apply is not None else None
        locked.save()
        detail = {"from": state, "to": getattr(locked, flow.state_field), "transition": transition.name}
        if deadline is not None:
            detail["deadline"] = str(deadline)
        if isinstance(extra, dict):
            detail.update(extra)
        audit.record(actor, flow.audit_action(transition), locked, detail)
        if transition.notify is not None:
            transition.notify(locked, principal, data)
    _copy_state(locked, obj)
    return locked


def _copy_state(source: models.Model, dest: models.Model) -> None:
    if source is dest:
        return
    for field_ in source._meta.concrete_fields:
        setattr(dest, field_.attname, getattr(source, field_.attname))


# ----------------------------------------------------------------------------- to-do list

@dataclass
class PendingItem:
    category: str
    title: str
    link: str
    deadline: str = ""
    overdue: bool = False


PendingProvider = Callable[[Principal], list[PendingItem]]
_PROVIDERS: list[PendingProvider] = []


def register_pending(provider: PendingProvider) -> PendingProvider:
    """Add to-do items that are not an object waiting for a transition (a report due, an overdue obligation)."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def pending_query(principal: Principal, flow: Workflow) -> models.QuerySet | None:
    """The objects of ``flow`` waiting for this principal, or None when none can."""
    waiting = [(t.target, t.pending) for t in flow.transitions if t.pending is not None]
    if flow.initial and flow.initial_pending is not None:
        waiting.append((flow.initial, flow.initial_pending))
    condition: Q | None = None
    for state, pending in waiting:
        q = pending(principal)
        if q is None:
            continue
        q = Q(**{flow.state_field: state}) & q
        condition = q if condition is None else condition | q
    if condition is None:
        return None
    qs = flow.model_class._default_manager.filter(condition)
    if flow.pending_related:
        qs = qs.select_related(*flow.pending_related)
    if flow.pending_annotations:
        qs = qs.annotate(**flow.pending_annotations)
    deadline = flow.pending_deadline or flow.deadline_field
    return qs.order_by(*([deadline, "pk"] if deadline else ["pk"]))


def _item(flow: Workflow, obj: Any, today: dt.date) -> PendingItem:
    deadline_attr = flow.pending_deadline or flow.deadline_field
    deadline = getattr(obj, deadline_attr, None) if deadline_attr else None
    if isinstance(deadline, dt.datetime):
        deadline = timezone.localdate(deadline)
    title = flow.pending_title(obj) if flow.pending_title else str(obj)
    link = flow.pending_link(obj) if flow.pending_link else obj.get_absolute_url()
    return PendingItem(flow.label or flow.model_class._meta.verbose_name, title, link,
                       deadline.isoformat() if deadline else "", bool(deadline and deadline < today))


def pending_for(principal: Principal, today: dt.date | None = None) -> list[PendingItem]:
    """Everything waiting for this principal across all workflows, overdue first, then by deadline."""
    if not principal.is_authenticated:
        return []
    today = today or _today()
    items: list[PendingItem] = []
    for flow in _REGISTRY.values():
        qs = pending_query(principal, flow)
        if qs is not None:
            items.extend(_item(flow, obj, today) for obj in qs[:flow.pending_limit])
    for provider in _PROVIDERS:
        items.extend(provider(principal))
    return sorted(items, key=lambda item: (not item.overdue, item.deadline or "9999"))


def perform_posted(principal: Principal, obj: Any, post: Any) -> tuple[Transition, Any]:
    """Perform the transition a page's form posted (``transition`` plus its declared data keys)."""
    _flow, transition = find(obj, str(post.get("transition", "")))
    keys = [key for key, _ in transition.required + transition.fields]
    return transition, perform(principal, obj, transition.name, **{key: post.get(key, "") for key in keys})


def actions(principal: Principal, obj: Any) -> list[dict[str, str]]:
    """``available`` as plain data, for API answers and templates."""
    return [{"name": t.name, "label": t.label, "style": t.style, "confirm": t.confirm,
             "required": [key for key, _ in t.required]} for t in available(principal, obj)]


def transitions_of(names: Iterable[str] | None = None) -> list[tuple[Workflow, Transition]]:
    """Every registered (workflow, transition), for the generic tests and the developer guide."""
    chosen = set(names) if names is not None else None
    return [(flow, t) for flow in _REGISTRY.values() for t in flow.transitions
            if chosen is None or flow.name in chosen]
