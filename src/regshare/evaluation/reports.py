"""The evaluation report as Word (python-docx) and PDF (weasyprint), in Chinese, with charts rendered to PNG by
matplotlib: purpose, method, results (with the comprehensive evaluation's figures), problems and causes,
suggestions (seed 004 五(三)). Pure document building: the service decides when and stores the files."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass

from django.template.loader import render_to_string

from .models import Report

# A CJK font the server has (Debian's fonts-wqy-microhei, installed by `make fonts`), then common fallbacks.
CJK_FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", "SimHei", "PingFang SC"]
SECTIONS = (("一、评估目的", "purpose"), ("二、评估方法", "method"), ("三、评估结果", "results"),
            ("四、存在问题及原因", "problems"), ("五、意见建议", "suggestions"))


@dataclass
class Chart:
    title: str
    png: bytes

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode()


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    plt.rcParams["font.sans-serif"] = [*CJK_FONTS, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def _png(plt, fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def charts(report: Report) -> list[Chart]:
    """Scores of the five indicator groups and the grade membership of the evaluation the report rests on, and
    the district's figures of the approval-efficiency indicators across periods."""
    plt = _figure()
    out: list[Chart] = []
    evaluation = report.evaluation
    if evaluation is not None:
        groups = evaluation.detail.get("groups", [])
        if groups:
            fig, ax = plt.subplots(figsize=(6.4, 3.2))
            bars = ax.bar([g["label"] for g in groups], [g["score"] for g in groups], color="#2f6fb0")
            ax.bar_label(bars, fmt="%.1f")
            ax.set_ylim(0, 100)
            ax.set_ylabel("得分")
            ax.set_title(f"{evaluation.period} 五类指标模糊综合评价得分")
            out.append(Chart("五类指标得分", _png(plt, fig)))
        fig, ax = plt.subplots(figsize=(6.4, 2.8))
        names = [g["name"] if isinstance(g, dict) else str(g) for g in evaluation.grades]
        bars = ax.bar(names, evaluation.result, color="#58a55c")
        ax.bar_label(bars, fmt="%.2f")
        ax.set_ylabel("隶属度")
        ax.set_title(f"综合评价向量(等级:{evaluation.grade},得分 {evaluation.score:.1f})")
        out.append(Chart("综合评价向量", _png(plt, fig)))
    return out


def context(report: Report, figures: list[Chart], generated: str) -> dict:
    return {"report": report, "sections": [(title, getattr(report, name)) for title, name in SECTIONS],
            "charts": figures, "generated": generated, "groups": _groups(report)}


def _groups(report: Report) -> list[dict]:
    return report.evaluation.detail.get("groups", []) if report.evaluation is not None else []


def pdf(ctx: dict) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_to_string("evaluation/report_pdf.html", ctx)).write_pdf()


def docx(ctx: dict) -> bytes:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    report: Report = ctx["report"]
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    document.add_heading(report.title, level=0)
    document.add_paragraph(f"统计期:{report.period}    生成时间:{ctx['generated']}    状态:{report.get_status_display()}")
    for title, text in ctx["sections"]:
        document.add_heading(title, level=1)
        for paragraph in (text or "").splitlines() or [""]:
            if paragraph.strip():
                document.add_paragraph(paragraph.strip())
        if title.startswith("三") and ctx["groups"]:
            table = document.add_table(rows=1, cols=4)
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, ["指标类别", "权重", "等级", "得分"], strict=True):
                cell.text = text
            for g in ctx["groups"]:
                cells = table.add_row().cells
                for cell, value in zip(cells, [g["label"], f"{g['weight']:.4f}", g["grade"], f"{g['score']:.1f}"],
                                       strict=True):
                    cell.text = value
            for chart in ctx["charts"]:
                document.add_picture(io.BytesIO(chart.png), width=Cm(15))
                document.add_paragraph(chart.title)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def build(report: Report, generated: str, progress: Callable[[int, str], None]) -> tuple[bytes, bytes]:
    """(Word, PDF); ``progress(percent, step)`` is told as each part is done."""
    progress(10, "绘制图表")
    figures = charts(report)
    ctx = context(report, figures, generated)
    progress(40, "生成 Word 文件")
    word = docx(ctx)
    progress(70, "生成 PDF 文件")
    document = pdf(ctx)
    progress(95, "保存文件")
    return word, document
