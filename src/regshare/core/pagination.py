"""The page-number pagination of every API list: django-ninja's, with the page number bounded.

Ninja accepts any ``page`` ≥ 1 and computes the offset from it, so ``page=9223372036854775808`` reached the
database as an offset it cannot take (SQLite: "Python int too large", PostgreSQL: bigint out of range) and
answered 500. Bounded here, a page beyond the limit is refused with the API's 422 ``invalid_request``;
any page up to it that has no rows is an empty page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination as NinjaPageNumberPagination
from ninja.pagination import paginate

__all__ = ["MAX_PAGE", "Mapped", "PageNumberPagination", "paginate"]

# With ninja's largest page size (100) the offset stays far below 2^63.
MAX_PAGE = 10**9


class PageNumberPagination(NinjaPageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE, description="页码")
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE, description="每页条数(不超过上限)")


class Mapped(Sequence):
    """A queryset shaped row by row only for the page that is sent: ``paginate`` slices it (the database pages)
    and counts it (``SELECT COUNT``), so a list handler that shapes its rows need not load all of them first."""

    def __init__(self, queryset: QuerySet, shape: Callable[[Any], Any] | None = None, *,
                 batch: Callable[[list], list] | None = None) -> None:
        """``shape`` shapes one row; ``batch`` shapes the page's rows at once (one query for a column
        that a higher app adds to the whole page)."""
        self.queryset = queryset
        self.shape = shape or (lambda row: row)
        self.batch = batch

    def __len__(self) -> int:
        return self.queryset.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            rows = [self.shape(row) for row in self.queryset[index]]
            return self.batch(rows) if self.batch else rows
        row = self.shape(self.queryset[index])
        return self.batch([row])[0] if self.batch else row
