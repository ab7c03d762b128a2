"""Notifications to a user, a department or the data bureau, and the inbox."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet, Value

from ..models import Department, Notification, NotificationRead, User
from ..permissions import Principal


def notify_user(user: User, kind: str, title: str, body: str = "", link: str = "") -> Notification:
    return Notification.objects.create(user=user, kind=kind, title=title[:200], body=body, link=link)


def notify_department(department: Department, kind: str, title: str, body: str = "", link: str = "") -> Notification:
    return Notification.objects.create(department=department, kind=kind, title=title[:200], body=body, link=link)


def notify_data_bureau(kind: str, title: str, body: str = "", link: str = "") -> list[Notification]:
    return [notify_department(d, kind, title, body, link) for d in Department.objects.filter(is_data_bureau=True)]


def inbox(user: User) -> QuerySet[Notification]:
    """Notifications addressed to the user or to the user's department, newest first, with ``is_read``."""
    addressed = Q(user=user)
    if user.department_id:
        addressed |= Q(department_id=user.department_id)
    read = NotificationRead.objects.filter(notification=OuterRef("pk"), user=user)
    return Notification.objects.filter(addressed).annotate(is_read=Exists(read))


def inbox_of(principal: Principal) -> QuerySet[Notification]:
    """A person's inbox; a department system's token reads what is addressed to its department, and has no
    read state of its own (read marks belong to people)."""
    if principal.user is not None:
        return inbox(principal.user)
    addressed = Notification.objects.filter(department=principal.department) if principal.department else (
        Notification.objects.none())
    return addressed.annotate(is_read=Value(False, output_field=BooleanField()))


def mark_read_by(principal: Principal, notification_ids: list[int] | None = None) -> int:
    if principal.user is None:
        raise ValidationError("接口令牌没有已读状态:通知由本部门人员登录后标记已读", code="no_read_state")
    return mark_read(principal.user, notification_ids)


def unread_count(user: User) -> int:
    return inbox(user).filter(is_read=False).count()


def mark_read(user: User, notification_ids: list[int] | None = None) -> int:
    """Mark some (or all, when ``notification_ids`` is None) of the user's notifications read."""
    unread = inbox(user).filter(is_read=False)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    rows = [NotificationRead(notification_id=pk, user=user) for pk in unread.values_list("pk", flat=True)]
    NotificationRead.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
