"""Small generated test data: valid codes and files in every format the pipeline reads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

from regshare.core.codes import id_card_check_char, uscc_check_char


def uscc(seq: int, prefix: str = "91") -> str:
    body = f"{prefix}360402{seq:09d}"[:17]
    return body + uscc_check_char(body)


def id_card(seq: int, birth: dt.date = dt.date(1980, 5, 17)) -> str:
    body = f"360402{birth:%Y%m%d}{seq % 1000:03d}"
    return body + id_card_check_char(body)


def mobile(seq: int) -> str:
    return f"138{seq:08d}"


HEADER = ["统一社会信用代码", "企业名称", "法定代表人", "身份证号", "联系电话", "住所", "成立日期", "注册资本(万元)",
          "行业代码", "登记状态"]


def company_row(seq: int, **override) -> list:
    row = {"统一社会信用代码": uscc(seq), "企业名称": f"柴桑区测试{seq}有限公司", "法定代表人": "张三",
           "身份证号": id_card(seq), "联系电话": mobile(seq), "住所": "九江市柴桑区柴桑大道1号",
           "成立日期": "2020-01-02", "注册资本(万元)": "100", "行业代码": "F5191", "登记状态": "存续"}
    row.update(override)
    return [row[h] for h in HEADER]


def company_rows(n: int, start: int = 1) -> list[list]:
    return [company_row(i) for i in range(start, start + n)]


def write_csv(path: Path, rows: list[list], *, header: list | None = None, encoding: str = "utf-8",
              title: str | None = None) -> Path:
    buffer = io.StringIO()
    if title:
        buffer.write(title + "\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list], *, header: list | None = None, title: str | None = None) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_json(path: Path, rows: list[list], *, ndjson: bool = False, wrap: bool = False) -> Path:
    records = [dict(zip(HEADER, r, strict=True)) for r in rows]
    if ndjson:
        path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    else:
        path.write_text(json.dumps({"data": records} if wrap else records, ensure_ascii=False), encoding="utf-8")
    return path
