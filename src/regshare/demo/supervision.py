"""Demo supervision data: the item catalog and implementation lists, inspectors, one completed random
inspection (seed published, drawn, inspected, results published), referral and routing rules, 12345 work
orders at every step, an assistance request and a case with its timeline."""

from __future__ import annotations

import datetime as dt
import hashlib

from regshare.core.codes import make_uscc
from regshare.core.models import Department, User
from regshare.core.permissions import Principal
from regshare.core.workdays import add_workdays
from regshare.entities.models import Entity
from regshare.supervision import services
from regshare.supervision.models import (
    Complaint,
    InspectionOutcome,
    InspectionTask,
    Inspector,
    InspectorConflict,
    RandomItem,
    ReferralRule,
    RoutingRule,
    SupervisionItem,
    SupervisionRecord,
)

from . import DemoContext
from .entities import TODAY
from .org import department_code

# department suffix, catalog code, main item, sub item, way, object, basis, random-list category
ITEMS = [
    ("SCJG", "36040400100101", "对食品生产经营活动的监督检查", "食品销售环节监督检查", "random", "食品经营者",
     "《中华人民共和国食品安全法》第一百一十条", "key"),
    ("SCJG", "36040400100102", "对企业公示信息的抽查", "企业年度报告公示信息抽查", "random", "企业",
     "《企业信息公示暂行条例》第十四条", "general"),
    ("SCJG", "36040400100203", "对产品质量的监督检查", "生产领域产品质量监督抽查", "random", "生产企业",
     "《中华人民共和国产品质量法》第十五条", "key"),
    ("SCJG", "36040400100304", "对价格行为的监督检查", "明码标价检查", "routine", "经营者",
     "《中华人民共和国价格法》第三十三条", ""),
    ("YJJ", "36040400900101", "对安全生产的监督检查", "工贸企业安全生产检查", "random", "生产经营单位",
     "《中华人民共和国安全生产法》第六十五条", "key"),
    ("YJJ", "36040400900202", "对危险化学品经营的监督检查", "危险化学品经营许可条件检查", "key", "危化品经营单位",
     "《危险化学品安全管理条例》第六条", ""),
    ("STHJ", "36040400700101", "对排污单位的监督检查", "排污许可执行情况检查", "random", "排污单位",
     "《排污许可管理条例》第二十八条", "general"),
    ("ZJJ", "36040400800101", "对建筑施工安全的监督检查", "建筑施工企业安全生产许可检查", "routine", "建筑施工企业",
     "《建设工程安全生产管理条例》第四十条", ""),
]

ROUTING = [
    (10, "食品类投诉", "食品安全", "", "", "SCJG"),
    (20, "安全生产举报", "安全生产", "", "", "YJJ"),
    (30, "环境污染举报", "生态环境", "", "", "STHJ"),
    (40, "噪声油烟(关键词)", "", "", "噪声,油烟,扰民", "CGJ"),
    (50, "价格与消费纠纷", "", "", "价格,退款,虚假宣传,消费", "SCJG"),
]

COMPLAINT_TEXTS = [
    ("食品安全", "购买的熟食有异味,疑似过期销售"),
    ("安全生产", "车间消防通道被堵塞,员工未配备防护用品"),
    ("生态环境", "夜间向河道排放污水,气味刺鼻"),
    ("", "门店夜间施工噪声扰民"),
    ("", "商家拒绝按承诺退款,涉嫌虚假宣传"),
    ("食品安全", "外卖餐品中吃出异物"),
    ("", "超市标价与结算价格不一致"),
]


def body_code(index: int) -> str:
    """The implementing body's credit code (category 11: 机关) of a demo department."""
    return make_uscc(f"11{department_code('')[:6]}MB{index:07d}")


def run(ctx: DemoContext) -> None:
    deps: dict[str, Department] = ctx.data.get("departments") or {
        d.code.rsplit("-", 1)[-1]: d for d in Department.objects.filter(code__contains="-")}
    admin = Principal.for_user(User.objects.get(username="admin"))
    ensure_catalog(admin, deps)
    ensure_inspectors(deps)
    ensure_rules(deps)
    entities = list(Entity.objects.order_by("uscc")[:400])
    if not entities:
        return
    ensure_records(admin, deps, entities)
    ensure_draw(admin, deps, ctx.seed)
    ensure_complaints(admin, deps, entities, ctx)
    ensure_joint(admin, deps, entities)


def ensure_catalog(admin: Principal, deps: dict[str, Department]) -> None:
    order = sorted(deps)
    for suffix, code, main, sub, way, target, basis, category in ITEMS:
        dept = deps[suffix]
        if not SupervisionItem.objects.filter(catalog_code=code).exists():
            services.save_item(admin, dept, {
                "catalog_code": code, "main_name": main, "sub_name": sub, "way": way, "target": target,
                "legal_basis": basis, "measures": "现场检查、书面检查、抽样检验", "process": "制定计划—实施检查—结果处理—公示",
                "result": "检查结果依法公示并记入信用记录", "level": "district"}, published=True)
        item = SupervisionItem.objects.get(catalog_code=code)
        if not item.claims.exists():
            digit = str(SupervisionItem.objects.filter(department=dept, catalog_code__lt=code).count() % 10)
            services.claim_item(admin, item, dept, body_code(order.index(suffix) + 1) + digit, TODAY)
        if category:
            RandomItem.objects.get_or_create(item=item, defaults={"category": category,
                                                                 "inspection_content": sub})


def ensure_inspectors(deps: dict[str, Department]) -> None:
    people = {"SCJG": 8, "YJJ": 4, "STHJ": 3}
    linked = {("SCJG", 1): "scjg_inspector", ("SCJG", 2): "scjg_inspector2", ("YJJ", 1): "yjj_inspector"}
    surnames = "王李张刘陈杨黄赵吴周徐孙"
    for suffix, count in people.items():
        for n in range(1, count + 1):
            user = User.objects.filter(username=linked.get((suffix, n), "")).first()
            Inspector.objects.get_or_create(
                certificate_no=f"赣执{department_code('')[:6]}{suffix}{n:03d}",
                defaults={"name": user.full_name if user and user.full_name else f"{surnames[n % 12]}{suffix}{n}",
                          "department": deps[suffix], "user": user,
                          "area": "" if n % 3 else department_code("")[:6]})


def ensure_rules(deps: dict[str, Department]) -> None:
    if not ReferralRule.objects.exists():
        rule = ReferralRule.objects.create(name="行政处罚实时抄告数据管理部门与审批部门", kind="penalty")
        rule.to_departments.set([deps["SJJ"], deps["XZSP"]])
        rule = ReferralRule.objects.create(name="行政许可实时抄告行业监管部门", kind="licence")
        rule.to_departments.set([deps["SCJG"], deps["YJJ"]])
    for position, name, category, area, keywords, suffix in ROUTING:
        RoutingRule.objects.get_or_create(position=position, defaults={
            "name": name, "category": category, "area_prefix": area, "keywords": keywords,
            "department": deps[suffix]})


def ensure_records(admin: Principal, deps: dict[str, Department], entities: list[Entity]) -> None:
    if SupervisionRecord.objects.exists():
        return
    food = SupervisionItem.objects.get(catalog_code="36040400100101")
    price = SupervisionItem.objects.get(catalog_code="36040400100304")
    safety = SupervisionItem.objects.get(catalog_code="36040400900101")
    for n, entity in enumerate(entities[5:35:3]):
        kind, item, dept = [("licence", food, deps["XZSP"]), ("penalty", price, deps["SCJG"]),
                            ("inspection", safety, deps["YJJ"]), ("enforcement", safety, deps["YJJ"])][n % 4]
        services.create_record(admin, {
            "kind": kind, "doc_no": f"柴监〔2026〕S{n + 1:03d}号", "item": item, "department": dept,
            "entity": entity, "title": item.sub_name, "decided_on": TODAY - dt.timedelta(days=30 - n),
            "severity": "general" if kind == "penalty" else "", "amount": 2000 if kind == "penalty" else None})


def ensure_draw(admin: Principal, deps: dict[str, Department], seed: int) -> None:
    code = "柴桑双随机〔2026〕1号"
    if InspectionTask.objects.filter(code=code).exists():
        return
    items = RandomItem.objects.filter(item__department__in=[deps["SCJG"], deps["YJJ"]])
    task = services.create_task(
        admin, code=code, name="2026年度食品销售与工贸安全联合双随机抽查", department=deps["SCJG"],
        joint=[deps["YJJ"]], items=items,
        ratios={"A": "0.01", "B": "0.02", "C": "0.05", "D": "0.1", "未评价": "0.02"})
    # A fixed, published seed: the demo's draw is the same on every build with the same seed.
    task = services.publish_seed(admin, task, hashlib.sha256(f"柴桑区双随机演示:{seed}".encode()).hexdigest())
    task = services.run_draw(admin, task)
    task = services.start_inspection(admin, task, TODAY - dt.timedelta(days=40))
    outcomes = [InspectionOutcome.PASSED, InspectionOutcome.PASSED, InspectionOutcome.CORRECTED,
                InspectionOutcome.PASSED, InspectionOutcome.UNREACHABLE, InspectionOutcome.NO_ACTIVITY]
    for n, selection in enumerate(task.selections.order_by("code")):
        services.enter_result(admin, selection, outcomes[n % len(outcomes)], "现场检查", TODAY - dt.timedelta(days=20))
    task = services.finish_results(admin, task, TODAY - dt.timedelta(days=15))
    services.publish_results(admin, task, TODAY - dt.timedelta(days=10))
    services.create_task(admin, code="柴桑双随机〔2026〕2号", name="2026年度企业公示信息抽查",
                         department=deps["SCJG"],
                         items=RandomItem.objects.filter(item__catalog_code="36040400100102"))


def ensure_complaints(admin: Principal, deps: dict[str, Department], entities: list[Entity], ctx: DemoContext) -> None:
    if Complaint.objects.exists():
        return
    rng = ctx.rng("supervision")
    for n in range(24):
        category, text = COMPLAINT_TEXTS[n % len(COMPLAINT_TEXTS)]
        entity = entities[rng.randrange(len(entities))]
        received = add_workdays(TODAY - dt.timedelta(days=90), n * 2)
        c = services.intake(admin, {"order_no": f"12345-2026{n + 1:06d}", "category": category,
                                    "area": department_code("")[:6], "content": text, "uscc": entity.uscc,
                                    "subject_name": entity.name, "complainant": "市民", "received_on": received},
                            source="12345")
        if c.department is None:
            continue
        steps = ["accept", "handle", "reply", "close"][: n % 5]
        for step in steps:
            extra = {"substantiated": n % 2 == 0} if step == "handle" else {}
            if step == "reply":
                extra["reply"] = "经核查,已依法处理并告知诉求人"
            if step == "close":
                extra["satisfaction"] = ["satisfied", "basic", "unsatisfied"][n % 3]
            c = services.complaint_step(admin, c, step, "依法办理", received, **extra)


def ensure_joint(admin: Principal, deps: dict[str, Department], entities: list[Entity]) -> None:
    from regshare.supervision.models import Case

    if Case.objects.exists():
        return
    entity = entities[7]
    case = services.open_case(admin, f"{entity.name}涉嫌无证经营危险化学品", deps["YJJ"],
                              "群众举报后经现场核查,发现储存危险化学品未取得经营许可", "case", entity,
                              [deps["SCJG"], deps["GAJ"]], TODAY - dt.timedelta(days=20))
    services.request_assistance(admin, deps["YJJ"], deps["SCJG"], "核查登记经营范围与实际经营地址",
                                "请协助核查该企业登记信息及近三年许可、处罚记录", entity, case,
                                TODAY - dt.timedelta(days=18))
    services.case_step(admin, case, "investigate", "联合现场检查", TODAY - dt.timedelta(days=15))
    if not InspectorConflict.objects.exists():
        inspector = Inspector.objects.filter(department=deps["SCJG"]).first()
        services.declare_conflict(admin, inspector, entities[0], "近亲属任该企业负责人", TODAY - dt.timedelta(days=30))
