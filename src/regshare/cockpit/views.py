"""The cockpit's pages: thin, the numbers come from services and the boards of core.dashboard."""

from __future__ import annotations

from django.shortcuts import render

from regshare.core import audit, dashboard
from regshare.core.models import Department
from regshare.core.permissions import page_permission, principal_of, sees_everything

from . import services


@page_permission("cockpit.view")
def index(request):
    principal = principal_of(request)
    board = dashboard.figures_for("cockpit", principal)
    audit.record(principal, "cockpit.view", "cockpit:district", {})
    return render(request, "cockpit/index.html", {"board": board, "period": services.duty_period()})


@page_permission("cockpit.leader")
def leader(request):
    principal = principal_of(request)
    department = services.leader_department(principal, request.GET.get("department", "").strip())
    rows, figures = services.leader_board(principal, department)
    audit.record(principal, "cockpit.leader", f"department:{department.code}", {})
    choices = Department.objects.order_by("code").only("code", "name") if sees_everything(principal) else []
    return render(request, "cockpit/leader.html", {
        "department": department, "rows": rows, "board": dashboard.Board([], figures), "departments": choices})
