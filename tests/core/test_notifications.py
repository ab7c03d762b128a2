from regshare.core import services
from regshare.core.models import Notification


def test_user_and_department_inboxes_with_unread_count(client_as, user_named):
    Notification.objects.all().delete()  # other apps' demo data in the shared database sends notices too
    liaison = user_named("scjg_liaison")
    services.notify_user(liaison, "review", "您有一条共享申请待审核", link="/")
    services.notify_department(liaison.department, "quality", "市场主体登记信息质量报告已生成")
    services.notify_department(user_named("swj_liaison").department, "quality", "他部门的通知")
    assert services.unread_count(liaison) == 2
    assert services.unread_count(user_named("scjg_reviewer")) == 1  # department notice only

    client = client_as("scjg_liaison")
    page = client.get("/").content.decode()
    assert 'data-testid="unread-count">2<' in page
    inbox = client.get("/notifications/").content.decode()
    assert "您有一条共享申请待审核" in inbox and "他部门的通知" not in inbox

    client.post("/notifications/read/")
    assert services.unread_count(liaison) == 0
    # Reading a department notice marks it read for this person only.
    assert services.unread_count(user_named("scjg_reviewer")) == 1


def test_notifications_api_paginates_and_marks_read(client_as, user_named):
    user = user_named("fgj_analyst")
    for i in range(25):
        services.notify_user(user, "alert", f"预警 {i}")
    client = client_as("fgj_analyst")
    first = client.get("/api/v1/notifications").json()
    assert first["count"] == 25 and len(first["items"]) == 20
    ids = [n["id"] for n in first["items"][:3]]
    assert client.post("/api/v1/notifications/read", {"ids": ids}, content_type="application/json").json() == {"count": 3}
    assert client.get("/api/v1/notifications?unread=true").json()["count"] == 22
