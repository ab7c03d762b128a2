"""Credit pages' words for codes stored without choices."""

from __future__ import annotations

from django import template

from regshare.entities.models import LinkMethod

register = template.Library()

_LINK_METHODS = dict(LinkMethod.choices)


@register.filter
def link_method(code: str) -> str:
    """``exact`` → 代码精确匹配, ``probabilistic`` → 概率匹配; an empty value stays empty."""
    return _LINK_METHODS.get(code or "", code or "")
