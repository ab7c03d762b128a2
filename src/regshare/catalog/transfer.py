"""The government's own spreadsheets (政务数据共享清单, 政务数据需求清单) and DCAT JSON-LD.

Reading is forgiving in the ways real hand-made sheets differ: a title row above the header,
merged cells (a department name merged down several rows), full-width letters and brackets,
trailing blank rows, labels instead of codes (「有条件共享」 or ``conditional``). Importing is
all-or-nothing: every row is checked, and one bad row rejects the file with a row-by-row report.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from regshare.core import audit, exports, uploads
from regshare.core.lazy import lazy_module
from regshare.core.models import Department
from regshare.core.permissions import Principal, require

from . import services
from .models import (
    Category,
    FieldTag,
    Frequency,
    Grade,
    OpenType,
    Provision,
    Resource,
    ShareType,
    Status,
)

openpyxl = lazy_module("openpyxl")
openpyxl_styles = lazy_module("openpyxl.styles")
calamine = lazy_module("python_calamine")

MAX_ROWS = 5000
MAX_BYTES = 10 * 1024 * 1024

# header, attribute, other spellings seen in circulated sheets
SHARE_COLUMNS = [
    ("序号", "seq", ()),
    ("资源代码", "code", ("资源编码", "目录代码", "编码")),
    ("资源名称", "name", ("数据资源名称", "信息资源名称", "数据名称", "目录名称")),
    ("资源摘要", "summary", ("摘要", "资源描述", "数据描述")),
    ("提供部门", "provider", ("提供单位", "数源部门", "责任部门")),
    ("来源系统", "source_system", ("数据来源", "来源", "所属系统")),
    ("数据分类", "category", ("资源分类",)),
    ("类", "catalog_class", ("分类·类",)),
    ("项", "catalog_item", ("分类·项",)),
    ("目", "catalog_subitem", ("分类·目",)),
    ("数据格式", "data_format", ("格式", "资源格式")),
    ("信息项", "fields", ("数据项", "字段", "信息项名称")),
    ("更新周期", "update_frequency", ("更新频率", "更新频度")),
    ("共享类型", "share_type", ("共享属性",)),
    ("共享条件", "share_conditions", ()),
    ("不予共享依据", "legal_basis", ("法律依据", "不予共享理由")),
    ("开放属性", "open_type", ("开放类型", "是否开放")),
    ("开放条件", "open_conditions", ()),
    ("提供方式", "provision", ("共享方式", "共享途径")),
    ("分级", "grade", ("数据分级", "安全级别")),
    ("专用部门", "dedicated_departments", ("专用部门名单",)),
    ("状态", "status", ()),
    ("版本", "version", ()),
    ("发布日期", "published_at", ("发布时间",)),
]
DEMAND_COLUMNS = [
    ("序号", "seq", ()),
    ("所需数据", "title", ("需求名称", "数据需求名称", "需求数据", "所需数据资源")),
    ("需求部门", "requester", ("需求单位", "使用部门")),
    ("拟提供部门", "provider", ("提供部门", "数源部门")),
    ("用途", "purpose", ("使用用途", "数据用途")),
    ("应用场景", "scenario", ("使用场景",)),
    ("所需信息项", "fields_wanted", ("需求信息项", "信息项", "数据项")),
    ("更新频率", "frequency", ("更新周期",)),
    ("状态", "status", ()),
    ("匹配资源", "matched_resource", ()),
    ("备注", "note", ()),
]

EXTRA_LABELS = {
    "update_frequency": {"日": "daily", "每天": "daily", "天": "daily", "周": "weekly", "月": "monthly",
                         "季": "quarterly", "季度": "quarterly", "年": "yearly", "每年度": "yearly", "实时更新": "realtime"},
    "share_type": {"无条件": "unconditional", "有条件": "conditional", "不共享": "none", "不予": "none"},
    "open_type": {"开放": "open", "是": "open", "不开放": "closed", "否": "closed", "不予开放": "closed"},
    "provision": {"数据接口": "api", "接口调用": "api", "库表对接": "table", "数据库": "table",
                  "文件上传": "file", "文件下载": "file"},
    "category": {"基础": "basic", "成果": "result", "其他": "other"},
    "grade": {"核心数据": "core", "重要数据": "important", "一般数据": "general"},
}
CHOICES = {"update_frequency": Frequency, "share_type": ShareType, "open_type": OpenType, "provision": Provision,
           "category": Category, "grade": Grade, "frequency": Frequency}

TAG_HINTS = [
    ("统一社会信用代码", FieldTag.USCC), ("信用代码", FieldTag.USCC),
    ("身份证", FieldTag.ID_CARD), ("证件号码", FieldTag.ID_CARD),
    ("手机", FieldTag.MOBILE), ("电话", FieldTag.MOBILE),
    ("银行卡", FieldTag.BANK_CARD), ("银行账号", FieldTag.BANK_CARD),
    ("企业名称", FieldTag.COMPANY_NAME), ("单位名称", FieldTag.COMPANY_NAME), ("市场主体名称", FieldTag.COMPANY_NAME),
    ("当事人名称", FieldTag.COMPANY_NAME), ("被投诉对象", FieldTag.COMPANY_NAME),
    ("法定代表人", FieldTag.PERSON_NAME), ("负责人", FieldTag.PERSON_NAME), ("姓名", FieldTag.PERSON_NAME),
    ("联系人", FieldTag.PERSON_NAME),
    ("地址", FieldTag.ADDRESS), ("住所", FieldTag.ADDRESS), ("经营场所", FieldTag.ADDRESS),
]
FIELD_SPLIT = re.compile(r"[、;;\n]+")
FIELD_ITEM = re.compile(r"^(?P<name>.+?)\s*(?:\((?P<code>[A-Za-z][A-Za-z0-9_]*)\))?$")


def infer_tag(field_name: str) -> str:
    for hint, tag in TAG_HINTS:
        if hint in field_name:
            return tag
    return FieldTag.NONE


def clean_cell(value: Any) -> str:
    """A cell as text: full-width forms folded (NFKC), whole floats without ``.0``, whitespace trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"[ \t\u3000]+", " ", text).strip()


def _header_key(text: str) -> str:
    return re.sub(r"[\s*※()()]|必填", "", text)


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (Excel row number, message)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "rows": self.rows, "created": self.created, "updated": self.updated,
                "errors": [{"row": r, "message": m} for r, m in self.errors]}


class SheetError(ValidationError):
    pass


def read_table(content: bytes, columns: list[tuple[str, str, tuple[str, ...]]]) -> list[tuple[int, dict[str, str]]]:
    """(Excel row number, {attribute: text}) for each non-blank data row of the first sheet holding the header."""
    if len(content) > min(MAX_BYTES, uploads.max_upload_bytes()):
        raise SheetError(f"文件超过 {min(MAX_BYTES, uploads.max_upload_bytes()) // uploads.MB} MB,请拆分后导入",
                         code="file_too_large")
    try:
        uploads.check_zip_upload(io.BytesIO(content))
    except ValidationError as exc:
        raise SheetError(exc.messages[0], code=exc.code) from exc
    try:
        workbook = calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
    except Exception as exc:  # calamine raises its own error types for every unreadable file
        raise SheetError("无法读取该文件,请上传 Excel(.xlsx / .xls)格式的清单", code="unreadable_file") from exc
    aliases = {}
    for header, attr, others in columns:
        for name in (header, *others):
            aliases[_header_key(name)] = attr
    for sheet_name in workbook.sheet_names:
        sheet = workbook.get_sheet_by_name(sheet_name)
        grid = [[clean_cell(v) for v in row] for row in sheet.to_python(skip_empty_area=False)]
        _spread_merged(grid, sheet.merged_cell_ranges or [])
        found = _find_header(grid, aliases)
        if found is None:
            continue
        header_row, mapping = found
        out = []
        for row_index in range(header_row + 1, len(grid)):
            row = grid[row_index]
            values = {attr: (row[col] if col < len(row) else "") for col, attr in mapping.items()}
            if not any(v for k, v in values.items() if k != "seq"):
                continue
            out.append((row_index + 1, values))
        if len(out) > MAX_ROWS:
            raise SheetError(f"一次最多导入 {MAX_ROWS} 行", code="too_many_rows")
        return out
    names = "、".join(h for h, _a, _o in columns if _a != "seq")
    raise SheetError(f"未找到表头行:前 15 行中没有识别出清单列名(应包含 {names} 中的至少三列)", code="no_header")


def _find_header(grid: list[list[str]], aliases: dict[str, str]) -> tuple[int, dict[int, str]] | None:
    """The first of the top 15 rows naming at least three known columns (title rows above are skipped)."""
    for row_number, row in enumerate(grid[:15]):
        mapping: dict[int, str] = {}
        for col, text in enumerate(row):
            attr = aliases.get(_header_key(text))
            if attr and attr not in mapping.values():
                mapping[col] = attr
        if len(mapping) >= 3:
            return row_number, mapping
    return None


def _spread_merged(grid: list[list[str]], ranges) -> None:
    """Give every cell of a merged range the value of its top-left cell (sheets merge department names)."""
    for (r0, c0), (r1, c1) in ranges:
        if r0 >= len(grid):
            continue
        value = grid[r0][c0] if c0 < len(grid[r0]) else ""
        for r in range(r0, min(r1, len(grid) - 1) + 1):
            for c in range(c0, c1 + 1):
                if c < len(grid[r]) and not grid[r][c]:
                    grid[r][c] = value


def parse_choice(attr: str, text: str) -> str:
    choices = CHOICES[attr]
    if text in choices.values:
        return text
    for value, label in choices.choices:
        if text == label:
            return value
    extra = EXTRA_LABELS.get(attr if attr != "frequency" else "update_frequency", {})
    if text in extra:
        return extra[text]
    allowed = "、".join(label for _v, label in choices.choices)
    raise ValidationError(f"「{text}」不是有效的取值(可填:{allowed})", code="invalid_choice")


def _department(text: str) -> Department:
    department = Department.objects.filter(Q(name=text) | Q(short_name=text) | Q(code=text)).first()
    if department is None:
        raise ValidationError(f"部门「{text}」不存在", code="unknown_department")
    return department


def parse_fields(text: str, existing: dict[str, str]) -> list[dict[str, Any]]:
    """``统一社会信用代码(uscc)、企业名称(name)、…``; a missing code name keeps an existing field's or gets ``fNN``."""
    fields = []
    used = set()
    for i, item in enumerate(x.strip() for x in FIELD_SPLIT.split(text) if x.strip()):
        match = FIELD_ITEM.match(item)
        name = match.group("name").strip()
        code = (match.group("code") or existing.get(name) or "").lower()
        if not code or code in used:
            code = f"f{i + 1:02d}"
        used.add(code)
        fields.append({"name": name, "code_name": code, "tag": infer_tag(name),
                       "grade": Grade.IMPORTANT if infer_tag(name) in (FieldTag.ID_CARD, FieldTag.MOBILE,
                                                                          FieldTag.BANK_CARD) else Grade.GENERAL})
    return fields


def _resource_row(values: dict[str, str], actor: Principal) -> tuple[Resource | None, dict[str, Any], list | None]:
    data: dict[str, Any] = {}
    for attr in services.TEXT_FIELDS:
        if values.get(attr):
            data[attr] = values[attr]
    for attr in ("category", "update_frequency", "share_type", "open_type", "provision", "grade"):
        if values.get(attr):
            data[attr] = parse_choice(attr, values[attr])
    if values.get("provider"):
        data["provider"] = _department(values["provider"])
    if values.get("dedicated_departments"):
        data["dedicated_departments"] = [_department(x.strip()) for x in re.split(r"[、,;;]", values["dedicated_departments"])
                                         if x.strip()]
    code = values.get("code", "")
    existing = Resource.objects.filter(code=code).select_related("provider").first() if code else None
    if existing is None and code:
        data["code"] = code
    fields = None
    if values.get("fields"):
        names = dict(existing.fields.values_list("name", "code_name")) if existing else {}
        fields = parse_fields(values["fields"], names)
    return existing, data, fields


def import_share_list(actor: Principal, content: bytes) -> ImportReport:
    """Create or update resources from a 政务数据共享清单; nothing is saved unless every row is valid."""
    require(actor, "catalog.edit")
    report = ImportReport("share_list")
    rows = read_table(content, SHARE_COLUMNS)
    report.rows = len(rows)
    if not rows:
        report.errors.append((0, "清单中没有数据行"))
        return report
    seen_codes: dict[str, int] = {}
    with transaction.atomic():
        for row_number, values in rows:
            try:
                with transaction.atomic():
                    if not values.get("name"):
                        raise ValidationError("资源名称不能为空", code="name_required")
                    code = values.get("code", "")
                    if code and code in seen_codes:
                        raise ValidationError(f"资源代码 {code} 与第 {seen_codes[code]} 行重复", code="duplicate_code")
                    existing, data, fields = _resource_row(values, actor)
                    if existing is not None:
                        services.update_resource(actor, existing, data, fields, note="共享清单导入")
                        report.updated.append(existing.code)
                    else:
                        if not fields:
                            raise ValidationError("新资源须在「信息项」列列出数据项", code="no_fields")
                        resource = services.create_resource(actor, data, fields)
                        report.created.append(resource.code)
                        code = code or resource.code
                    if code:
                        seen_codes[code] = row_number
            except (ValidationError, PermissionDenied) as exc:
                messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
                report.errors.append((row_number, ";".join(messages)))
        if report.errors:
            transaction.set_rollback(True)
            report.created, report.updated = [], []
        else:
            audit.record(actor, "catalog.import.share_list", None, {"rows": report.rows, "created": report.created,
                                                                     "updated": report.updated})
    return report


def import_demand_list(actor: Principal, content: bytes) -> ImportReport:
    require(actor, "catalog.demand")
    report = ImportReport("demand_list")
    rows = read_table(content, DEMAND_COLUMNS)
    report.rows = len(rows)
    if not rows:
        report.errors.append((0, "清单中没有数据行"))
        return report
    with transaction.atomic():
        for row_number, values in rows:
            try:
                with transaction.atomic():
                    data: dict[str, Any] = {k: values.get(k, "") for k in services.DEMAND_TEXT}
                    if values.get("frequency"):
                        data["frequency"] = parse_choice("frequency", values["frequency"])
                    if values.get("requester"):
                        data["requester"] = _department(values["requester"])
                    if values.get("provider"):
                        data["provider"] = _department(values["provider"])
                    demand = services.create_demand(actor, data)
                    report.created.append(str(demand.pk))
            except (ValidationError, PermissionDenied) as exc:
                messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
                report.errors.append((row_number, ";".join(messages)))
        if report.errors:
            transaction.set_rollback(True)
            report.created = []
        else:
            audit.record(actor, "catalog.import.demand_list", None, {"rows": report.rows})
    return report


# ----------------------------------------------------------------------------- writing


def _workbook(title: str, headers: list[str], rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(exports.xlsx_row(sheet, [title]))
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet["A1"].font = openpyxl_styles.Font(bold=True, size=14)
    sheet["A1"].alignment = openpyxl_styles.Alignment(horizontal="center")
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = openpyxl_styles.Font(bold=True)
    for row in rows:
        sheet.append(exports.xlsx_row(sheet, row))
    for i, header in enumerate(headers, 1):
        sheet.column_dimensions[sheet.cell(row=2, column=i).column_letter].width = max(8, min(40, len(header) * 3))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_share_list(actor: Principal, resources) -> bytes:
    require(actor, "catalog.view")
    headers = [h for h, _a, _o in SHARE_COLUMNS]
    rows = []
    resources = list(resources.prefetch_related("fields", "dedicated_departments"))
    for i, r in enumerate(resources, 1):
        fields = "、".join(f"{f.name}({f.code_name})" for f in sorted(r.fields.all(), key=lambda f: (f.position, f.pk)))
        rows.append([
            i, r.code, r.name, r.summary, r.provider.name, r.source_system, r.get_category_display(),
            r.catalog_class, r.catalog_item, r.catalog_subitem, r.data_format, fields,
            r.get_update_frequency_display(), r.get_share_type_display(), r.share_conditions, r.legal_basis,
            r.get_open_type_display(), r.open_conditions, r.get_provision_display(), r.get_grade_display(),
            "、".join(d.name for d in r.dedicated_departments.all()), r.get_status_display(), r.version,
            timezone.localtime(r.published_at).strftime("%Y-%m-%d") if r.published_at else "",
        ])
    with transaction.atomic():
        audit.record(actor, "catalog.export.share_list", None, {"rows": len(rows)})
    return _workbook("政务数据共享清单", headers, rows)


def export_demand_list(actor: Principal, demands) -> bytes:
    require(actor, "catalog.demand.view")
    headers = [h for h, _a, _o in DEMAND_COLUMNS]
    rows = []
    for i, d in enumerate(demands, 1):
        rows.append([i, d.title, d.requester.name, d.provider.name if d.provider else "", d.purpose, d.scenario,
                     d.fields_wanted, d.get_frequency_display(), d.get_status_display(),
                     d.matched_resource.code if d.matched_resource else "", d.note])
    with transaction.atomic():
        audit.record(actor, "catalog.export.demand_list", None, {"rows": len(rows)})
    return _workbook("政务数据需求清单", headers, rows)


# ----------------------------------------------------------------------------- 政务数据共享信息审核表

_PERIOD_COUNTERS: list = []


def register_period_counter(fn) -> Any:
    """The ingest app tells how many rows a resource received in a period: ``fn(resource, first, last)``."""
    if fn not in _PERIOD_COUNTERS:
        _PERIOD_COUNTERS.append(fn)
    return fn


REVIEW_HEADERS = ["序号", "资源代码", "资源名称", "提供方式", "更新周期", "报送期间", "本期新增数据(条)", "是否零报告",
                  "数据项数", "填报人", "审核人", "审核意见"]


def export_review_form(actor: Principal, department: Department, year: int, month: int) -> bytes:
    """The monthly 政务数据共享信息审核表 of a department (002 实施方案 四): one row per published resource,
    with the period's new rows where the ingest part can tell (otherwise left for the filler)."""
    require(actor, "catalog.view")
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise ValidationError("报送期间无效(年份 2000~2100,月份 1~12)", code="invalid_period")
    first = dt.date(year, month, 1)
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1))
    resources = Resource.objects.filter(provider=department, status=Status.PUBLISHED).prefetch_related("fields")
    rows = []
    for i, resource in enumerate(resources.order_by("code"), 1):
        count = None
        for counter in _PERIOD_COUNTERS:
            count = counter(resource, first, last)
            if count is not None:
                break
        rows.append([i, resource.code, resource.name, resource.get_provision_display(),
                     resource.get_update_frequency_display(), f"{year}年{month}月",
                     "" if count is None else count, "" if count is None else ("是" if count == 0 else "否"),
                     len(resource.fields.all()), "", "", ""])
    with transaction.atomic():
        audit.record(actor, "catalog.export.review_form", department, {"period": f"{year}-{month:02d}"})
    return _workbook(f"{department.name}政务数据共享信息审核表({year}年{month}月)", REVIEW_HEADERS, rows)


# ----------------------------------------------------------------------------- DCAT

FREQUENCY_URI = {
    "realtime": "http://publications.europa.eu/resource/authority/frequency/CONT",
    "daily": "http://publications.europa.eu/resource/authority/frequency/DAILY",
    "weekly": "http://publications.europa.eu/resource/authority/frequency/WEEKLY",
    "monthly": "http://publications.europa.eu/resource/authority/frequency/MONTHLY",
    "quarterly": "http://publications.europa.eu/resource/authority/frequency/QUARTERLY",
    "yearly": "http://publications.europa.eu/resource/authority/frequency/ANNUAL",
    "irregular": "http://publications.europa.eu/resource/authority/frequency/IRREG",
}
ACCESS_RIGHTS = {"unconditional": "PUBLIC", "conditional": "RESTRICTED", "none": "NON_PUBLIC"}


def dcat_catalog(base_url: str, resources=None) -> dict[str, Any]:
    """The published catalog as a DCAT-AP style JSON-LD document (other catalogs harvest it)."""
    base = base_url.rstrip("/")
    if resources is None:
        resources = Resource.objects.filter(status=Status.PUBLISHED).select_related("provider")
    datasets = []
    for r in resources.prefetch_related("fields"):
        fields = sorted(r.fields.all(), key=lambda f: (f.position, f.pk))
        datasets.append({
            "@id": f"{base}/catalog/r/{r.code}/",
            "@type": "dcat:Dataset",
            "dct:identifier": r.code,
            "dct:title": {"@value": r.name, "@language": "zh"},
            "dct:description": {"@value": r.summary, "@language": "zh"},
            "dct:publisher": {"@type": "foaf:Organization", "foaf:name": r.provider.name,
                              "dct:identifier": r.provider.code},
            "dct:issued": r.published_at.date().isoformat() if r.published_at else None,
            "dct:modified": r.updated_at.date().isoformat(),
            "dct:accrualPeriodicity": {"@id": FREQUENCY_URI[r.update_frequency]},
            "dct:accessRights": {"@id": "http://publications.europa.eu/resource/authority/access-right/"
                                        + ACCESS_RIGHTS[r.share_type]},
            "dcat:keyword": [f.name for f in fields][:20],
            "owl:versionInfo": str(r.version),
            "regshare:shareType": r.get_share_type_display(),
            "regshare:openType": r.get_open_type_display(),
            "regshare:grade": r.get_grade_display(),
            "regshare:category": r.get_category_display(),
            "dcat:distribution": [{
                "@type": "dcat:Distribution",
                "dct:title": r.get_provision_display(),
                "dct:format": r.data_format,
                "dcat:accessURL": {"@id": f"{base}/api/v1/resources/{r.code}/rows"},
            }],
        })
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/", "owl": "http://www.w3.org/2002/07/owl#",
            "regshare": f"{base}/ns/regshare#",
        },
        "@id": f"{base}/api/v1/catalog/dcat.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": {"@value": "政务数据资源目录", "@language": "zh"},
        "dct:modified": timezone.localdate().isoformat(),
        "dcat:dataset": datasets,
    }
