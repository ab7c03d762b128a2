"""Pulling rows from a department's database (库表对接, SQLAlchemy) or HTTP interface (接口拉取, httpx).

Both return plain records (dicts keyed by the source's column names) and the new watermark: the
largest value of the watermark column among the records fetched. The next pull asks only for
rows above it, and the load merges them on the resource's key.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ValidationError

from regshare.core import egress

from .readers import extract_records

MAX_PAGES = 10_000
_IDENT = re.compile(r"^[A-Za-z_\u4e00-\u9fff][A-Za-z0-9_\u4e00-\u9fff$]*$")


def redact(url: str) -> str:
    """The URL without its password, for logs, audit and pages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def describe(config) -> str:
    target = config.table or "自定义查询"
    if config.kind == "table":
        return f"库表 {redact(config.url)} {config.db_schema + '.' if config.db_schema else ''}{target}"[:300]
    return f"接口 {redact(config.url)}"[:300]


def sqlalchemy_url(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def check_config(kind: str, values: dict) -> egress.Target:
    """Refuse a malformed source, or one the egress rule forbids; the latter is checked again on every pull."""
    url = (values.get("url") or "").strip()
    if not url:
        raise ValidationError("请填写连接地址", code="missing_url")
    if kind == "api":
        if not url.startswith(("http://", "https://")):
            raise ValidationError("接口地址须以 http:// 或 https:// 开头", code="bad_url")
        return egress.check_url(url, purpose="接口拉取")
    if not re.match(r"^[a-z][a-z0-9+]*://", url):
        raise ValidationError("数据库连接串格式应为 方言://用户@主机/库名,如 postgresql://user@host/db 或 "
                              "sqlite:////path/file.db", code="bad_url")
    table, query = (values.get("table") or "").strip(), (values.get("query") or "").strip()
    if not table and not query:
        raise ValidationError("请填写表名或查询语句", code="missing_table")
    if table and not _IDENT.match(table):
        raise ValidationError("表名只能包含字母、数字、下划线和汉字", code="bad_table")
    for name in (values.get("db_schema"), values.get("watermark_column")):
        if name and not _IDENT.match(name):
            raise ValidationError(f"名称不合法:{name}", code="bad_identifier")
    if query:
        text = query.rstrip().rstrip(";")
        if ";" in text or not re.match(r"^\s*(select|with)\b", text, re.I):
            raise ValidationError("查询语句须为单条只读 SELECT", code="bad_query")
    return egress.check_url(sqlalchemy_url(url), purpose="库表对接")


def _typed(mark: str):
    """The watermark as the Python value the database compares with (int, datetime, date or text)."""
    text = (mark or "").strip()
    if re.fullmatch(r"-?\d{1,18}", text):
        return int(text)
    try:
        return dt.datetime.fromisoformat(text) if len(text) > 10 else dt.date.fromisoformat(text)
    except ValueError:
        pass
    return text


def _mark_text(value) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _new_mark(records: list[dict], column: str, since: str) -> str:
    values = [r.get(column) for r in records if r.get(column) not in (None, "")]
    if not values:
        return since
    try:
        return _mark_text(max(values))
    except TypeError:  # mixed types from a loose JSON source: compare as text
        return max(_mark_text(v) for v in values)


def fetch_table(config, since: str) -> tuple[list[dict], str]:
    import sqlalchemy as sa

    target = check_config("table", {"url": config.url, "table": config.table, "query": config.query,
                                    "db_schema": config.db_schema, "watermark_column": config.watermark_column})
    try:
        engine = sa.create_engine(egress.pinned_database_url(sqlalchemy_url(config.url), target))
    except Exception as exc:  # unknown dialect or driver
        raise ValidationError(f"无法识别数据库连接串:{exc}", code="bad_url") from exc
    try:
        with engine.connect() as conn:
            if config.query:
                source = sa.text(config.query.rstrip().rstrip(";")).columns().subquery("src")
                stmt = sa.select(sa.text("*")).select_from(source)
                column = sa.column(config.watermark_column) if config.watermark_column else None
            else:
                table = sa.Table(config.table, sa.MetaData(), schema=config.db_schema or None, autoload_with=conn)
                stmt = sa.select(table)
                column = table.c[config.watermark_column] if config.watermark_column else None
            if column is not None:
                if since:
                    stmt = stmt.where(column > sa.bindparam("since", _typed(since)))
                stmt = stmt.order_by(column)
            records = [dict(row) for row in conn.execute(stmt).mappings()]
    except ValidationError:
        raise
    except KeyError as exc:
        raise ValidationError(f"源表中没有水位字段 {config.watermark_column}", code="bad_watermark") from exc
    except Exception as exc:  # connection refused, missing table, permission: say so in Chinese
        raise ValidationError(f"库表对接失败:{type(exc).__name__}: {str(exc).splitlines()[0][:300]}",
                              code="pull_failed") from exc
    finally:
        engine.dispose()
    mark = _new_mark(records, config.watermark_column, since) if config.watermark_column else ""
    return records, mark


def _records_at(data, key: str) -> list:
    if not key:
        return extract_records(data)
    node = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise ValidationError(f"接口返回中没有 {key}", code="bad_records_key")
        node = node[part]
    if not isinstance(node, list):
        raise ValidationError(f"接口返回的 {key} 不是数组", code="bad_records_key")
    return node


def fetch_api(config, since: str) -> tuple[list[dict], str]:
    import httpx

    check_config("api", {"url": config.url})
    records: list[dict] = []
    headers = {str(k): str(v) for k, v in (config.headers or {}).items()}
    try:
        with egress.http_client(purpose="接口拉取", timeout=30, headers=headers) as client:
            for page in range(1, MAX_PAGES + 1):
                params = {config.page_param: page, config.size_param: config.page_size}
                if since and config.since_param:
                    params[config.since_param] = since
                response = client.get(config.url, params=params)
                if response.status_code != 200:
                    raise ValidationError(f"接口返回 HTTP {response.status_code}(第 {page} 页)", code="pull_failed")
                try:
                    batch = _records_at(response.json(), config.records_key)
                except ValueError as exc:
                    raise ValidationError(f"接口第 {page} 页返回的不是 JSON", code="pull_failed") from exc
                records.extend(batch)
                if len(batch) < config.page_size:
                    break
    except httpx.HTTPError as exc:
        raise ValidationError(f"接口拉取失败:{type(exc).__name__}: {exc}", code="pull_failed") from exc
    if since and config.watermark_column and not config.since_param:
        # The interface cannot filter: keep only rows above the watermark here.
        low = _typed(since)
        kept = []
        for rec in records:
            value = rec.get(config.watermark_column)
            try:
                if value is not None and _typed(_mark_text(value)) > low:
                    kept.append(rec)
            except TypeError:
                kept.append(rec)
        records = kept
    mark = _new_mark(records, config.watermark_column, since) if config.watermark_column else ""
    return records, mark


def fetch(config, since: str) -> tuple[list[dict], str]:
    return fetch_table(config, since) if config.kind == "table" else fetch_api(config, since)
