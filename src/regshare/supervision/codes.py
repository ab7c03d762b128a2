"""Code formats of the national supervision item record: 14-digit catalog code, 19-character
implementation-list code (the implementing body's unified social credit code + one digit)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from regshare.core.codes import is_valid_uscc

_CATALOG = re.compile(r"^\d{14}$")


def validate_catalog_code(value: str) -> None:
    if not _CATALOG.match(value or ""):
        raise ValidationError("监管事项目录编码应为14位数字", code="invalid_catalog_code")


def validate_implementing_code(value: str) -> None:
    """检查实施清单编码: 18-character credit code of the implementing body (check digit verified) + one digit."""
    value = value or ""
    if len(value) != 19 or not value[18].isdigit():
        raise ValidationError("检查实施清单编码应为实施主体统一社会信用代码(18位)加1位数字", code="invalid_implementing_code")
    if not is_valid_uscc(value[:18]):
        raise ValidationError("检查实施清单编码的前18位不是有效的统一社会信用代码", code="invalid_implementing_code")
