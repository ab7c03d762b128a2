"""``{% board "dashboard" %}``: the headline numbers and charts that apps registered for a board
(``core.dashboard.register_figure``), for the signed-in principal; ``{% figures board %}`` renders a
board a view has already computed (the cockpit's pages)."""

from __future__ import annotations

from django import template

from regshare.core import dashboard
from regshare.core.permissions import principal_of

register = template.Library()


@register.inclusion_tag("core/_board.html", takes_context=True)
def board(context: template.Context, name: str) -> dict:
    request = context["request"]
    return {"board": dashboard.figures_for(name, principal_of(request))}


@register.inclusion_tag("core/_board.html")
def figures(computed: dashboard.Board) -> dict:
    return {"board": computed}
