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


def test_update_fields_writes_only_the_named_fields_of_each_row(demo):
    import datetime as dt

    from regshare.core.prepared import update_fields
    from regshare.credit.models import RiskAssessment
    from regshare.entities.models import Entity

    entities = [Entity.objects.create(uscc=f"91360404MA00000{n}X", name=f"测试企业{n}有限公司", name_norm=f"测试企业{n}")
                for n in range(3)]
    rows = [RiskAssessment.objects.create(entity=e, risk_class="A", score=600, probability=0.01,
                                          reasons=["原因"], features={"x": 1}, computed_on=dt.date(2026, 1, 5))
            for e in entities]
    rows[0].risk_class, rows[0].reasons, rows[0].score = "C", ["经营异常", "引号\"与换行\n"], 1
    rows[1].risk_class, rows[1].reasons = "D", []
    assert update_fields(rows[:2], ["risk_class", "reasons"]) == 2 and update_fields([], ["reasons"]) == 0
    stored = {r.pk: r for r in RiskAssessment.objects.filter(pk__in=[r.pk for r in rows])}
    assert (stored[rows[0].pk].risk_class, stored[rows[0].pk].reasons) == ("C", ["经营异常", "引号\"与换行\n"])
    assert stored[rows[0].pk].score == 600  # not named, not written
    assert (stored[rows[1].pk].risk_class, stored[rows[1].pk].reasons) == ("D", [])
    assert (stored[rows[2].pk].risk_class, stored[rows[2].pk].reasons) == ("A", ["原因"])
