"""What the cockpit adds to the boards of ``core.dashboard``: each role's dashboard figures and the
district cockpit itself (other apps may add figures to the same boards)."""

from __future__ import annotations

import datetime as dt

from regshare.core import dashboard
from regshare.core.dashboard import Figure, Stat
from regshare.core.models import Role
from regshare.core.permissions import Principal, has_perm

from . import services

DEPARTMENT_WORK = {Role.DATA_LIAISON, Role.DEPARTMENT_ADMIN}


def role_figures(principal: Principal, today: dt.date) -> list[Figure]:
    """The charts of a person's 工作台, by role: district figures for the bureau, the department's own otherwise."""
    if principal.user is None:
        return []
    roles, department = principal.roles, principal.department
    figures: list[Figure] = []
    if has_perm(principal, "cockpit.view"):
        figures += [services.sharing_volume(today), services.applications_by_stage()]
        if Role.AUDITOR in roles:
            figures.append(services.incidents_by_month(today))
    if department is not None:
        if roles & DEPARTMENT_WORK:
            figures += [services.applications_by_stage(department), services.sharing_volume(today, department),
                        services.quality_trend(today, department), services.duty_status(today, department)]
        if Role.REVIEWER in roles:
            figures += [services.review_times(today, department), services.on_time_rates(today, department)]
        if Role.LEADER in roles:
            figures += [services.comparison_figure(department, today), services.applications_by_stage(department),
                        services.review_times(today, department)]
    if Role.INSPECTOR in roles:
        figures.append(services.inspection_tasks(principal))
    unique: dict[str, Figure] = {}
    for figure in figures:
        unique.setdefault(figure.key, figure)
    return list(unique.values())


def cockpit_board(principal: Principal, today: dt.date) -> list[Figure | Stat] | None:
    if not has_perm(principal, "cockpit.view"):
        return None
    stats, figures = services.cockpit(principal, today)
    return [*stats, *figures]


def register() -> None:
    dashboard.register_figure("dashboard", role_figures, order=10)
    dashboard.register_figure("cockpit", cockpit_board, order=10)
