"""The navigation menu. Each entry names the permission that shows it, so a role sees only what it may open."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from .permissions import Principal, has_perm


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    perm: str
    group: str


MENU: list[MenuItem] = [
    MenuItem("工作台", "core:dashboard", "dashboard.view", "工作台"),
    MenuItem("消息通知", "core:notifications", "notifications.view", "工作台"),
]


def register_menu(*items: MenuItem) -> None:
    for item in items:
        if item not in MENU:
            MENU.append(item)


ADMIN_MENU: list[MenuItem] = [
    MenuItem("部门与人员", "core:departments", "departments.view", "系统管理"),
    MenuItem("用户管理", "core:users", "users.view", "系统管理"),
    MenuItem("接口令牌", "core:tokens", "tokens.manage", "系统管理"),
    MenuItem("工作日日历", "core:calendar", "calendar.view", "系统管理"),
    MenuItem("审计日志", "core:audit", "audit.view", "系统管理"),
]


def menu_for(principal: Principal, current_path: str = "") -> list[dict]:
    groups: dict[str, list[dict]] = {}
    for item in MENU + ADMIN_MENU:
        if not has_perm(principal, item.perm):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        active = current_path == url or (url != "/" and current_path.startswith(url))
        groups.setdefault(item.group, []).append({"label": item.label, "url": url, "active": active})
    return [{"group": name, "items": items} for name, items in groups.items()]
