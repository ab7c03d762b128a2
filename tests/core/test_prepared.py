"""Querysets compiled once (core.prepared) give exactly what the ORM gives."""

from __future__ import annotations

import pytest

from regshare.core.models import User
from regshare.core.prepared import Prepared

pytestmark = pytest.mark.django_db

BY_NAME = Prepared(lambda name: User.objects.select_related("department").filter(username=name), "str")
BY_DEPARTMENT = Prepared(lambda pk: User.objects.filter(department_id=pk, is_active=True).order_by("username"), "int")


def test_same_rows_fields_and_related_objects_as_the_orm(demo):
    for username in ("admin", "scjg_liaison", "xzsp_reviewer"):
        expected = User.objects.select_related("department").filter(username=username).first()
        found = BY_NAME.first(username)
        assert found == expected
        assert [getattr(found, f.attname) for f in User._meta.concrete_fields] == \
            [getattr(expected, f.attname) for f in User._meta.concrete_fields]
        assert found.department == expected.department  # populated by select_related, no query needed
    liaison = User.objects.get(username="scjg_liaison")
    assert BY_DEPARTMENT.all(liaison.department_id) == list(
        User.objects.filter(department_id=liaison.department_id, is_active=True).order_by("username"))


def test_unknown_value_gives_nothing(demo):
    assert BY_NAME.first("没有这个人") is None
    assert BY_DEPARTMENT.all(-1) == []


def test_an_argument_the_builder_uses_twice_is_refused(demo):
    twice = Prepared(lambda name: User.objects.filter(username=name) | User.objects.filter(email=name), "str")
    with pytest.raises(ValueError):
        twice.all("admin")


def test_insert_writes_what_save_would(demo):
    from regshare.core.models import Notification
    from regshare.core.prepared import insert

    user = User.objects.get(username="admin")
    fields = {"user": user, "kind": "test", "title": "标题", "body": "正文", "link": "/x/"}
    made = insert(Notification(**fields))
    saved = Notification.objects.create(**fields)
    got = Notification.objects.get(pk=made.pk)
    assert made.pk and saved.pk == made.pk + 1
    for f in Notification._meta.concrete_fields:
        if not f.primary_key and f.name != "created_at":
            assert getattr(got, f.attname) == getattr(saved, f.attname)
    assert got.created_at is not None  # auto_now_add filled as by save()
