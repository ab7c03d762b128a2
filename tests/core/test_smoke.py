def test_health_is_public(client, demo):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_dashboard_for_signed_in_user(client_as):
    response = client_as("scjg_liaison").get("/")
    assert response.status_code == 200
    assert "待办事项" in response.content.decode()
