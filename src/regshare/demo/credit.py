"""Demo credit data: licences, penalties, inspections, complaints, commitments, lists and memoranda.

Event rates follow each entity's planted risk. About one record in ten names its entity without a
code, with a malformed code, or with a variant/typo of the name, so linkage has real work.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from django.conf import settings
from faker import Faker

from regshare.credit import scorecard
from regshare.credit import services as credit
from regshare.credit.models import (
    ListCause,
    ListEntry,
    ListType,
    Measure,
    MeasureKind,
    Memorandum,
    Outcome,
    RecordKind,
    Scenario,
    Severity,
)
from regshare.entities.models import Entity

from . import DemoContext
from .entities import TODAY, entity_rows, planted_risk

START = dt.date(2019, 1, 1)
REMOVAL_REASON = "已补报年度报告并公示,申请移出"
# events per year by planted risk
RATES = {
    "clean": {"penalty": 0.01, "complaint": 0.04, "inspection": 0.25, "fail": 0.03, "licence": 0.3},
    "medium": {"penalty": 0.08, "complaint": 0.25, "inspection": 0.35, "fail": 0.15, "licence": 0.3},
    "high": {"penalty": 0.45, "complaint": 1.2, "inspection": 0.6, "fail": 0.55, "licence": 0.25},
}
LICENCES = ["食品经营许可", "建筑工程施工许可", "危险化学品经营许可", "道路运输经营许可", "药品经营许可",
            "排污许可", "公共场所卫生许可", "特种设备生产许可"]
VIOLATIONS = [("销售不符合食品安全标准的食品", "《中华人民共和国食品安全法》第一百二十四条"),
              ("虚假宣传", "《中华人民共和国反不正当竞争法》第二十条"),
              ("未按规定公示年度报告", "《企业信息公示暂行条例》第十八条"),
              ("无证经营", "《无证无照经营查处办法》第十三条"),
              ("价格欺诈", "《中华人民共和国价格法》第四十条"),
              ("使用未经检验的特种设备", "《中华人民共和国特种设备安全法》第八十四条")]
MEMORANDA = [
    ("MOU-2016-141", "关于对失信被执行人实施联合惩戒的合作备忘录", "国家发展改革委、最高人民法院等44部门",
     "发改财金〔2016〕141号", ListType.DISHONEST_DEBTOR, MeasureKind.PUNISH, [
         (Scenario.GOV_PROCUREMENT, "区财政局", "限制参加政府采购活动", "《中华人民共和国政府采购法》第二十二条"),
         (Scenario.BIDDING, "区发展改革委", "限制参与工程建设项目招标投标", "《招标投标法实施条例》"),
         (Scenario.SUBSIDY, "区财政局", "限制获得政府财政补贴和社会保障资金支持", "发改财金〔2016〕141号 第二条"),
         (Scenario.QUALIFICATION, "区市场监管局", "限制担任企业法定代表人、董事、监事、高级管理人员",
          "《最高人民法院关于公布失信被执行人名单信息的若干规定》"),
         (Scenario.LAND, "区自然资源局", "限制参与国有土地使用权竞买", "发改财金〔2016〕141号 第二条"),
         (Scenario.HONOURS, "区委宣传部", "取消参加评先评优资格", "发改财金〔2016〕141号 第二条"),
     ]),
    ("MOU-2015-2045", "失信企业协同监管和联合惩戒合作备忘录", "国家发展改革委、原国家工商总局等38部门",
     "发改财金〔2015〕2045号", ListType.SERIOUS, MeasureKind.PUNISH, [
         (Scenario.GOV_PROCUREMENT, "区财政局", "依法限制参与政府采购活动", "发改财金〔2015〕2045号"),
         (Scenario.BIDDING, "区住房城乡建设局", "依法限制参与招标投标", "发改财金〔2015〕2045号"),
         (Scenario.APPROVAL, "区行政审批局", "作为重点监管对象,不适用告知承诺制,从严审核行政许可",
          "《市场监督管理严重违法失信名单管理办法》第十七条"),
         (Scenario.HONOURS, "区委宣传部", "不予授予荣誉称号", "《企业信息公示暂行条例》第十八条"),
         (Scenario.QUALIFICATION, "区市场监管局", "法定代表人3年内不得担任其他企业的法定代表人",
          "《中华人民共和国公司法》第一百七十八条"),
     ]),
    ("MOU-2014-3062", "关于对重大税收违法案件当事人实施联合惩戒措施的合作备忘录", "国家发展改革委、国家税务总局等21部门",
     "发改财金〔2014〕3062号", ListType.TAX_VIOLATION, MeasureKind.PUNISH, [
         (Scenario.GOV_PROCUREMENT, "区财政局", "禁止参加政府采购活动", "发改财金〔2014〕3062号"),
         (Scenario.SUBSIDY, "区财政局", "停止享受财政补贴和税收优惠", "发改财金〔2014〕3062号"),
         (Scenario.FINANCING, "人民银行九江市中心支行", "作为融资授信的审慎性参考", "发改财金〔2014〕3062号"),
     ]),
    ("REG-2014-654", "企业信息公示暂行条例 信用约束措施", "国务院", "国务院令第654号",
     ListType.ABNORMAL, MeasureKind.PUNISH, [
         (Scenario.GOV_PROCUREMENT, "区财政局", "在政府采购中予以限制", "《企业信息公示暂行条例》第十八条"),
         (Scenario.BIDDING, "区发展改革委", "在工程招投标中予以限制", "《企业信息公示暂行条例》第十八条"),
         (Scenario.LAND, "区自然资源局", "在国有土地出让中予以限制", "《企业信息公示暂行条例》第十八条"),
         (Scenario.HONOURS, "区委宣传部", "在授予荣誉称号中予以限制", "《企业信息公示暂行条例》第十八条"),
     ]),
    ("MOU-2016-1467", "关于对纳税信用A级纳税人实施联合激励措施的合作备忘录", "国家发展改革委、国家税务总局等29部门",
     "发改财金〔2016〕1467号", ListType.RED, MeasureKind.REWARD, [
         (Scenario.APPROVAL, "区行政审批局", "绿色通道:优先办理、容缺受理、简化程序", "发改财金〔2016〕1467号"),
         (Scenario.GOV_PROCUREMENT, "区财政局", "同等条件下优先选择", "发改财金〔2016〕1467号"),
         (Scenario.SUBSIDY, "区财政局", "财政性资金项目安排时同等条件下优先考虑", "发改财金〔2016〕1467号"),
         (Scenario.FINANCING, "人民银行九江市中心支行", "“信易贷”优先授信、利率优惠", "发改财金〔2016〕1467号"),
     ]),
]


def ensure_memoranda() -> None:
    for code, title, issuer, doc, list_type, kind, measures in MEMORANDA:
        memo, _ = Memorandum.objects.update_or_create(code=code, defaults={
            "title": title, "issuer": issuer, "document_no": doc, "list_type": list_type, "kind": kind})
        for scenario, department, text, basis in measures:
            Measure.objects.update_or_create(memorandum=memo, scenario=scenario, text=text,
                                             defaults={"department": department, "legal_basis": basis})
    credit.clear_measure_cache()


def _poisson(rng: random.Random, lam: float) -> int:
    count, total = 0, rng.expovariate(1.0)
    while total < lam:
        count += 1
        total += rng.expovariate(1.0)
    return count


def _name_variant(rng: random.Random, name: str) -> str:
    choice = rng.random()
    if choice < 0.3 and name.endswith("有限公司"):
        return name[:-4] + "有限责任公司"
    if choice < 0.5:
        return name.replace("(", "(").replace(")", ")") + " "
    if choice < 0.65:
        return " ".join(name)  if len(name) < 6 else name[:2] + " " + name[2:]
    if choice < 0.85:
        # one mistyped character in the trade name
        i = rng.randrange(2, max(3, len(name) - 4))
        return name[:i] + rng.choice("鑫森淼焱垚晟昊") + name[i + 1:]
    return name.replace("有限公司", "公司")


def _malformed(rng: random.Random, code: str) -> str:
    if rng.random() < 0.5:
        return code[:17] + ("0" if code[17] != "0" else "1")  # wrong check character
    return code[:10] + "O" + code[11:]  # letter O instead of zero


def _csv(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def share_to_lake(ctx: DemoContext, entity_rows_: list[dict], records: list[dict]) -> None:
    """The departments' own copies: penalties (SCJG-0002) and 12345 tickets (CGJ-0001), loaded through
    the ingest pipeline and then linked; tickets often name the company without a code."""
    from regshare.catalog.models import Resource
    from regshare.core.models import User
    from regshare.entities import services as entities

    try:
        from regshare.ingest.services import ingest_file
    except ImportError:
        return
    fake = Faker("zh_CN")
    fake.seed_instance(ctx.seed)
    rng = ctx.rng("credit-lake")
    by_name = {r["name"]: r for r in entity_rows_}
    penalties, tickets = [], []
    for r in records:
        if r["kind"] == RecordKind.PENALTY and r["raw_uscc"] and r["raw_name"] in by_name and r.get("published_on"):
            penalties.append({
                "decision_no": r["doc_no"], "uscc": r["raw_uscc"], "company_name": r["raw_name"],
                "legal_rep": r["raw_legal_rep"], "violation_type": r["title"], "facts": r["content"],
                "basis": r["legal_basis"], "penalty_type": "罚款", "fine_amount": f"{r['amount'] / 10000:.4f}",
                "confiscated_amount": "", "decision_date": r["decided_on"].isoformat(), "publicity_until": "",
                "authority": "九江市柴桑区市场监督管理局"})
        elif r["kind"] == RecordKind.COMPLAINT and r["raw_name"]:
            entity = by_name.get(r["raw_name"])
            coded = bool(r["raw_uscc"]) and entity is not None and r["raw_uscc"] == entity["uscc"]
            tickets.append({
                "ticket_no": r["doc_no"], "received_on": r["decided_on"].isoformat(), "kind": "投诉",
                "uscc": r["raw_uscc"] if coded and rng.random() < 0.7 else "", "company_name": r["raw_name"],
                "content": r["title"], "complainant": fake.name(), "complainant_phone": fake.phone_number(),
                "address": r["raw_address"] or "", "handling_dept": "区市场监管局",
                "closed_on": (r["decided_on"] + dt.timedelta(days=rng.randint(1, 15))).isoformat(),
                "result": "已办结", "satisfaction": rng.choice(["满意", "基本满意", "不满意"])})
    folder = Path(settings.REGSHARE_LAKE_DIR).parent / "demo"
    for code, rows, username in (("SCJG-0002", penalties, "scjg_liaison"), ("CGJ-0001", tickets, "cgj_liaison")):
        resource = Resource.objects.filter(code=code).first()
        actor = User.objects.filter(username=username).first()
        if resource is None or actor is None or not rows:
            continue
        ingest_file(actor, _csv(folder / f"{code.lower()}.csv", rows), resource, mode="replace")
        entities.link_resource(code)


# The one-character kind inside a decision number (文号), as a department writes it: never the list's code.
LIST_NUMBER_WORDS = {"abnormal": "异", "serious": "严", "dishonest_debtor": "执", "tax_violation": "税", "red": "红"}


def list_decision_no(list_type: str, entity_index: int, n: int, listed: dt.date, dep: str) -> str:
    return f"柴{dep}名〔{listed.year}〕{LIST_NUMBER_WORDS.get(list_type, '')}{entity_index:05d}-{n}号"


def share_abnormal_list(ctx: DemoContext, entity_rows_: list[dict], lists: list[tuple]) -> int:
    """The abnormal list as the market regulator publishes it (SCJG-0003), loaded through the ingest pipeline
    and converted into list entries the way every load of the resource is; returns the entries created."""
    from regshare.catalog.models import Resource
    from regshare.core.models import User
    from regshare.credit import lists as list_resources

    try:
        from regshare.ingest.services import ingest_file
    except ImportError:
        return 0
    reasons = {cause: text for text, cause in list_resources.ABNORMAL_REASONS.items()}
    rows = [{"decision_no": list_decision_no(list_type, i, n, listed, dep), "uscc": entity_rows_[i]["uscc"],
             "company_name": entity_rows_[i]["name"], "reason": reasons[cause], "decision_date": listed.isoformat(),
             "authority": "九江市柴桑区市场监督管理局", "removed_on": removed.isoformat() if removed else "",
             "removal_reason": REMOVAL_REASON if removed else ""}
            for n, (list_type, i, cause, listed, removed, dep) in enumerate(lists) if list_type == ListType.ABNORMAL]
    resource = Resource.objects.filter(code="SCJG-0003").first()
    actor = User.objects.filter(username="scjg_liaison").first()
    if resource is None or actor is None or not rows:
        return 0
    folder = Path(settings.REGSHARE_LAKE_DIR).parent / "demo"
    ingest_file(actor, _csv(folder / "scjg-0003.csv", rows), resource, mode="replace")
    # The load's hook queues the same conversion for the worker; running it here makes the demo complete
    # without one, and the worker's run then changes nothing.
    return list_resources.convert_version("SCJG-0003", actor="demo").created


def run(ctx: DemoContext) -> None:
    if ctx.entities <= 0:
        return
    ensure_memoranda()
    rows = ctx.data.get("entity_rows") or entity_rows(ctx.seed, ctx.entities)
    risk = ctx.data.get("planted_risk") or planted_risk(ctx.seed, ctx.entities)
    deps = ctx.data["departments"]
    rng = ctx.rng("credit")
    days = (TODAY - START).days
    records: list[dict] = []
    lists: list[tuple] = []

    def subject(row: dict) -> dict:
        r = rng.random()
        if r < 0.015:
            # only a name variant: the weakest evidence, typically a candidate for review
            return {"raw_uscc": "", "raw_name": _name_variant(rng, row["name"]), "raw_legal_rep": "",
                    "raw_address": ""}
        if r < 0.06:
            return {"raw_uscc": "", "raw_name": _name_variant(rng, row["name"]), "raw_legal_rep": row["legal_rep"],
                    "raw_address": row["address"]}
        if r < 0.09:
            return {"raw_uscc": _malformed(rng, row["uscc"]), "raw_name": row["name"],
                    "raw_legal_rep": row["legal_rep"], "raw_address": row["address"]}
        return {"raw_uscc": row["uscc"], "raw_name": row["name"], "raw_legal_rep": row["legal_rep"],
                "raw_address": row["address"]}

    def day() -> dt.date:
        return START + dt.timedelta(days=rng.randrange(days))

    def published(decided: dt.date) -> dt.date:
        return decided + dt.timedelta(days=rng.choice([1, 2, 3, 4, 5, 7, 8, 9, 14]))

    years = days / 365.25
    for i, row in enumerate(rows):
        level = risk[i]
        rate = RATES[level]
        for n in range(_poisson(rng, rate["licence"] * years)):
            decided = day()
            records.append({"kind": RecordKind.LICENCE, "doc_no": f"柴审许〔{decided.year}〕{i:05d}{n:02d}号",
                            "department": deps["XZSP"], "title": rng.choice(LICENCES), "decided_on": decided,
                            "legal_basis": "《中华人民共和国行政许可法》", "published_on": published(decided),
                            **subject(row)})
        for n in range(_poisson(rng, rate["penalty"] * years)):
            decided = day()
            violation, basis = rng.choice(VIOLATIONS)
            severity = rng.choices([Severity.SIMPLE, Severity.GENERAL, Severity.SERIOUS],
                                   weights=[3, 6, 1 if level != "high" else 3])[0]
            amount = {"simple": 200, "general": 5000, "serious": 100000}[severity] * rng.uniform(0.5, 3)
            records.append({"kind": RecordKind.PENALTY, "doc_no": f"柴市监罚〔{decided.year}〕{i:05d}{n:02d}号",
                            "department": deps["SCJG"], "title": violation, "decided_on": decided,
                            "legal_basis": basis, "severity": severity, "amount": round(amount, 2),
                            "content": f"当事人{violation},依据{basis}予以处罚。",
                            "published_on": None if severity == Severity.SIMPLE or rng.random() < 0.05
                            else published(decided), **subject(row)})
        for n in range(_poisson(rng, rate["inspection"] * years)):
            decided = day()
            failed = rng.random() < rate["fail"]
            records.append({"kind": RecordKind.INSPECTION, "doc_no": f"柴市监检〔{decided.year}〕{i:05d}{n:02d}号",
                            "department": deps["SCJG"], "title": "“双随机、一公开”抽查", "decided_on": decided,
                            "outcome": Outcome.FAILED if failed else Outcome.PASSED, **subject(row)})
        for n in range(_poisson(rng, rate["complaint"] * years)):
            decided = day()
            records.append({"kind": RecordKind.COMPLAINT, "doc_no": f"12345-{decided:%Y%m%d}-{i:05d}{n:02d}",
                            "department": deps["SCJG"], "title": rng.choice(["产品质量", "价格", "服务态度", "虚假宣传",
                                                                              "食品安全"]) + "投诉",
                            "decided_on": decided,
                            "outcome": Outcome.SUBSTANTIATED if rng.random() < (0.7 if level == "high" else 0.35)
                            else Outcome.UNSUBSTANTIATED, **subject(row)})
        if rng.random() < 0.3:
            decided = day()
            broken = rng.random() < (0.4 if level == "high" else 0.03)
            records.append({"kind": RecordKind.COMMITMENT, "doc_no": f"柴信诺〔{decided.year}〕{i:05d}号",
                            "department": deps["XZSP"], "title": "行政许可告知承诺", "decided_on": decided,
                            "outcome": Outcome.BROKEN if broken else Outcome.KEPT, **subject(row)})
        # lists
        p_abnormal = {"clean": 0.01, "medium": 0.06, "high": 0.35}[level]
        if rng.random() < p_abnormal:
            listed = day()
            cause = rng.choice([ListCause.ANNUAL_REPORT, ListCause.ANNUAL_REPORT, ListCause.UNREACHABLE,
                                ListCause.NO_DISCLOSURE])
            if cause == ListCause.ANNUAL_REPORT:
                listed = dt.date(rng.randint(2019, 2026), 7, rng.randint(1, 20))
            removed = listed + dt.timedelta(days=rng.randint(60, 600)) if rng.random() < 0.4 else None
            lists.append((ListType.ABNORMAL, i, cause, listed, removed, "SCJG"))
        if level == "high" and rng.random() < 0.12:
            lists.append((ListType.DISHONEST_DEBTOR, i, ListCause.COURT, day(), None, "FGJ"))
        if level == "high" and rng.random() < 0.06:
            lists.append((ListType.TAX_VIOLATION, i, ListCause.TAX, day(), None, "SWJ"))
        if level == "clean" and rng.random() < 0.05:
            lists.append((ListType.RED, i, ListCause.HONOUR, day(), None, "FGJ"))

    credit.bulk_create_records("demo", records)
    share_to_lake(ctx, rows, records)
    converted = share_abnormal_list(ctx, rows, lists)
    listed_codes = sorted({rows[i]["uscc"] for _type, i, *_rest in lists})
    entity_ids: dict[str, int] = {}
    for start in range(0, len(listed_codes), 5000):  # not the whole master: it may hold a million entities
        entity_ids.update(Entity.objects.filter(uscc__in=listed_codes[start:start + 5000]).values_list("uscc", "id"))
    # Entries already there (from SCJG-0003 or an earlier run) keep their decision number and are not made again.
    existing = set(ListEntry.objects.values_list("decision_no", flat=True))
    entries = []
    for n, (list_type, i, cause, listed, removed, dep) in enumerate(lists):
        decision = list_decision_no(list_type, i, n, listed, dep)
        entity_id = entity_ids.get(rows[i]["uscc"])
        if decision in existing or entity_id is None:
            continue
        entries.append(ListEntry(list_type=list_type, entity_id=entity_id, cause=cause, decision_no=decision,
                                 department=deps[dep], listed_on=listed, removed_on=removed,
                                 removal_reason=REMOVAL_REASON if removed else "",
                                 cause_text=ListCause(cause).label))
    ListEntry.objects.bulk_create(entries, batch_size=2000)
    rules = credit.apply_list_rules(TODAY)
    credit.expire_publicity(TODAY)
    counts = scorecard.recompute(TODAY, actor="demo")
    ctx.echo(f"  信用记录 {len(records)} 条,名单 {len(entries) + converted} 条(经营异常名录 {converted} 条经"
             f"SCJG-0003 转换),转入严重违法失信名单 {rules['promoted']} 条;"
             f"风险分类 {counts}")
