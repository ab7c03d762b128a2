"""Who sees what of a resource (``access_scope``), with the per-process cache of the metadata it reads."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from cachetools import TTLCache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from regshare.catalog.models import Resource, ResourceField, ShareType, Status
from regshare.core.clock import today
from regshare.core.models import ApiToken, Department
from regshare.core.permissions import Principal, has_perm

from ..models import Grant, GrantStatus, GrantToken
from .applications import field_codes
from .common import grant_is_live


@dataclass(frozen=True)
class AccessScope:
    """What one principal may see of one resource: visible fields, clear-text fields, row filter."""

    resource: Resource
    fields: tuple[str, ...]
    clear: frozenset[str]
    row_filter: dict
    grant: Grant | None
    basis: str  # grant | dedicated | unconditional | provider
    tags: dict = field(default_factory=dict)
    # Every live grant behind the scope: each is applied on its own (exchange.access.grant_terms).
    grants: tuple = ()


# Field metadata, resources and token→grant bindings are read on every data request, so each process keeps
# them for a few seconds (cachetools). A change in this process (a grant ended, a field edited, a token
# bound) clears them when it commits. Revocation takes effect at once everywhere: ending a grant revokes
# its tokens in the same transaction, and the token itself is checked against the database on every call.
META_TTL = 5.0
_meta_cache: TTLCache = TTLCache(maxsize=4096, ttl=META_TTL)
_meta_lock = threading.Lock()
_MISSING = object()


def _cached(key: tuple, load):
    with _meta_lock:
        hit = _meta_cache.get(key, _MISSING)
    if hit is not _MISSING:
        return hit
    value = load()
    with _meta_lock:
        _meta_cache[key] = value
    return value


def forget_metadata(*_args, **_kwargs) -> None:
    """Clear the cached metadata now and once the current transaction commits (a request reading the old
    rows in between must not keep them for the next seconds)."""
    _clear_metadata()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_clear_metadata)


def _clear_metadata() -> None:
    with _meta_lock:
        _meta_cache.clear()


for _model in (Grant, GrantToken, Resource, ResourceField):
    post_save.connect(forget_metadata, sender=_model, dispatch_uid=f"regshare.exchange.meta.save.{_model.__name__}")
    post_delete.connect(forget_metadata, sender=_model, dispatch_uid=f"regshare.exchange.meta.del.{_model.__name__}")


def _tags(resource: Resource) -> dict[str, str]:
    return _cached(("tags", resource.pk, resource.updated_at), lambda: dict(resource.fields.values_list("code_name", "tag")))


def _scope_of_grant(grant: Grant, resource: Resource) -> AccessScope:
    return AccessScope(resource, tuple(grant.fields), frozenset(grant.clear_fields), dict(grant.row_filter or {}),
                       grant, "grant", _tags(resource), (grant,))


def resource_by_code(code: str) -> Resource | None:
    """A resource for the data API; cached for a few seconds (a change of status reaches readers then)."""
    return _cached(("resource", code), lambda: Resource.objects.select_related("provider").filter(code=code).first())


def _token_grant(token: ApiToken) -> Grant | None:
    def load():
        binding = GrantToken.objects.filter(token=token).select_related("grant").first()
        return binding.grant if binding is not None else None

    return _cached(("token", token.pk, token.secret_hash), load)


def access_scope(principal: Principal, resource: Resource) -> AccessScope | None:
    """SPEC §1: rows are visible only through a grant, a dedicated listing, or because the resource is
    unconditional and the viewer is a government user. None means: no rows at all."""
    if not principal.is_authenticated:
        return None
    if principal.token is not None:
        grant = _token_grant(principal.token)
        if grant is None or grant.resource_id != resource.pk or not grant_is_live(grant):
            return None
        return _scope_of_grant(grant, resource)
    department = principal.department
    if department is None or not has_perm(principal, "exchange.access"):
        return None
    if department.pk == resource.provider_id:
        fields = field_codes(resource)
        return AccessScope(resource, tuple(fields), frozenset(fields), {}, None, "provider", _tags(resource))
    if resource.status != Status.PUBLISHED:
        return None
    live = [g for g in Grant.objects.filter(resource=resource, consumer=department, status=GrantStatus.ACTIVE)
            if grant_is_live(g)]
    if live:
        if len(live) == 1:
            return _scope_of_grant(live[0], resource)
        # Several grants: their union; a grant without a row filter opens every row.
        fields = set().union(*(g.fields for g in live))
        clear = set().union(*(g.clear_fields for g in live))
        row_filter = {} if any(not g.row_filter for g in live) else _merge_filters([g.row_filter for g in live])
        ordered = [f for f in field_codes(resource) if f in fields]
        return AccessScope(resource, tuple(ordered), frozenset(clear), row_filter, live[0], "grant", _tags(resource),
                           tuple(live))
    if resource.share_type == ShareType.NONE:
        return None
    if resource.dedicated_departments.filter(pk=department.pk).exists():
        return AccessScope(resource, tuple(field_codes(resource)), frozenset(), {}, None, "dedicated", _tags(resource))
    if resource.share_type == ShareType.UNCONDITIONAL:
        return AccessScope(resource, tuple(field_codes(resource)), frozenset(), {}, None, "unconditional",
                           _tags(resource))
    return None


def _merge_filters(filters: list[dict]) -> dict:
    # Rows allowed by any grant: only a field restricted by every grant stays restricted.
    common = set(filters[0]).intersection(*filters[1:]) if filters else set()
    if len(common) != 1:
        return {}
    name = common.pop()
    return {name: sorted(set().union(*(f[name] for f in filters)))}


def consumers_of(resource: Resource) -> list[Department]:
    """Departments holding a live grant on the resource (registered with the catalog)."""
    on = today()
    ids = (Grant.objects.filter(resource=resource, status=GrantStatus.ACTIVE, starts_on__lte=on, expires_on__gte=on)
           .values_list("consumer_id", flat=True).distinct())
    return list(Department.objects.filter(pk__in=list(ids)))
