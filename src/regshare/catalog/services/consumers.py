"""Who consumes a resource (registered by higher apps) and the sections of the resource page."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.urls import reverse

from regshare.core import panels
from regshare.core import services as core_services
from regshare.core.models import Department
from regshare.core.permissions import Principal

from ..models import Resource, ResourceField

ConsumerSource = Callable[[Resource], Iterable[Department]]
_CONSUMER_SOURCES: list[ConsumerSource] = []


def register_consumer_source(fn: ConsumerSource) -> ConsumerSource:
    """Another app names departments that use a resource (e.g. exchange: holders of active grants)."""
    if fn not in _CONSUMER_SOURCES:
        _CONSUMER_SOURCES.append(fn)
    return fn


def consumers_of(resource: Resource) -> list[Department]:
    """The departments that use a resource: its dedicated departments plus every registered source's."""
    found: dict[int, Department] = {d.pk: d for d in resource.dedicated_departments.all()}
    for source in _CONSUMER_SOURCES:
        for department in source(resource) or ():
            found.setdefault(department.pk, department)
    found.pop(resource.provider_id, None)
    return sorted(found.values(), key=lambda d: d.code)


def _notify_consumers(resource: Resource, kind: str, title: str, body: str) -> list[Department]:
    consumers = consumers_of(resource)
    link = reverse("catalog:detail", args=[resource.code])
    for department in consumers:
        core_services.notify_department(department, kind, title, body, link)
    return consumers


RESOURCE_PAGE = "catalog.resource"


def register_detail_panel(fn: panels.Panel) -> panels.Panel:
    """Another app adds a section to the resource page (e.g. ingest: quality; exchange: a masked sample)."""
    return panels.register(RESOURCE_PAGE, fn)


def detail_panels(principal: Principal, resource: Resource) -> list[tuple[str, str]]:
    return panels.panels_for(RESOURCE_PAGE, principal, resource)


def schema_of(resource: Resource) -> list[ResourceField]:
    return list(resource.fields.order_by("position", "id"))
