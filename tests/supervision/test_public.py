"""What the public portal reads: published items, plans (seed published), results and draw records."""

from regshare.supervision import services
from regshare.supervision.models import InspectionTask, SupervisionItem, TaskStatus

DEMO_TASK = "柴桑双随机〔2026〕1号"


def test_public_items_are_the_published_ones(sup):
    item = SupervisionItem.objects.filter(published=True).first()
    SupervisionItem.objects.exclude(pk=item.pk).update(published=False)
    assert list(services.public_items()) == [item]
    assert list(services.public_items(q=item.main_name[:4])) == [item]
    assert list(services.public_items(q="不存在的事项\x00")) == []
    assert list(services.public_items(way="no-such-way")) == []


def test_public_plans_show_tasks_once_their_seed_is_public(sup, principal_of_user):
    plans = list(services.public_plans())
    codes = [p.code for p in plans]
    assert DEMO_TASK in codes
    draft = InspectionTask.objects.get(code="柴桑双随机〔2026〕2号")
    assert draft.status == TaskStatus.DRAFT and draft.code not in codes
    demo = next(p for p in plans if p.code == DEMO_TASK)
    assert demo.n_objects == demo.selections.count() > 0
    services.publish_seed(principal_of_user("admin"), draft, "cd" * 32)
    plans = {p.code: p for p in services.public_plans(q="2号")}
    assert list(plans) == [draft.code] and plans[draft.code].n_objects == 0


def test_public_results_only_of_published_tasks(sup):
    task = InspectionTask.objects.get(code=DEMO_TASK)
    rows = list(services.public_results())
    assert rows and {r.task_id for r in rows} == {task.pk}
    assert all(r.outcome and r.get_outcome_display() for r in rows)
    one = rows[0]
    assert [r.code for r in services.public_results(task=task, q=one.entity.name)] == [one.code]
    InspectionTask.objects.filter(pk=task.pk).update(status=TaskStatus.RESULTS_ENTERED)
    assert list(services.public_results()) == []


def test_public_draw_record_is_the_exported_file(sup):
    task = InspectionTask.objects.get(code=DEMO_TASK)
    assert services.public_draw_record(task.pk) == services.published_record(task)
    draft = InspectionTask.objects.get(code="柴桑双随机〔2026〕2号")
    assert services.public_draw_record(draft.pk) is None
    assert services.public_draw_record(10**9) is None
