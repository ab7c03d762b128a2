"""Company-name normalisation, column-wise over whole tables (``normalize_names_arrow``) and one value
at a time (search box, API); the two forms must give the same result, a test checks that.

Unified social credit codes are judged by ``regshare.core.codes``, the one implementation every app uses.
"""

from __future__ import annotations

import re
import unicodedata

from regshare.core.lazy import lazy_module

pa = lazy_module("pyarrow")
pc = lazy_module("pyarrow.compute")

# Company-name normalisation: what registrars and departments write differently for the same
# entity. Order matters: NFKC first turns full-width letters, digits and brackets half-width.
_LEGAL_FORMS = [
    ("股份有限公司", "股份公司"),
    ("有限责任公司", "公司"),
    ("有限公司", "公司"),
]
_DROP = r"[\s()\[\]{}<>《》〈〉【】「」『』\"'“”‘’·.,,、\-—_]"


def normalize_name(value: object) -> str:
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = text.replace("(", "(").replace(")", ")")
    text = re.sub(_DROP, "", text).upper()
    for long, short in _LEGAL_FORMS:
        if text.endswith(long):
            text = text[: -len(long)] + short
            break
    return text


def normalize_names_arrow(column: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    """The same as ``normalize_name`` over a whole Arrow column, in C++ kernels."""
    text = pc.utf8_normalize(pc.cast(column, pa.string()).fill_null(""), "NFKC")
    text = pc.replace_substring_regex(text, _DROP, "")
    text = pc.utf8_upper(text)
    for long, short in _LEGAL_FORMS:
        text = pc.replace_substring_regex(text, long + "$", short)
    return text
