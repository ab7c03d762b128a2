"""Push (HMAC, retry, replay, revocation), API proxy, offline packages and corrections — each masks
exactly like the query API."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pyarrow.parquet as pq
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from regshare.cli import main as cli
from regshare.core.models import AuditRecord
from regshare.exchange import packages, services
from regshare.exchange.masking import mask_value
from regshare.exchange.models import CorrectionStatus, DeliveryStatus, ProxyEndpoint
from regshare.lake import tables as lake

from .conftest import registry_table

TAGS = {"uscc": "uscc", "name": "company_name", "legal_rep": "person_name", "legal_rep_id": "id_card",
        "phone": "mobile", "address": "address"}


def masked(i: int, fields) -> dict:
    raw = registry_table().slice(i, 1).to_pylist()[0]
    return {f: mask_value(TAGS.get(f, ""), raw[f]) if f in TAGS else raw[f] for f in fields}


def body_of(hit) -> dict:
    return json.loads(hit["body"])


# ----------------------------------------------------------------------------- push


def test_push_delivers_changed_rows_masked_and_signed(granted, receiver, principal_of_user):
    grant = granted(fields=("uscc", "legal_rep_id", "phone"))
    subscription = services.subscribe(principal_of_user("xzsp_liaison"), grant, receiver.url + "/hook")
    changed = registry_table().slice(0, 2)
    changed = changed.set_column(4, "phone", __import__("pyarrow").array(["13900000000", "13900000001"]))
    version = lake.write("SCJG-0001", changed, mode="merge", key=["uscc"])
    assert len(receiver.received) == 1
    hit = receiver.received[0]
    expected = "sha256=" + hmac.new(subscription.secret.encode(), hit["body"], hashlib.sha256).hexdigest()
    assert hit["headers"]["X-Regshare-Signature"] == expected
    payload = body_of(hit)
    assert payload["version"] == version and payload["from_version"] == version - 1
    assert {r["uscc"]: r["phone"] for r in payload["rows"]} == {"91360404MA3500000X": "139****0000",
                                                                "91360404MA3500001X": "139****0001"}
    assert all(set(r) == {"uscc", "legal_rep_id", "phone", "_change_type"} for r in payload["rows"])
    ids = {r["uscc"]: r["legal_rep_id"] for r in payload["rows"]}
    assert ids["91360404MA3500000X"] == mask_value("id_card", "360404199001010000")
    subscription.refresh_from_db()
    assert subscription.delivered_version == version
    assert AuditRecord.objects.filter(action="exchange.access.push").exists()


def test_push_retries_with_backoff_then_succeeds(granted, receiver, principal_of_user):
    grant = granted(fields=("uscc", "name"))
    subscription = services.subscribe(principal_of_user("xzsp_liaison"), grant, receiver.url)
    receiver.statuses = [500]
    version = lake.write("SCJG-0001", registry_table(name_suffix="A").slice(0, 3), mode="merge", key=["uscc"])
    delivery = subscription.deliveries.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1 and "500" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now()
    assert services.retry_due_deliveries(now=timezone.now()) == 0  # backoff not yet elapsed
    services.retry_due_deliveries(now=delivery.next_attempt_at + dt.timedelta(seconds=1))
    delivery.refresh_from_db()
    subscription.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2
    assert subscription.delivered_version == version
    assert len(receiver.received) == 2 and body_of(receiver.received[1])["rows"][0]["name"].endswith("A")


def test_replay_from_a_version_and_offsets_per_subscriber(granted, receiver, principal_of_user):
    grant = granted(fields=("uscc", "name"))
    start = lake.current_version("SCJG-0001")
    first = services.subscribe(principal_of_user("xzsp_liaison"), grant, receiver.url + "/a")
    lake.write("SCJG-0001", registry_table(name_suffix="B").slice(0, 1), mode="merge", key=["uscc"])
    lake.write("SCJG-0001", registry_table(name_suffix="C").slice(1, 1), mode="merge", key=["uscc"])
    assert len(receiver.received) == 2
    second = services.subscribe(principal_of_user("xzsp_liaison"), grant, receiver.url + "/b", from_version=start + 1)
    assert len(receiver.received) == 3  # the newcomer catches up from its own offset in one delivery
    assert {r["uscc"] for r in body_of(receiver.received[2])["rows"]} == {"91360404MA3500000X", "91360404MA3500001X"}
    services.replay(principal_of_user("xzsp_liaison"), first, start + 2)
    replayed = body_of(receiver.received[3])
    assert replayed["from_version"] == start + 1 and [r["uscc"] for r in replayed["rows"]] == ["91360404MA3500001X"]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.delivered_version == second.delivered_version == start + 2


def test_revocation_stops_subscriptions_at_once(granted, receiver, principal_of_user):
    grant = granted(fields=("uscc",))
    subscription = services.subscribe(principal_of_user("xzsp_liaison"), grant, receiver.url)
    services.revoke_grant(principal_of_user("scjg_liaison"), grant, "违规扩散")
    lake.write("SCJG-0001", registry_table(name_suffix="D").slice(0, 1), mode="merge", key=["uscc"])
    subscription.refresh_from_db()
    assert not subscription.active and receiver.received == []
    with pytest.raises(ValidationError):
        services.subscribe(principal_of_user("xzsp_liaison"), grant, receiver.url)


def test_subscription_over_the_api_with_the_grant_token(granted, token_for, api, receiver):
    grant = granted(fields=("uscc",))
    token = token_for(grant)
    response = api("post", "/api/v1/subscriptions", token, data=json.dumps({"grant": grant.pk, "url": receiver.url}),
                   content_type="application/json")
    assert response.status_code == 201 and response.json()["secret"]
    bad = api("post", "/api/v1/subscriptions", token, data=json.dumps({"grant": grant.pk, "url": "ftp://x"}),
              content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "bad_url"


# ----------------------------------------------------------------------------- proxy


def test_proxy_forwards_and_masks_like_the_api(granted, token_for, api, receiver, principal_of_user, resource):
    services.register_proxy(principal_of_user("scjg_liaison"), resource, receiver.url + "/svc")
    raw = registry_table().slice(3, 1).to_pylist()[0]
    receiver.payload_for_get = {"total": 1, "rows": [{k: (v.isoformat() if isinstance(v, dt.date) else v)
                                                      for k, v in raw.items()}]}
    token = token_for(granted(fields=("uscc", "legal_rep", "phone", "address")))
    response = api("get", "/api/v1/resources/SCJG-0001/proxy/company", token,
                   data={"uscc": raw["uscc"], "receipt": "1"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["data"] == {"rows": [masked(3, ["uscc", "legal_rep", "phone", "address"])]}
    assert receiver.received[-1]["path"] == f"/svc/company?uscc={raw['uscc']}"
    assert body["receipt"]["receipt"]["channel"] == "proxy"
    refused = api("get", "/api/v1/resources/SCJG-0001/proxy/company", token, data={"capital": "1"})
    assert refused.status_code == 400 and refused.json()["code"] == "field_not_granted"


def test_proxy_endpoint_is_registered_by_the_provider_only(client_as, resource, allow_egress):
    allow_egress("127.0.0.1:8999")
    body = json.dumps({"base_url": "http://127.0.0.1:8999/svc"})
    refused = client_as("fgj_liaison").put("/api/v1/resources/SCJG-0001/proxy-endpoint", body,
                                           content_type="application/json")
    assert refused.status_code == 403
    ok = client_as("scjg_liaison").put("/api/v1/resources/SCJG-0001/proxy-endpoint", body,
                                       content_type="application/json")
    assert ok.status_code == 200 and ok.json()["base_url"] == "http://127.0.0.1:8999/svc"


def test_proxy_with_upstream_down_is_a_502(granted, token_for, api, principal_of_user, resource, allow_egress):
    allow_egress("127.0.0.1:9")
    services.register_proxy(principal_of_user("scjg_liaison"), resource, "http://127.0.0.1:9/none", timeout=1)
    token = token_for(granted(fields=("uscc",)))
    assert api("get", "/api/v1/resources/SCJG-0001/proxy/x", token).status_code == 502


def test_proxy_passes_only_granted_fields_of_rows_in_the_row_filter_masked(granted, token_for, api, receiver,
                                                                           principal_of_user, resource):
    services.register_proxy(principal_of_user("scjg_liaison"), resource, receiver.url + "/svc")
    raw = [registry_table().slice(i, 1).to_pylist()[0] for i in (1, 2)]  # industry C13 and F52
    receiver.payload_for_get = {
        "total": 2, "sql": "SELECT * FROM entity", "operator": {"name": "王五", "id_card": "360404198001011234"},
        "rows": [{"uscc": r["uscc"], "legal_rep_id": r["legal_rep_id"], "industry": r["industry"],
                  "phone": r["phone"], "name": {"registered": r["name"]}, "internal_note": "内部备注"} for r in raw],
    }
    grant = granted(fields=("uscc", "name", "legal_rep_id", "industry"), row_filter={"industry": ["C13"]})
    response = api("get", "/api/v1/resources/SCJG-0001/proxy/company", token_for(grant), data={"industry": "C13"})
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {"rows": [{
        "uscc": raw[0]["uscc"], "legal_rep_id": mask_value("id_card", raw[0]["legal_rep_id"]), "industry": "C13"}]}
    text = response.content.decode()
    for leaked in ("SELECT", "王五", "360404198001011234", "内部备注", raw[0]["phone"], raw[1]["uscc"],
                   raw[0]["legal_rep_id"]):
        assert leaked not in text


# ----------------------------------------------------------------------------- egress


def test_webhook_to_an_internal_address_is_refused_and_nothing_subscribed(granted, token_for, api, settings):
    grant = granted(fields=("uscc",))
    settings.REGSHARE_EGRESS_ALLOW = []
    for url in ("http://127.0.0.1:8000/hook", "http://169.254.169.254/", "http://[::ffff:10.0.0.1]/"):
        response = api("post", "/api/v1/subscriptions", token_for(grant),
                       data=json.dumps({"grant": grant.pk, "url": url}), content_type="application/json")
        assert response.status_code == 400 and response.json()["code"] == "egress_forbidden"
    assert not grant.subscriptions.exists()


def test_delivery_rechecks_the_address_and_sends_nothing_once_refused(granted, receiver, principal_of_user,
                                                                      settings):
    grant = granted(fields=("uscc", "name"))
    subscription = services.subscribe(principal_of_user("xzsp_liaison"), grant, receiver.url)
    settings.REGSHARE_EGRESS_ALLOW = []  # the admin takes the receiver off the allow-list
    lake.write("SCJG-0001", registry_table(name_suffix="E").slice(0, 1), mode="merge", key=["uscc"])
    delivery = subscription.deliveries.get()
    assert delivery.status == DeliveryStatus.PENDING and "回调地址" in delivery.last_error
    assert "白名单" in delivery.last_error and receiver.received == []
    failed = AuditRecord.objects.filter(action="exchange.push.failed").latest("seq")
    assert "回调地址" in failed.detail


def test_proxy_address_is_checked_at_registration_and_at_every_call(granted, token_for, api, receiver, client_as,
                                                                     principal_of_user, resource, settings):
    services.register_proxy(principal_of_user("scjg_liaison"), resource, receiver.url + "/svc")
    token = token_for(granted(fields=("uscc",)))
    settings.REGSHARE_EGRESS_ALLOW = []
    response = api("get", "/api/v1/resources/SCJG-0001/proxy/company", token)
    assert response.status_code == 400 and response.json()["code"] == "egress_forbidden"
    assert receiver.received == []
    refused = client_as("scjg_liaison").put("/api/v1/resources/SCJG-0001/proxy-endpoint",
                                            json.dumps({"base_url": "http://10.0.0.8/svc"}),
                                            content_type="application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "egress_forbidden"
    assert ProxyEndpoint.objects.get(resource=resource).base_url == receiver.url + "/svc"


# ----------------------------------------------------------------------------- offline


def test_offline_package_round_trip_masked_and_wrong_key(granted, principal_of_user, tmp_path, capsys):
    grant = granted(fields=("uscc", "legal_rep", "legal_rep_id"))
    record, blob, key = services.build_offline_package(principal_of_user("scjg_liaison"), grant)
    opened = services.open_offline_package(blob, key)
    rows = pq.read_table(__import__("io").BytesIO(opened.files["data.parquet"])).to_pylist()
    assert len(rows) == 30 and rows[4] == masked(4, ["uscc", "legal_rep", "legal_rep_id"])
    assert opened.manifest["rows"] == 30 and opened.manifest["grant"] == grant.pk
    with pytest.raises(packages.PackageError):
        services.open_offline_package(blob, packages.new_key())
    tampered = bytearray(blob)
    tampered[-5] ^= 1
    with pytest.raises(packages.PackageError):
        services.open_offline_package(bytes(tampered), key)
    path = tmp_path / record.file_name
    path.write_bytes(blob)
    assert cli(["package", "open", str(path), "--key", key, "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "data.parquet").exists()
    assert cli(["package", "open", str(path), "--key", packages.new_key()]) == 1
    services.record_handover(principal_of_user("scjg_liaison"), record, medium="光盘", handed_over_by="李四",
                             received_by="王五")
    record.refresh_from_db()
    assert record.handed_over_at is not None
    assert AuditRecord.objects.filter(action="exchange.offline.handover").exists()


# ----------------------------------------------------------------------------- corrections


def test_correction_becomes_a_new_version_and_reaches_subscribers(granted, principal_of_user, receiver):
    grant = granted(fields=("uscc", "name", "capital"))
    services.subscribe(principal_of_user("xzsp_liaison"), grant, receiver.url)
    correction = services.report_correction(principal_of_user("xzsp_liaison"), grant.resource,
                                            {"uscc": "91360404MA3500008X"}, "capital", "888.5",
                                            "营业执照载明注册资本为 888.5 万元", on=dt.date(2026, 9, 30))
    assert correction.deadline == dt.date(2026, 10, 13) and correction.reported_value == "108.0"
    before = lake.current_version("SCJG-0001")
    with pytest.raises(ValidationError):
        services.answer_correction(principal_of_user("scjg_liaison"), correction, True, "")
    services.answer_correction(principal_of_user("scjg_liaison"), correction, True, "已核实更正")
    correction.refresh_from_db()
    assert correction.status == CorrectionStatus.CORRECTED and correction.new_version == before + 1
    row = lake.read("SCJG-0001").filter(
        __import__("pyarrow").compute.equal(lake.read("SCJG-0001").column("uscc"), "91360404MA3500008X")).to_pylist()[0]
    assert row["capital"] == 888.5 and row["name"] == "九江市柴桑区测试企业8有限公司"
    pushed = body_of(receiver.received[-1])
    assert pushed["version"] == before + 1 and pushed["rows"][0]["capital"] == 888.5
    old = lake.read("SCJG-0001", version=before)
    assert 108.0 in old.column("capital").to_pylist()  # history kept


def test_correction_rules(granted, principal_of_user, resource):
    granted(fields=("uscc", "name"))
    xzsp = principal_of_user("xzsp_liaison")
    with pytest.raises(ValidationError) as info:
        services.report_correction(xzsp, resource, {"uscc": "91360404MA3500008X"}, "capital", "1", "x")
    assert info.value.code == "field_not_granted"
    with pytest.raises(ValidationError) as info:
        services.report_correction(xzsp, resource, {"uscc": "NOPE"}, "name", "1", "x")
    assert info.value.code == "row_not_found"
    correction = services.report_correction(xzsp, resource, {"uscc": "91360404MA3500002X"}, "name", "别名", "名称有误")
    services.answer_correction(principal_of_user("scjg_liaison"), correction, False, "与登记系统一致,无误")
    correction.refresh_from_db()
    assert correction.status == CorrectionStatus.REJECTED and correction.new_version is None

