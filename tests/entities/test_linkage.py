import pyarrow as pa
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from regshare.core.models import AuditRecord
from regshare.credit.models import CreditRecord
from regshare.entities import services
from regshare.entities.models import Entity, EntityLink, LinkStatus


def records(rows):
    cols = ["record_key", "uscc", "name", "legal_rep", "address", "established"]
    return pa.table({c: pa.array([r.get(c) for r in rows], pa.string()) for c in cols})


def test_exact_probabilistic_candidate_and_unmatched(district, query_engine):
    e1, e2 = Entity.objects.order_by("id")[:2]
    outcome = services.link_records("TEST-1", records([
        {"record_key": "r1", "uscc": e1.uscc.lower(), "name": "随便写的名称"},
        {"record_key": "r2", "uscc": "", "name": e2.name.replace("有限公司", "有限责任公司") + " ",
         "legal_rep": e2.legal_rep, "address": e2.address},
        {"record_key": "r3", "uscc": "913604041234", "name": "完全不存在的某某某某贸易有限公司",
         "legal_rep": "查无此人"},
    ]))
    assert outcome.exact == {"r1": e1.pk}
    assert outcome.probabilistic == {"r2": e2.pk}
    link = EntityLink.objects.get(source="TEST-1", record_key="r2")
    assert link.status == LinkStatus.LINKED and link.match_probability >= 0.95 and link.match_weight > 0
    assert EntityLink.objects.get(source="TEST-1", record_key="r3").status == LinkStatus.UNMATCHED
    assert not EntityLink.objects.filter(source="TEST-1", record_key="r1").exists()  # the code is the link


def test_demo_records_without_codes_are_linked_to_the_right_entity(district):
    linked = CreditRecord.objects.filter(link_method="probabilistic").select_related("entity")
    assert linked.count() > 20
    # Name variants keep the trade name; the linked entity's legal representative matches where given.
    with_rep = [r for r in linked if r.raw_legal_rep]
    assert sum(r.entity.legal_rep == r.raw_legal_rep for r in with_rep) / len(with_rep) >= 0.98


def candidate(district_entity, key="c1"):
    return EntityLink.objects.create(source="credit", record_key=f"penalty:{key}", entity=district_entity,
                                     raw_name="某名称", method="probabilistic", status=LinkStatus.CANDIDATE,
                                     match_weight=3.2, match_probability=0.7)


def test_confirming_a_candidate_links_the_credit_record_and_is_audited(district, principal_of_user):
    entity = Entity.objects.order_by("id")[5]
    record = CreditRecord.objects.filter(kind="penalty").first()
    record.entity = None
    record.save()
    link = candidate(entity, record.doc_no)
    other = EntityLink.objects.create(source="credit", record_key=link.record_key,
                                      entity=Entity.objects.order_by("id")[6], method="probabilistic",
                                      status=LinkStatus.CANDIDATE, match_probability=0.6)
    services.decide_candidate(principal_of_user("scjg_liaison"), link.pk, True, "名称和地址一致")
    record.refresh_from_db()
    other.refresh_from_db()
    assert record.entity == entity and record.link_method == "manual"
    assert other.status == LinkStatus.REJECTED
    assert AuditRecord.objects.filter(action="entities.link_confirmed", target=f"entities.entitylink:{link.pk}").exists()


def test_rejecting_twice_is_refused_and_changes_nothing(district, principal_of_user):
    link = candidate(Entity.objects.first())
    services.decide_candidate(principal_of_user("admin"), link.pk, False)
    with pytest.raises(ValidationError) as exc:
        services.decide_candidate(principal_of_user("admin"), link.pk, True)
    assert exc.value.code == "link_already_decided"
    link.refresh_from_db()
    assert link.status == LinkStatus.REJECTED


def test_an_analyst_cannot_decide(district, principal_of_user):
    link = candidate(Entity.objects.first())
    with pytest.raises(PermissionDenied):
        services.decide_candidate(principal_of_user("fgj_analyst"), link.pk, True)
    link.refresh_from_db()
    assert link.status == LinkStatus.CANDIDATE


# ---------------------------------------------------------------- one-character typos (no database)

TRADES = ["科技", "商贸", "物流", "建材", "食品", "餐饮"]
PLACES = ["柴桑区", "九江", "浔阳区", ""]
TRADE_CHARS = "安宏鸿恒华嘉金锦凯朗力隆美明南鹏强荣瑞盛拓伟祥欣雅宇"


def small_master(extra=()):
    """Two thousand registered names, plus ``extra`` (name, legal_rep[, address])."""
    # Two thousand so that an equal name is much stronger evidence than a name one character away, as it is
    # in a real register; three-character trade names that never contain the typo characters used below.
    trades = ((a, b, c) for a in TRADE_CHARS for b in TRADE_CHARS for c in TRADE_CHARS if len({a, b, c}) == 3)
    rows = []
    for i, (a, b, c) in zip(range(2000), trades, strict=False):
        rows.append((f"{PLACES[i % 4]}{a}{b}{c}{TRADES[i % 6]}有限公司", f"代表{i}", f"柴桑区某路{i}号"))
    rows.extend(extra)
    return pa.table({"uscc": [f"U{i:04d}" for i in range(len(rows))], "name": [r[0] for r in rows],
                     "legal_rep": [r[1] for r in rows], "address": [r[2] if len(r) > 2 else None for r in rows]})


def link_one(master, name, legal_rep=None, address=None):
    from regshare.entities import linkage

    recs = pa.table({"record_key": ["r"], "name": [name], "legal_rep": pa.array([legal_rep], pa.string()),
                     "address": pa.array([address], pa.string())})
    best = linkage.link(linkage.prepare(master, "uscc"), linkage.prepare(recs, "record_key")).to_pylist()
    if not best:
        return None, "unmatched"
    row = best[0]
    return row["uscc"], linkage.classify(row["match_probability"], row["runner_up"], linkage.LinkThresholds(),
                                         row["unique_name"])


def uscc_of(master, name):
    return master.column("uscc")[master.column("name").to_pylist().index(name)].as_py()


@pytest.mark.parametrize("typo", [
    "柴桑区安宏科技股晟有限公司",    # legal form 股份有限公司 → 股晟有限公司, recorded without anything else
    "柴桑区安宏科技股份有淼公司",    # legal form 股份有限公司 → 股份有淼公司
    "鑫桑区安宏科技股份有限公司",    # place name 柴桑区 → 鑫桑区
    "柴桑区安垚科技股份有限公司",    # trade name
])
def test_a_name_one_character_from_exactly_one_entity_is_linked(typo):
    master = small_master([("柴桑区安宏科技股份有限公司", "张三")])
    assert link_one(master, typo) == (uscc_of(master, "柴桑区安宏科技股份有限公司"), "linked")


def test_a_typo_one_character_from_two_entities_is_not_linked():
    master = small_master([("柴桑区安宏科技股份有限公司", "张三"), ("柴桑区安鸿科技股份有限公司", "李四")])
    _, status = link_one(master, "柴桑区安垚科技股份有限公司")
    assert status != "linked"


def test_a_typo_with_another_legal_representative_is_not_linked():
    master = small_master([("柴桑区安宏科技股份有限公司", "张三")])
    _, status = link_one(master, "柴桑区安垚科技股份有限公司", legal_rep="王五")
    assert status != "linked"


def test_a_far_weaker_rival_sharing_the_legal_representative_does_not_send_to_review():
    # The rival's name differs by one character and shares the representative, so it is likely on its
    # own (≥ the 0.75 that sends a record to review); the equal name with the same representative is far
    # likelier: linked, not queued.
    master = small_master([("柴桑区安宏科技股份有限公司", "张三"), ("柴桑区安鸿科技股份有限公司", "张三")])
    assert link_one(master, "柴桑区安宏科技股份有限公司", legal_rep="张三") == (
        uscc_of(master, "柴桑区安宏科技股份有限公司"), "linked")


def test_a_trade_name_ending_like_a_legal_form_is_not_taken_for_a_typo():
    # 有色 is not "有限" mistyped: 柴桑区甲乙科技有色公司 is two characters from 柴桑区甲乙科技公司.
    master = small_master([("柴桑区甲乙科技有限公司", "张三")])
    _, status = link_one(master, "柴桑区甲乙科技有色公司")
    assert status != "linked"
