"""Helpers shared by every app's page views."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.paginator import Page, Paginator
from django.http import HttpRequest


def page_of(request: HttpRequest, items: Sequence, per_page: int = 20) -> Page:
    """The page of ``items`` named by ``?page=`` (out-of-range or malformed numbers give the nearest page)."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))
