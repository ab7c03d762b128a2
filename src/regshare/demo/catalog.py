"""The demo catalog. ``SCJG-0001`` 市场主体登记信息 has a fixed schema that later parts load data into."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from regshare.catalog.models import (
    Category,
    FieldTag,
    FieldType,
    Frequency,
    Grade,
    OpenType,
    Provision,
    Resource,
    ResourceField,
    ShareType,
    Status,
)

from . import DemoContext

# name, code_name, type, required, key, tag, enumeration
SCJG_0001_FIELDS = [
    ("统一社会信用代码", "uscc", FieldType.STRING, True, True, FieldTag.USCC, []),
    ("企业名称", "name", FieldType.STRING, True, False, FieldTag.COMPANY_NAME, []),
    ("法定代表人", "legal_rep", FieldType.STRING, False, False, FieldTag.PERSON_NAME, []),
    ("身份证号", "legal_rep_id", FieldType.STRING, False, False, FieldTag.ID_CARD, []),
    ("联系电话", "phone", FieldType.STRING, False, False, FieldTag.MOBILE, []),
    ("住所", "address", FieldType.STRING, False, False, FieldTag.ADDRESS, []),
    ("成立日期", "established", FieldType.DATE, False, False, FieldTag.NONE, []),
    ("注册资本(万元)", "capital", FieldType.DECIMAL, False, False, FieldTag.NONE, []),
    ("行业代码", "industry", FieldType.STRING, False, False, FieldTag.NONE, []),
    ("登记状态", "status", FieldType.ENUM, False, False, FieldTag.NONE, ["存续", "在业", "吊销", "注销"]),
]


def ensure_market_entity_registry(departments: dict) -> Resource:
    resource, _ = Resource.objects.update_or_create(
        code="SCJG-0001",
        defaults={
            "name": "市场主体登记信息",
            "summary": "本区登记注册的企业、个体工商户、农民专业合作社等市场主体的登记信息,含统一社会信用代码、"
                       "名称、法定代表人、住所、成立日期、注册资本、行业和登记状态。",
            "provider": departments["SCJG"],
            "source_system": "市场主体登记注册系统",
            "category": Category.BASIC,
            "data_format": "数据库表",
            "update_frequency": Frequency.DAILY,
            "share_type": ShareType.CONDITIONAL,
            "share_conditions": "用于市场监管、行政审批、信用监管等履职需要,身份证号和联系电话默认脱敏。",
            "open_type": OpenType.CLOSED,
            "provision": Provision.FILE,
            "grade": Grade.IMPORTANT,
            "status": Status.PUBLISHED,
        },
    )
    if resource.published_at is None:
        resource.published_at = timezone.now()
        resource.save(update_fields=["published_at"])
    keep = []
    for position, (name, code_name, data_type, required, key, tag, enumeration) in enumerate(SCJG_0001_FIELDS, 1):
        field, _ = ResourceField.objects.update_or_create(
            resource=resource, code_name=code_name,
            defaults={"name": name, "position": position, "data_type": data_type, "required": required,
                      "is_key": key, "tag": tag, "enumeration": enumeration,
                      "grade": Grade.IMPORTANT if tag in (FieldTag.ID_CARD, FieldTag.MOBILE) else Grade.GENERAL},
        )
        keep.append(field.pk)
    resource.fields.exclude(pk__in=keep).delete()
    return resource


@transaction.atomic
def run(ctx: DemoContext) -> None:
    from regshare.catalog.search import bump

    departments = ctx.data["departments"]
    ctx.data["SCJG-0001"] = ensure_market_entity_registry(departments)
    ctx.data["catalog"] = ensure_demo_catalog(departments, ctx)
    ensure_demo_demands(departments, ctx.data["catalog"])
    bump()


# ----------------------------------------------------------------------------- the rest of the demo catalog
# A field is "中文名/code/type[/flags]": type s 字符 i 整数 n 小数 d 日期 t 日期时间 b 布尔 e 枚举; flags: k 主键,
# r 必填, "e=a|b|c" 枚举值, "@tag" 敏感标签 (otherwise inferred from the name: 身份证→id_card, 电话→mobile …).
ENT = "统一社会信用代码/uscc/s/r;企业名称/company_name/s/r"
TYPES = {"s": FieldType.STRING, "i": FieldType.INTEGER, "n": FieldType.DECIMAL, "d": FieldType.DATE,
         "t": FieldType.DATETIME, "b": FieldType.BOOLEAN, "e": FieldType.ENUM}
U, C, N = ShareType.UNCONDITIONAL, ShareType.CONDITIONAL, ShareType.NONE
OP, X = OpenType.OPEN, OpenType.CLOSED
API, TABLE, FILE = Provision.API, Provision.TABLE, Provision.FILE
CORE, IMP, GEN = Grade.CORE, Grade.IMPORTANT, Grade.GENERAL
F = Frequency

# code, name, summary, share, open, provision, grade, frequency, 类/项/目, source system, fields, extra
RESOURCES = [
    ("XZSP-0001", "行政许可信息", "本区各部门作出的行政许可决定,含许可决定书文号、许可事项、被许可企业及其统一社会信用代码、"
     "许可决定日期和有效期,按双公示要求在决定之日起7个工作日内公示。", U, OP, TABLE, GEN, F.DAILY, "3/01/02",
     "一体化政务服务平台", "行政许可决定书文号/decision_no/s/kr;" + ENT + ";法定代表人/legal_rep/s;许可证书名称/license_name/s;"
     "许可证书编号/license_no/s;许可类别/license_type/e/e=普通|特许|认可|核准|登记|其他;许可事项/item_name/s;"
     "许可内容/content/s;许可决定日期/decision_date/d/r;有效期自/valid_from/d;有效期至/valid_to/d;许可机关/authority/s/r", {}),
    ("XZSP-0002", "政务服务办件信息", "政务服务事项的受理、办理和办结记录,含办件编号、事项名称、申请人、受理和办结时间、"
     "是否即办件、是否网上办理,用于审批效率评估。", U, X, TABLE, GEN, F.DAILY, "3/01/05", "一体化政务服务平台",
     "办件编号/case_no/s/kr;事项名称/item_name/s/r;事项类型/item_type/e/e=行政许可|行政确认|公共服务|其他;"
     "申请人名称/company_name/s;申请人统一社会信用代码/uscc/s;受理时间/accepted_at/t/r;办结时间/finished_at/t;"
     "承诺时限(工作日)/promised_days/i;是否即办件/on_the_spot/b;是否网上办理/online/b;办理结果/result/e/e=准予|不予|撤回|办理中;"
     "办理部门/department/s", {}),
    ("XZSP-0003", "建设工程施工许可信息", "房屋建筑和市政基础设施工程施工许可证核发信息。", U, OP, TABLE, GEN, F.DAILY,
     "3/01/02", "工程建设项目审批管理系统", "施工许可证编号/permit_no/s/kr;项目名称/project_name/s/r;建设单位统一社会信用代码/uscc/s;"
     "建设单位名称/company_name/s;建设地址/address/s;合同价格(万元)/contract_amount/n;发证日期/decision_date/d/r", {}),
    ("XZSP-0004", "营业执照电子证照信息", "营业执照电子证照的签发、变更和注销记录,供各部门办事时调用以免申请人重复提交。",
     C, X, API, IMP, F.REALTIME, "1/02/01", "电子证照库", ENT + ";证照编号/license_no/s/kr;签发日期/issued_on/d/r;"
     "证照状态/status/e/e=有效|注销|吊销", {"share_conditions": "用于办理政务服务事项时核验申请人营业执照。"}),
    ("XZSP-0005", "政务服务好差评信息", "办事企业和群众对政务服务的评价记录。", U, X, FILE, GEN, F.MONTHLY, "3/01/05",
     "政务服务好差评系统", "评价编号/review_no/s/kr;办件编号/case_no/s;评价等级/level/e/e=非常满意|满意|基本满意|不满意|非常不满意;"
     "评价时间/reviewed_at/t;评价渠道/channel/s", {}),
    ("SCJG-0002", "行政处罚信息", "市场监管部门作出的行政处罚决定,含决定书文号、当事人及其统一社会信用代码、违法行为类型、"
     "处罚种类和金额、处罚决定日期,按双公示要求公示。", U, OP, TABLE, GEN, F.DAILY, "3/02/03", "市场监管行政执法办案系统",
     "行政处罚决定书文号/decision_no/s/kr;" + ENT + ";法定代表人/legal_rep/s;违法行为类型/violation_type/s/r;"
     "违法事实/facts/s;处罚依据/basis/s;处罚种类/penalty_type/e/r/e=警告|通报批评|罚款|没收违法所得|没收非法财物|"
     "暂扣许可证件|吊销许可证件|责令停产停业|其他;罚款金额(万元)/fine_amount/n;没收违法所得(万元)/confiscated_amount/n;"
     "处罚决定日期/decision_date/d/r;公示截止日期/publicity_until/d;处罚机关/authority/s/r", {}),
    ("SCJG-0003", "经营异常名录", "因未按期公示年度报告、通过登记的住所无法联系等原因被列入经营异常名录的企业,含列入和移出信息。",
     U, OP, TABLE, GEN, F.DAILY, "3/02/04", "国家企业信用信息公示系统", "列入决定书文号/decision_no/s/kr;" + ENT
     + ";列入原因/reason/e/r/e=未按规定公示年度报告|未在责令期限内公示有关企业信息|公示企业信息隐瞒真实情况弄虚作假|"
     "通过登记的住所或者经营场所无法联系;列入日期/decision_date/d/r;作出决定机关/authority/s/r;移出日期/removed_on/d;"
     "移出原因/removal_reason/s", {}),
    ("SCJG-0004", "严重违法失信名单", "被列入市场监督管理严重违法失信名单的当事人,含列入事由、列入日期、作出决定机关和移出信息,"
     "供联合惩戒使用。", U, OP, TABLE, IMP, F.DAILY, "3/02/04", "国家企业信用信息公示系统",
     "列入决定书文号/decision_no/s/kr;" + ENT + ";法定代表人/legal_rep/s;列入事由/reason/s/r;列入日期/decision_date/d/r;"
     "作出决定机关/authority/s/r;移出日期/removed_on/d;移出原因/removal_reason/s", {}),
    ("SCJG-0005", "食品经营许可信息", "食品经营许可证的核发、变更、延续和注销信息。", U, OP, TABLE, GEN, F.DAILY, "3/02/02",
     "食品经营许可系统", "许可证编号/license_no/s/kr;" + ENT + ";经营者名称/operator_name/s;经营场所/premises/s;"
     "主体业态/business_form/e/e=食品销售经营者|餐饮服务经营者|单位食堂;经营项目/scope/s;发证日期/decision_date/d/r;"
     "有效期至/valid_to/d", {}),
    ("SCJG-0006", "特种设备登记信息", "锅炉、压力容器、电梯、起重机械等特种设备的使用登记和定期检验信息。", C, X, TABLE, IMP,
     F.WEEKLY, "3/02/05", "特种设备安全监管系统", "设备注册代码/device_code/s/kr;设备类别/device_type/e/r/e=锅炉|压力容器|"
     "压力管道|电梯|起重机械|场(厂)内专用机动车辆|大型游乐设施;使用单位统一社会信用代码/uscc/s;使用单位名称/company_name/s;"
     "设备地址/address/s;登记日期/registered_on/d;下次检验日期/next_inspection/d;安全管理员/safety_officer/s;"
     "安全管理员电话/safety_phone/s", {"share_conditions": "用于安全生产监管、应急处置。"}),
    ("SCJG-0007", "双随机抽查结果信息", "双随机、一公开抽查任务的检查对象、检查事项和检查结果。", U, OP, TABLE, GEN, F.WEEKLY,
     "3/02/03", "双随机抽查系统", "任务编号/task_no/s/kr;" + ENT + ";检查事项/item/s;检查日期/inspected_on/d;"
     "检查结果/result/e/e=未发现问题|发现问题已责令改正|发现问题待后续处理|未发现开展本次抽查涉及的经营活动|不配合检查;"
     "检查机关/authority/s", {}),
    ("SCJG-0008", "企业年度报告信息", "企业通过国家企业信用信息公示系统报送的年度报告:从业人数、资产状况、对外投资等。", C, X,
     FILE, IMP, F.YEARLY, "3/02/01", "国家企业信用信息公示系统", ENT + ";报告年度/year/i/kr;从业人数/employees/i;"
     "资产总额(万元)/assets/n;营业总收入(万元)/revenue/n;纳税总额(万元)/tax/n;联系电话/phone/s;报送日期/reported_on/d",
     {"share_conditions": "资产、收入等企业选择不公示的项目仅用于监管履职。"}),
    ("SCJG-0009", "食品安全监督抽检信息", "食品安全监督抽检的样品、被抽样单位和检验结论。", U, OP, FILE, GEN, F.MONTHLY,
     "3/02/03", "食品安全抽检监测系统", "抽样单编号/sample_no/s/kr;样品名称/sample_name/s/r;被抽样单位统一社会信用代码/uscc/s;"
     "被抽样单位名称/company_name/s;抽样日期/sampled_on/d;检验结论/conclusion/e/e=合格|不合格;不合格项目/failed_items/s", {}),
    ("SCJG-0010", "计量器具强制检定信息", "加油机、电子计价秤等强制检定计量器具的检定记录。", U, X, FILE, GEN, F.MONTHLY,
     "3/02/05", "计量器具管理系统", "器具编号/instrument_no/s/kr;器具名称/instrument_name/s;使用单位名称/company_name/s;"
     "使用单位统一社会信用代码/uscc/s;检定日期/verified_on/d;检定结论/conclusion/e/e=合格|不合格", {}),
    ("SCJG-0011", "产品质量监督抽查信息", "产品质量监督抽查的企业、产品和结果。", U, OP, FILE, GEN, F.QUARTERLY, "3/02/03",
     "产品质量监督抽查系统", "抽查编号/check_no/s/kr;" + ENT + ";产品名称/product/s;抽查日期/checked_on/d;"
     "抽查结论/conclusion/e/e=合格|不合格", {}),
    ("SCJG-0012", "知识产权质押登记信息", "专利权、商标权质押登记信息。", C, X, FILE, GEN, F.MONTHLY, "3/02/06",
     "知识产权业务系统", "登记号/reg_no/s/kr;出质人名称/company_name/s;出质人统一社会信用代码/uscc/s;质权人/pledgee/s;"
     "担保金额(万元)/amount/n;登记日期/registered_on/d", {"status": Status.DRAFT,
                                                         "share_conditions": "用于金融服务和信用监管。"}),
    ("SWJ-0001", "纳税信用等级信息", "纳税人年度纳税信用评价结果(A/B/M/C/D级)。", C, X, API, IMP, F.YEARLY, "3/03/01",
     "金税三期税收管理系统", ENT + ";评价年度/year/i/kr;纳税信用等级/level/e/r/e=A|B|M|C|D",
     {"share_conditions": "用于信用分级分类监管、评优评先和联合奖惩。", "dedicated": ["SCJG", "FGJ"]}),
    ("SWJ-0002", "重大税收违法失信主体信息", "达到重大税收违法失信主体标准的纳税人及其违法事实、处罚情况。", U, OP, FILE, IMP,
     F.MONTHLY, "3/03/02", "金税三期税收管理系统", ENT + ";法定代表人/legal_rep/s;法定代表人身份证号/legal_rep_id/s;"
     "主要违法事实/facts/s;相关法律依据及处理处罚情况/handling/s;公布日期/decision_date/d/r", {}),
    ("SWJ-0003", "纳税人登记信息", "税务登记的纳税人基本信息及状态。", C, X, API, IMP, F.DAILY, "1/02/03", "金税三期税收管理系统",
     ENT + ";纳税人识别号/tin/s/kr;登记日期/registered_on/d;纳税人状态/status/e/e=正常|非正常|注销;财务负责人/cfo/s;"
     "财务负责人电话/cfo_phone/s", {"share_conditions": "用于市场主体登记信息比对和信用监管。"}),
    ("SWJ-0004", "欠税公告信息", "欠缴税款的纳税人及欠税金额公告。", U, OP, FILE, GEN, F.QUARTERLY, "3/03/02",
     "金税三期税收管理系统", ENT + ";欠税税种/tax_type/s;欠税余额(元)/amount/n;公告日期/decision_date/d/r", {}),
    ("SWJ-0005", "发票开具明细信息", "纳税人开具发票的明细数据。", N, X, TABLE, CORE, F.DAILY, "3/03/03", "增值税发票管理系统",
     "发票代码/invoice_code/s/kr;发票号码/invoice_no/s/r;销方统一社会信用代码/uscc/s;金额(元)/amount/n;开票日期/issued_on/d",
     {"legal_basis": "《中华人民共和国税收征收管理法》第八条:税务机关应当依法为纳税人、扣缴义务人的情况保守秘密;"
                     "发票明细涉及纳税人商业秘密,不予共享。"}),
    ("RSJ-0001", "社保参保信息", "企业职工基本养老、失业、工伤保险参保单位和参保人数。", C, X, API, IMP, F.MONTHLY, "1/03/01",
     "社会保险信息系统", ENT + ";参保险种/insurance/e/e=企业职工基本养老保险|失业保险|工伤保险;参保人数/insured/i;"
     "缴费状态/status/e/e=正常缴费|暂停缴费|终止;统计月份/month/s/kr",
     {"share_conditions": "仅提供单位参保人数和缴费状态,不含个人明细;用于经营状况核验。"}),
    ("RSJ-0002", "拖欠农民工工资失信联合惩戒对象名单", "被列入拖欠农民工工资失信联合惩戒对象名单的用人单位及其负责人。", U, OP,
     FILE, IMP, F.MONTHLY, "3/04/02", "劳动保障监察系统", "列入决定书文号/decision_no/s/kr;" + ENT
     + ";负责人姓名/head_name/s;负责人身份证号/head_id/s;拖欠金额(万元)/amount/n;列入日期/decision_date/d/r", {}),
    ("RSJ-0003", "劳动保障监察行政处罚信息", "劳动保障监察作出的行政处罚决定。", U, OP, FILE, GEN, F.MONTHLY, "3/04/03",
     "劳动保障监察系统", "行政处罚决定书文号/decision_no/s/kr;" + ENT + ";违法行为/violation/s;处罚内容/penalty/s;"
     "处罚决定日期/decision_date/d/r", {}),
    ("RSJ-0004", "企业用工备案信息", "企业劳动用工备案(录用、解除)汇总。", C, X, FILE, GEN, F.MONTHLY, "3/04/01",
     "劳动用工备案系统", ENT + ";备案月份/month/s/kr;新录用人数/hired/i;解除终止人数/left/i",
     {"share_conditions": "用于就业形势分析。"}),
    ("ZJJ-0001", "不动产登记信息", "不动产权利登记信息:不动产单元号、权利人、坐落、用途、面积和抵押查封状态。", C, X, API, CORE,
     F.DAILY, "1/04/01", "不动产登记信息管理平台", "不动产单元号/unit_no/s/kr;不动产权证号/cert_no/s/r;权利人名称/owner_name/s;"
     "权利人证件号/owner_id/s/@id_card;坐落/location/s/@address;用途/usage/s;面积(平方米)/area/n;"
     "是否抵押/mortgaged/b;是否查封/sealed/b;登记日期/registered_on/d",
     {"share_conditions": "依法履职需要,经不动产登记机构审核后按件查询;个人信息脱敏。"}),
    ("ZJJ-0002", "建筑业企业资质信息", "建筑业企业资质证书信息。", U, OP, TABLE, GEN, F.WEEKLY, "3/05/01",
     "建筑市场监管平台", ENT + ";资质证书编号/cert_no/s/kr;资质类别及等级/qualification/s;发证日期/issued_on/d;"
     "有效期至/valid_to/d", {}),
    ("ZJJ-0003", "商品房预售许可信息", "商品房预售许可证核发信息。", U, OP, FILE, GEN, F.WEEKLY, "3/05/02",
     "房地产市场监管系统", "预售许可证号/permit_no/s/kr;项目名称/project/s;开发企业名称/company_name/s;"
     "开发企业统一社会信用代码/uscc/s;预售面积(平方米)/area/n;发证日期/decision_date/d/r", {}),
    ("ZJJ-0004", "建筑施工安全事故记录", "建筑施工生产安全事故的发生、调查和处理情况。", C, X, FILE, IMP, F.IRREGULAR,
     "3/05/03", "建筑施工安全监管系统", "事故编号/accident_no/s/kr;" + ENT + ";发生日期/occurred_on/d;事故等级/level/e/"
     "e=一般|较大|重大|特别重大;死亡人数/deaths/i;处理结果/handling/s", {"share_conditions": "用于安全监管和信用评价。"}),
    ("ZJJ-0005", "物业服务企业信用信息", "物业服务企业信用评价和投诉处理情况。", U, X, FILE, GEN, F.QUARTERLY, "3/05/04",
     "物业管理平台", ENT + ";评价年度/year/i/kr;信用等级/level/e/e=AAA|AA|A|B|C;投诉件数/complaints/i", {}),
    ("STHJ-0001", "环境行政处罚信息", "生态环境部门作出的环境行政处罚决定,含违法类型、处罚金额和处罚决定日期。", U, OP, TABLE, GEN,
     F.DAILY, "3/06/03", "生态环境执法系统", "行政处罚决定书文号/decision_no/s/kr;" + ENT + ";违法类型/violation_type/s/r;"
     "处罚种类/penalty_type/s;罚款金额(万元)/fine_amount/n;处罚决定日期/decision_date/d/r;处罚机关/authority/s", {}),
    ("STHJ-0002", "排污许可信息", "排污许可证核发、变更和注销信息。", U, OP, TABLE, GEN, F.WEEKLY, "3/06/01",
     "全国排污许可证管理信息平台", ENT + ";许可证编号/permit_no/s/kr;行业类别/industry/s;生产经营场所地址/address/s;"
     "发证日期/decision_date/d/r;有效期至/valid_to/d", {}),
    ("STHJ-0003", "建设项目环评审批信息", "建设项目环境影响评价文件审批结果。", U, OP, FILE, GEN, F.MONTHLY, "3/06/01",
     "建设项目环评审批系统", "批复文号/approval_no/s/kr;项目名称/project/s;建设单位名称/company_name/s;"
     "建设单位统一社会信用代码/uscc/s;批复日期/decision_date/d/r", {}),
    ("STHJ-0004", "重点排污单位名录", "年度重点排污单位名录。", U, OP, FILE, GEN, F.YEARLY, "3/06/02", "污染源监控系统",
     ENT + ";年度/year/i/kr;类别/kind/e/e=水环境|大气环境|土壤环境|声环境|其他", {}),
    ("STHJ-0005", "污染源在线监测数据", "重点排污单位污染物排放在线监测小时数据。", C, X, API, IMP, F.REALTIME, "3/06/04",
     "污染源自动监控系统", "监测点编号/point_no/s/kr;" + ENT + ";监测时间/measured_at/t/r;污染物/pollutant/s;浓度/value/n;"
     "是否超标/exceeded/b", {"share_conditions": "用于环境监管和应急处置。"}),
    ("YJJ-0001", "安全生产检查记录", "应急管理部门对生产经营单位的安全生产监督检查记录和隐患整改情况。", C, X, TABLE, IMP,
     F.WEEKLY, "3/07/01", "安全生产监管执法系统", "检查编号/check_no/s/kr;" + ENT + ";检查日期/checked_on/d/r;"
     "检查人员/inspectors/s;发现隐患数/hazards/i;重大隐患数/major_hazards/i;整改期限/rectify_by/d;"
     "整改情况/rectification/e/e=已整改|整改中|逾期未整改", {"share_conditions": "用于安全生产联合监管和信用评价。"}),
    ("YJJ-0002", "安全生产许可证信息", "非煤矿山、危险化学品生产等企业安全生产许可证信息。", U, OP, TABLE, GEN, F.WEEKLY,
     "3/07/02", "安全生产许可系统", ENT + ";许可证编号/permit_no/s/kr;许可范围/scope/s;发证日期/decision_date/d/r;"
     "有效期至/valid_to/d", {}),
    ("YJJ-0003", "危险化学品经营许可信息", "危险化学品经营许可证核发信息。", U, OP, FILE, IMP, F.MONTHLY, "3/07/02",
     "危险化学品监管系统", ENT + ";许可证编号/permit_no/s/kr;经营方式/mode/s;许可范围/scope/s;经营场所/premises/s;"
     "发证日期/decision_date/d/r", {}),
    ("YJJ-0004", "安全生产行政处罚信息", "应急管理部门作出的安全生产行政处罚决定。", U, OP, FILE, GEN, F.MONTHLY, "3/07/03",
     "安全生产监管执法系统", "行政处罚决定书文号/decision_no/s/kr;" + ENT + ";违法行为/violation/s;处罚内容/penalty/s;"
     "罚款金额(万元)/fine_amount/n;处罚决定日期/decision_date/d/r", {}),
    ("YJJ-0005", "生产安全事故信息", "生产安全事故的基本情况和调查处理结果。", C, X, FILE, IMP, F.IRREGULAR, "3/07/04",
     "事故调查处理系统", "事故编号/accident_no/s/kr;" + ENT + ";发生日期/occurred_on/d;事故等级/level/e/e=一般|较大|重大|特别重大;"
     "事故类型/kind/s;死亡人数/deaths/i", {"share_conditions": "用于安全监管和联合惩戒。"}),
    ("CGJ-0001", "12345投诉举报工单", "12345政务服务便民热线受理的投诉举报工单:被投诉企业、诉求内容、承办部门、办结情况和满意度。",
     C, X, API, IMP, F.DAILY, "3/08/01", "12345政务服务便民热线系统", "工单编号/ticket_no/s/kr;受理日期/received_on/d/r;"
     "诉求类型/kind/e/r/e=投诉|举报|咨询|建议|求助;被投诉对象统一社会信用代码/uscc/s/@uscc;被投诉对象名称/company_name/s/@company_name;"
     "诉求内容/content/s;投诉人姓名/complainant/s;投诉人电话/complainant_phone/s;事发地址/address/s;承办部门/handling_dept/s;"
     "办结日期/closed_on/d;办理结果/result/s;满意度/satisfaction/e/e=满意|基本满意|不满意",
     {"share_conditions": "用于投诉举报处置和风险预警,投诉人信息脱敏。"}),
    ("CGJ-0002", "户外广告设置许可信息", "户外广告设施设置许可信息。", U, OP, FILE, GEN, F.MONTHLY, "3/08/02",
     "城市管理综合执法系统", "许可编号/permit_no/s/kr;" + ENT + ";设置地点/location/s/@address;许可日期/decision_date/d/r;"
     "有效期至/valid_to/d", {}),
    ("CGJ-0003", "城市管理行政处罚信息", "城市管理综合执法作出的行政处罚决定。", U, OP, FILE, GEN, F.MONTHLY, "3/08/03",
     "城市管理综合执法系统", "行政处罚决定书文号/decision_no/s/kr;当事人名称/company_name/s/r;当事人统一社会信用代码/uscc/s;"
     "违法行为/violation/s;处罚内容/penalty/s;处罚决定日期/decision_date/d/r", {}),
    ("CGJ-0004", "餐厨垃圾收运登记信息", "餐饮单位餐厨垃圾收运登记和收运量。", U, X, FILE, GEN, F.MONTHLY, "3/08/04",
     "餐厨垃圾监管系统", ENT + ";登记编号/reg_no/s/kr;收运单位/collector/s;月收运量(吨)/tons/n", {}),
    ("GAJ-0001", "旅馆业特种行业许可信息", "旅馆业特种行业许可证核发信息。", U, X, FILE, GEN, F.MONTHLY, "3/09/01",
     "治安管理信息系统", ENT + ";许可证编号/permit_no/s/kr;经营地址/address/s;发证日期/decision_date/d/r", {}),
    ("GAJ-0002", "刑事案件侦查信息", "刑事案件立案侦查过程信息。", N, X, TABLE, CORE, F.REALTIME, "3/09/02", "警务综合平台",
     "案件编号/case_no/s/kr;案件类别/kind/s;立案日期/filed_on/d",
     {"legal_basis": "《中华人民共和国刑事诉讼法》第一百五十二条及《公安机关办理刑事案件程序规定》:侦查过程信息属于侦查秘密,不予共享。"}),
    ("GAJ-0003", "人口基础信息", "户籍人口的身份、住址等基础信息,经核验接口按件比对。", C, X, API, CORE, F.REALTIME, "1/01/01",
     "人口基础信息库", "公民身份号码/id_no/s/kr;姓名/person_name/s/r;性别/sex/e/e=男|女;出生日期/birth/d;住址/address/s",
     {"share_conditions": "仅提供身份核验比对服务(一致/不一致),不提供批量数据。"}),
    ("GAJ-0004", "公章刻制备案信息", "企业公章刻制备案信息。", U, X, FILE, GEN, F.MONTHLY, "3/09/01", "印章治安管理系统",
     ENT + ";印章编码/seal_no/s/kr;备案日期/filed_on/d", {}),
    ("SFJ-0001", "行政执法人员信息", "持有行政执法证件的执法人员及其执法领域。", C, X, FILE, IMP, F.QUARTERLY, "3/10/01",
     "行政执法监督平台", "执法证号/cert_no/s/kr;姓名/person_name/s/r;所在单位/unit/s;执法领域/field/s;手机号码/mobile/s",
     {"share_conditions": "用于双随机抽查执法人员名录库。"}),
    ("SFJ-0002", "律师事务所执业许可信息", "律师事务所执业许可证信息。", U, OP, FILE, GEN, F.QUARTERLY, "3/10/02",
     "律师管理系统", ENT + ";执业许可证号/license_no/s/kr;负责人/head/s;发证日期/decision_date/d/r", {}),
    ("SFJ-0003", "人民调解案件信息", "人民调解组织受理调解的矛盾纠纷案件。", C, X, FILE, GEN, F.MONTHLY, "3/10/03",
     "人民调解信息系统", "案件编号/case_no/s/kr;纠纷类型/kind/s;当事人姓名/party/s;受理日期/received_on/d;调解结果/result/s",
     {"share_conditions": "仅用于矛盾纠纷分析,当事人信息脱敏。"}),
    ("FGJ-0001", "企业投资项目备案信息", "企业投资项目备案信息:项目名称、备案企业、总投资和建设地点。", U, OP, TABLE, GEN, F.DAILY,
     "3/11/01", "投资项目在线审批监管平台", "项目代码/project_code/s/kr;项目名称/project/s/r;" + ENT
     + ";总投资(万元)/investment/n;建设地点/location/s/@address;备案日期/decision_date/d/r", {}),
    ("FGJ-0002", "市场准入负面清单事项", "市场准入负面清单的禁止准入和许可准入事项及其管理措施。", U, OP, FILE, GEN, F.YEARLY,
     "3/11/02", "市场准入负面清单信息公开平台", "事项编号/item_no/s/kr;事项名称/item_name/s/r;类别/kind/e/e=禁止准入类|许可准入类;"
     "管理措施/measures/s;设立依据/basis/s", {}),
    ("FGJ-0003", "信用承诺信息", "市场主体作出的信用承诺及履约情况。", U, OP, FILE, GEN, F.MONTHLY, "3/11/03",
     "信用信息共享平台", ENT + ";承诺编号/pledge_no/s/kr;承诺类型/kind/s;承诺日期/pledged_on/d;履约情况/status/e/e=履约|失约",
     {}),
    ("FGJ-0004", "守信激励对象名单", "各领域守信激励对象(红名单)。", U, OP, FILE, GEN, F.QUARTERLY, "3/11/03", "信用信息共享平台",
     ENT + ";列入依据/basis/s;列入日期/decision_date/d/r;认定部门/authority/s",
     {"status": Status.DRAFT}),
    ("SJJ-0001", "法人单位基础信息", "汇聚市场监管、编办、民政等部门登记的法人单位基础信息,形成法人基础信息库。", U, X, API, IMP,
     F.DAILY, "1/02/02", "法人单位基础信息库", ENT + ";法人类型/kind/e/e=企业法人|机关法人|事业单位法人|社会团体法人|其他;"
     "登记机关/authority/s;登记状态/status/s", {}),
    ("SJJ-0002", "政务数据共享调用统计", "各部门通过共享平台调用数据资源的次数统计。", U, X, FILE, GEN, F.MONTHLY, "3/12/01",
     "政务数据共享交换平台", "统计月份/month/s/kr;部门/department/s;资源代码/resource_code/s;调用次数/calls/i", {}),
    ("SCJG-0013", "企业信用信息(旧版接口)", "原企业信用信息查询接口,已由企业年度报告信息等资源替代。", U, X, API, GEN, F.DAILY,
     "3/02/01", "原企业信用信息系统", ENT + ";信用状态/status/s", {"offline_successor": "SCJG-0008"}),
]


def _parse_fields(spec: str) -> list[dict]:
    from regshare.catalog.transfer import infer_tag

    fields = []
    for item in spec.split(";"):
        name, code_name, type_code, *rest = item.split("/")
        flags = "".join(x for x in rest if not x.startswith(("e=", "@")))
        enumeration = next((x[2:].split("|") for x in rest if x.startswith("e=")), [])
        tag = next((x[1:] for x in rest if x.startswith("@")), None)
        tag = infer_tag(name) if tag is None else tag
        fields.append({"name": name, "code_name": code_name, "data_type": TYPES[type_code], "required": "r" in flags,
                       "is_key": "k" in flags, "enumeration": enumeration, "tag": tag,
                       "grade": Grade.IMPORTANT if tag in (FieldTag.ID_CARD, FieldTag.MOBILE, FieldTag.BANK_CARD)
                       else Grade.GENERAL, "description": ""})
    return fields


def ensure_demo_catalog(departments: dict, ctx: DemoContext) -> dict[str, Resource]:
    """About 60 resources across the demo departments; idempotent (keyed on the resource code)."""
    from regshare.catalog.models import ResourceVersion, StatusChange
    from regshare.catalog.services import metadata_snapshot, schema_snapshot

    rng = ctx.rng("catalog")
    base = timezone.now().replace(microsecond=0)
    made: dict[str, Resource] = {}
    for (code, name, summary, share, open_type, provision, grade, frequency, classification, system, spec,
         extra) in RESOURCES:
        prefix = code.split("-")[0]
        lei, xiang, mu = classification.split("/")
        status = extra.get("status", Status.PUBLISHED)
        if "offline_successor" in extra:
            status = Status.OFFLINE
        resource, created = Resource.objects.update_or_create(code=code, defaults={
            "name": name, "summary": summary, "provider": departments[prefix], "source_system": system,
            "category": Category.BASIC if lei == "1" else Category.RESULT, "data_format": {
                API: "接口服务", TABLE: "数据库表", FILE: "电子表格"}[provision],
            "update_frequency": frequency, "share_type": share, "share_conditions": extra.get("share_conditions", ""),
            "legal_basis": extra.get("legal_basis", ""), "open_type": open_type,
            "open_conditions": "通过政府数据开放平台向社会开放" if open_type == OpenType.OPEN else "",
            "provision": provision, "grade": grade, "status": status,
            "catalog_class": lei, "catalog_item": xiang, "catalog_subitem": mu,
            "submitted_at": base if extra.get("submitted") else None,
        })
        if resource.published_at is None and status != Status.DRAFT:
            resource.published_at = base - timezone.timedelta(days=rng.randint(30, 400))
            resource.save(update_fields=["published_at"])
        keep = []
        for position, item in enumerate(_parse_fields(spec), 1):
            field, _ = ResourceField.objects.update_or_create(
                resource=resource, code_name=item["code_name"],
                defaults={**{k: v for k, v in item.items() if k != "code_name"}, "position": position})
            keep.append(field.pk)
        resource.fields.exclude(pk__in=keep).delete()
        resource.dedicated_departments.set([departments[s] for s in extra.get("dedicated", [])])
        if status != Status.DRAFT and not resource.versions.exists():
            ResourceVersion.objects.create(resource=resource, version=resource.version,
                                           schema=schema_snapshot(resource), metadata=metadata_snapshot(resource),
                                           note="初始发布")
        if created:
            StatusChange.objects.create(resource=resource, to_status=status, action="初始登记", actor="demo")
        made[code] = resource
    for code, *_rest, extra in RESOURCES:
        if "offline_successor" in extra:
            resource = made[code]
            resource.successor = made[extra["offline_successor"]]
            resource.retire_reason = "接口整合,由新资源替代"
            if resource.offline_at is None:
                resource.offline_at = resource.retire_requested_at = base - timezone.timedelta(days=40)
            resource.save()
    made["SCJG-0001"] = Resource.objects.get(code="SCJG-0001")
    made["SCJG-0001"].related.set([made["SCJG-0002"], made["SCJG-0003"], made["SCJG-0004"], made["SCJG-0008"]])
    if not made["SCJG-0001"].status_changes.exists():
        StatusChange.objects.create(resource=made["SCJG-0001"], to_status=Status.PUBLISHED, action="初始登记",
                                    actor="demo")
    if not made["SCJG-0001"].versions.exists():
        ResourceVersion.objects.create(resource=made["SCJG-0001"], version=1, note="初始发布",
                                       schema=schema_snapshot(made["SCJG-0001"]),
                                       metadata=metadata_snapshot(made["SCJG-0001"]))
    return made


# requester, title, provider, purpose, scenario, fields wanted, frequency, matched resource
DEMANDS = [
    ("FGJ", "企业纳税信用等级", "SWJ", "信用分级分类评价", "评优评先、财政补贴资格审核", "统一社会信用代码、企业名称、纳税信用等级",
     Frequency.YEARLY, "SWJ-0001"),
    ("YJJ", "特种设备使用单位及检验信息", "SCJG", "安全生产风险排查", "危化企业联合检查", "设备注册代码、使用单位、下次检验日期",
     Frequency.WEEKLY, None),
    ("SCJG", "企业用水用电异常信息", None, "识别空壳企业和异常经营", "经营异常风险预警", "统一社会信用代码、月用电量、月用水量",
     Frequency.MONTHLY, None),
]


def ensure_demo_demands(departments: dict, resources: dict[str, Resource]) -> None:
    from regshare.catalog.models import Demand, DemandStatus

    for requester, title, provider, purpose, scenario, fields, frequency, matched in DEMANDS:
        Demand.objects.update_or_create(requester=departments[requester], title=title, defaults={
            "provider": departments[provider] if provider else None, "purpose": purpose, "scenario": scenario,
            "fields_wanted": fields, "frequency": frequency,
            "status": DemandStatus.MATCHED if matched else DemandStatus.OPEN,
            "matched_resource": resources[matched] if matched else None})
