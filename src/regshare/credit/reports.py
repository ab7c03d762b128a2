"""Credit report of one entity (信用报告) as PDF (weasyprint) and Word (python-docx), in Chinese."""

from __future__ import annotations

import io

from django.template.loader import render_to_string
from django.utils import timezone

from regshare.core import audit
from regshare.core.clock import today
from regshare.entities import services as entities
from regshare.entities.models import Entity

from . import panels


def context(principal: object, entity: Entity) -> dict:
    data = entities.profile(principal, entity, channel="report", shared_records=False)
    return {**data, **panels.sections(entity), "generated": timezone.localtime().strftime("%Y年%m月%d日 %H:%M"),
            "today": today()}


def pdf(ctx: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string("credit/report.html", ctx)
    return HTML(string=html).write_pdf()


def docx(ctx: dict) -> bytes:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    entity, identity = ctx["entity"], ctx["identity"]
    document.add_heading("市场主体信用报告", level=0)
    document.add_paragraph(f"报告生成时间:{ctx['generated']}    出具单位:区公共信用信息平台")

    def table(headers: list[str], rows: list[list[object]]) -> None:
        if not rows:
            document.add_paragraph("无。")
            return
        t = document.add_table(rows=1, cols=len(headers))
        t.style = "Table Grid"
        for cell, text in zip(t.rows[0].cells, headers, strict=True):
            cell.text = text
        for row in rows:
            cells = t.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                cell.text = "" if value is None else str(value)

    document.add_heading("一、基本信息", level=1)
    table(["项目", "内容"], [["企业名称", entity.name], ["统一社会信用代码", entity.uscc],
                          ["法定代表人", identity["legal_rep"]], ["住所", identity["address"]],
                          ["成立日期", identity["established"]], ["注册资本(万元)", identity["capital"]],
                          ["登记状态", identity["status"]]])
    document.add_heading("二、信用风险分类", level=1)
    risk = ctx["risk"]
    if risk:
        document.add_paragraph(f"{risk.risk_class}类({risk.get_risk_class_display()}),评分 {risk.score},"
                               f"评价日期 {risk.computed_on:%Y-%m-%d}。主要原因:{';'.join(risk.reasons)}")
    else:
        document.add_paragraph("尚未评价。")
    document.add_heading("三、信用名单", level=1)
    table(["名单", "列入事由", "决定书文号", "列入日期", "移出日期"],
          [[e.get_list_type_display(), e.get_cause_display(), e.decision_no, e.listed_on, e.removed_on or "在列"]
           for e in ctx["lists"]])
    document.add_heading("四、信用记录", level=1)
    table(["部门", "类别", "文书号", "事项", "决定日期", "公示状态"],
          [[g["department"], g["kind"], r.doc_no, r.title, r.decided_on, r.get_publicity_display()]
           for g in ctx["credit_records"] for r in g["records"]])
    document.add_heading("五、时间轴", level=1)
    table(["日期", "类别", "事项", "部门"],
          [[ev["date"], ev["kind_label"], ev["title"], ev["department"]] for ev in ctx["timeline"]])
    document.add_paragraph("说明:本报告依据各部门共享的公共信用信息生成,个人信息已按规定脱敏。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


FORMATS = {
    "pdf": (pdf, "application/pdf"),
    "docx": (docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}


def render(principal: object, entity: Entity, fmt: str) -> tuple[bytes, str, str]:
    from django.core.exceptions import ValidationError

    if fmt not in FORMATS:
        raise ValidationError("报告格式只支持 pdf 或 docx", code="unknown_format")
    builder, content_type = FORMATS[fmt]
    content = builder(context(principal, entity))
    audit.record(principal, "credit.report_exported", entity, {"format": fmt, "uscc": entity.uscc})
    from urllib.parse import quote

    return content, content_type, quote(f"信用报告-{entity.name}.{fmt}")
