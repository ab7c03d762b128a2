"""Template filters that turn the platform's codes into the Chinese words of ``core.labels``."""

from __future__ import annotations

from typing import Any

from django import template

from regshare.core import labels

register = template.Library()


@register.filter
def action_label(code: str) -> str:
    return labels.action_label(code)


@register.filter
def notification_kind(code: str) -> str:
    return labels.notification_kind_label(code)


@register.filter
def actor_label(actor: str) -> str:
    return labels.actor_label(actor)


@register.filter
def detail_items(text: str) -> list[tuple[str, str]]:
    return labels.detail_items(text)


@register.filter
def percent(value: Any) -> str:
    return labels.ratio_percent(value)


@register.filter
def permission_label(perm: str) -> str:
    return labels.permission_label(perm)


@register.filter
def write_mode(code: str) -> str:
    return labels.write_mode_label(code)


@register.filter
def scope_labels(scopes: list[str]) -> list[str]:
    return labels.scope_labels(scopes)
