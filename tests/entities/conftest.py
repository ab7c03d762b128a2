"""Shared helpers of the entity tests."""

from __future__ import annotations

from django.db.models import ProtectedError

from regshare.entities.models import Entity, EntityLink


def empty_master() -> None:
    """Delete every entity and every link, and first the rows of higher apps that protect entities (a
    supervision record, a draw's selection): the shared district may carry those apps' demo data, and their
    records' links. Undone with the test's transaction."""
    EntityLink.objects.all().delete()
    for _attempt in range(5):
        try:
            Entity.objects.all().delete()
            return
        except ProtectedError as protected:
            for row in protected.protected_objects:
                type(row)._base_manager.filter(pk=row.pk).delete()
    Entity.objects.all().delete()
