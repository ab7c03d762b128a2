"""Demo risk warning: planted risky structure the scores and links must find, then a model trained, every
entity scored and the alerts raised and partly handled.

- a shell-company cluster (空壳公司): twelve companies registered within the last year at one address with
  one phone, three of them already on the abnormal list because they cannot be reached there;
- a person (法定代表人) behind four companies, three of them on the abnormal or serious list: the fourth is
  found by its link to them;
- licences with their validity in XZSP-0001, some lapsed without renewal;
- alert routes by industry (food and catering → market regulation, construction → housing and construction).
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pyarrow as pa
from django.conf import settings

from regshare.core.codes import USCC_CHARSET, id_card_check_char, make_uscc
from regshare.core.models import Department, User
from regshare.core.permissions import Principal
from regshare.credit.models import CreditRecord, ListCause, ListEntry, ListType, RecordKind, Severity
from regshare.entities.models import Entity

from . import DemoContext
from .entities import DIVISION, TODAY, load, write_csv

SHELL_ADDRESS = "江西省九江市柴桑区沙河街道金桂路188号创业大厦1206室"
SHELL_PHONE = "13979206688"
SHELL_COUNT = 12
PERSON_NAME = "钱多福"
PERSON_ID = "36040419820315001" + id_card_check_char("36040419820315001")
PERSON_COUNT = 4
ROUTES = [("C13", "SCJG"), ("H62", "SCJG"), ("F52", "SCJG"), ("E47", "ZJJ"), ("K70", "ZJJ"), ("", "SCJG")]


def _id_card(body17: str) -> str:
    return body17 + id_card_check_char(body17)


def planted_rows(seed: int) -> tuple[list[dict], list[dict]]:
    """The shell companies and the person's companies, as registrations of SCJG-0001."""
    rng = random.Random(f"{seed}:risk-planted")

    def code() -> str:
        return make_uscc("91" + DIVISION + "".join(rng.choice(USCC_CHARSET) for _ in range(9)))

    shells = [{"uscc": code(), "name": f"九江市柴桑区{name}商贸有限公司", "legal_rep": rep,
               "legal_rep_id": _id_card(f"3604041990{month:02d}{day:02d}{n:03d}"), "phone": SHELL_PHONE,
               "address": SHELL_ADDRESS, "established": (TODAY - dt.timedelta(days=40 + 25 * n)).isoformat(),
               "capital": "10.00", "industry": "F5211", "status": "存续"}
              for n, (name, rep, month, day) in enumerate(zip(
                  ["汇通达", "鼎盛源", "聚宝盆", "金满堂", "瑞丰祥", "恒信通", "宏运来", "万利达", "博远鑫", "嘉禾顺",
                   "福满园", "兴隆旺"],
                  ["赵一", "钱二", "孙三", "李四", "周五", "吴六", "郑七", "王八", "冯九", "陈十", "褚十一", "卫十二"],
                  range(1, 13), range(1, 13), strict=True))]
    person = [{"uscc": code(), "name": f"九江{name}有限公司", "legal_rep": PERSON_NAME, "legal_rep_id": PERSON_ID,
               "phone": f"1397920{n:04d}", "address": f"江西省九江市柴桑区城子镇{street}{10 + n}号",
               "established": (TODAY - dt.timedelta(days=900 + 200 * n)).isoformat(), "capital": "500.00",
               "industry": industry, "status": "存续"}
              for n, (name, street, industry) in enumerate([
                  ("富源建材", "建设路", "C3130"), ("福泰食品", "解放路", "C1391"), ("多福餐饮", "中山路", "H6210"),
                  ("福星工程", "滨江路", "E4710")])]
    return shells, person


def _list(entity: Entity, list_type: str, cause: str, listed: dt.date, department: Department, n: int) -> None:
    ListEntry.objects.get_or_create(decision_no=f"柴市监风〔{listed.year}〕{n:03d}号", defaults={
        "list_type": list_type, "entity": entity, "cause": cause, "listed_on": listed, "department": department,
        "cause_text": dict(ListCause.choices)[cause]})


def _record(entity: Entity, kind: str, doc_no: str, day: dt.date, department: Department, title: str,
            **extra) -> None:
    CreditRecord.objects.get_or_create(kind=kind, doc_no=doc_no, defaults={
        "entity": entity, "raw_uscc": entity.uscc, "raw_name": entity.name, "raw_legal_rep": entity.legal_rep,
        "raw_address": entity.address, "department": department, "title": title, "decided_on": day, **extra})


def plant(ctx: DemoContext, deps: dict[str, Department]) -> dict[str, list[str]]:
    from regshare.entities import services as entities

    shells, person = planted_rows(ctx.seed)
    rows = shells + person
    if Entity.objects.filter(uscc__in=[r["uscc"] for r in rows]).count() < len(rows):
        path = write_csv(rows, Path(settings.REGSHARE_LAKE_DIR).parent / "demo" / "scjg-0001-risk-planted.csv")
        load(ctx, rows, path, mode="merge")
        entities.rebuild_master(actor="demo")
    by_code = {e.uscc: e for e in Entity.objects.filter(uscc__in=[r["uscc"] for r in rows])}
    scjg = deps["SCJG"]
    for n, row in enumerate(shells[:3]):
        _list(by_code[row["uscc"]], ListType.ABNORMAL, ListCause.UNREACHABLE, TODAY - dt.timedelta(days=20 + n), scjg,
              100 + n)
    for n, row in enumerate(shells):
        for k in range(n % 3):
            _record(by_code[row["uscc"]], RecordKind.COMPLAINT, f"柴风投〔{TODAY.year}〕{n:02d}{k}号",
                    TODAY - dt.timedelta(days=5 + 7 * k), scjg, "收款后不发货,联系不上商家")
    for n, row in enumerate(person[:3]):
        entity = by_code[row["uscc"]]
        list_type = ListType.SERIOUS if n == 0 else ListType.ABNORMAL
        cause = ListCause.SERIOUS_VIOLATION if n == 0 else ListCause.ANNUAL_REPORT
        _list(entity, list_type, cause, TODAY - dt.timedelta(days=300 - 60 * n), scjg, 200 + n)
        _record(entity, RecordKind.PENALTY, f"柴市监风罚〔{TODAY.year - 1}〕{n:02d}号",
                TODAY - dt.timedelta(days=400 + 30 * n), scjg, "虚假宣传", severity=Severity.SERIOUS if n == 0
                else Severity.GENERAL, amount=50000)
    return {"shells": [r["uscc"] for r in shells], "person": [r["uscc"] for r in person]}


LAPSE = {"clean": 0.01, "medium": 0.05, "high": 0.25}  # share of licences lapsed without renewal, by planted risk


def write_licences(ctx: DemoContext) -> None:
    """XZSP-0001 with validity dates: a licence lapsed in the last year without renewal, more often for the
    entities of high planted risk."""
    from regshare.lake import tables

    from .entities import entity_rows, planted_risk

    rows_ = ctx.data.get("entity_rows") or entity_rows(ctx.seed, ctx.entities)
    risk = ctx.data.get("planted_risk") or planted_risk(ctx.seed, ctx.entities)
    level_of = {row["uscc"]: level for row, level in zip(rows_, risk, strict=True)}
    rng = ctx.rng("risk-licences")
    rows = CreditRecord.objects.filter(kind=RecordKind.LICENCE, entity__isnull=False).select_related("entity") \
        .order_by("doc_no")
    out = []
    for record in rows:
        base = {"uscc": record.entity.uscc, "company_name": record.entity.name, "license_name": record.title,
                "authority": record.department.name}
        valid_to = record.decided_on + dt.timedelta(days=365 * 5)
        if rng.random() < LAPSE.get(level_of.get(record.entity.uscc, "clean"), 0.01):
            valid_to = TODAY - dt.timedelta(days=rng.randint(10, 300))
        elif valid_to <= TODAY:  # renewed (延续) before it ran out: a newer decision with a new validity
            out.append({"decision_no": f"{record.doc_no}延", **base, "decision_date": valid_to - dt.timedelta(days=30),
                        "valid_to": valid_to + dt.timedelta(days=365 * 5)})
        out.append({"decision_no": record.doc_no, **base, "decision_date": record.decided_on, "valid_to": valid_to})
    if out:
        tables.write("XZSP-0001", pa.Table.from_pylist(out), mode="replace", key=["decision_no"], notify=False)


def ensure_routes(deps: dict[str, Department]) -> None:
    from regshare.risk.models import AlertRoute

    for prefix, suffix in ROUTES:
        if suffix in deps:
            AlertRoute.objects.update_or_create(industry_prefix=prefix, defaults={"department": deps[suffix]})


def handle_some(deps: dict[str, Department]) -> None:
    """Feedback on a few alerts of the market regulator, so the precision figures have data."""
    from regshare.risk import services
    from regshare.risk.models import Alert, AlertStatus

    user = User.objects.filter(username="scjg_inspector").first()
    if user is None or Alert.objects.exclude(status=AlertStatus.DISPATCHED).exists():
        return
    principal = Principal.for_user(user)
    waiting = list(Alert.objects.filter(department=deps["SCJG"], status=AlertStatus.DISPATCHED).order_by("number")[:3])
    for n, alert in enumerate(waiting):
        if n == 2:
            services.perform(principal, alert, "dismiss", verification="现场核实经营正常,投诉系消费纠纷已调解", on=TODAY)
            continue
        services.perform(principal, alert, "verify", verification="现场核实,问题属实", on=TODAY)
        services.perform(principal, alert, "act", action_taken="责令限期整改,列入重点监管", on=TODAY)
        if n == 0:
            services.perform(principal, alert, "close", feedback="已整改到位,预警属实", on=TODAY)


def run(ctx: DemoContext) -> None:
    from regshare.risk import services
    from regshare.risk.models import ModelVersion

    if ctx.entities <= 0:
        return
    deps: dict[str, Department] = ctx.data.get("departments") or {
        d.code.rsplit("-", 1)[-1]: d for d in Department.objects.filter(code__contains="-")}
    ctx.data["risk_planted"] = plant(ctx, deps)
    write_licences(ctx)
    ensure_routes(deps)
    if not ModelVersion.objects.filter(trained_on=TODAY).exists():
        version = services.train("demo", TODAY)
        ctx.echo(f"  风险模型 v{version.version}:留出样本 AUC {version.auc:.3f}" if version.auc else "  风险模型已训练")
    result = services.score("demo", TODAY)
    handle_some(deps)
    ctx.echo(f"  风险评分:{result['levels']},新预警 {result['alerts']} 条")
