"""THE masking function of the platform (脱敏). Every channel — query API, download, push, proxy,
offline package, entity pages — calls ``mask_table`` (or ``mask_value``, which is the same code on a
one-element array), so a value looks the same wherever it leaves the platform.

Rules (SPEC §1): ID card keeps the first 6 and last 4 characters; mobile keeps 3 + 4; a person's
name keeps the surname; an address keeps everything up to the district (区/县); a bank card keeps
the last 4 digits. The unified social credit code and company names are public: never masked.
"""

from __future__ import annotations

from functools import lru_cache

from regshare.core.lazy import lazy_module

pa = lazy_module("pyarrow")
pc = lazy_module("pyarrow.compute")

NEVER_MASKED = frozenset({"uscc", "company_name", ""})
MASKED_TAGS = frozenset({"id_card", "mobile", "person_name", "address", "bank_card"})

# Two-character surnames (复姓) that keep both characters; the common ones from 百家姓.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 令狐 端木 轩辕 呼延 南宫 西门 独孤 "
    "万俟 闻人 赫连 澹台 公冶 宗政 濮阳 太叔 申屠 钟离 鲜于 闾丘 亓官 司空 仲孙 单于 拓跋".split()
)


def _stars(lengths: pa.Array) -> pa.Array:
    return pc.binary_repeat(pa.scalar("*"), pc.max_element_wise(lengths, 0))


def _keep_ends_text(value: str, head: int, tail: int) -> str:
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + (value[-tail:] if tail else "")


SMALL = 32  # below this many values, plain string slicing is cheaper than Arrow kernel calls


def _keep_ends(values: pa.Array, head: int, tail: int) -> pa.Array:
    """First ``head`` and last ``tail`` characters, stars between; too-short values become all stars."""
    length = pc.utf8_length(values)
    middle = pc.subtract(length, head + tail)
    kept = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(values, 0, head), _stars(middle),
        pc.utf8_slice_codeunits(values, -tail if tail else 0, None if tail else 0), "")
    short = pc.less_equal(length, head + tail)
    return pc.if_else(short, _stars(length), kept)


def _mask_name(name: str) -> str:
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[:1]
    return surname + "*" * (len(name) - len(surname))


class _Divisions:
    """Administrative divisions from jionlp's dictionary, indexed by their first two characters, so
    finding "省/市/区县" at the start of an address is a few dictionary look-ups, not a parse."""

    def __init__(self) -> None:
        import jionlp

        self.root = {"children": self._level(jionlp.china_location_loader())}
        self.global_index: dict[int, dict[str, list]] = {1: {}, 2: {}}
        for province in self.root["children"]["nodes"]:
            for city in province["children"]["nodes"]:
                self._add(self.global_index[1], city)
                for county in city["children"]["nodes"]:
                    self._add(self.global_index[2], county)

    def _level(self, mapping: dict) -> dict:
        nodes, index = [], {}
        for name, value in mapping.items():
            if name.startswith("_") or not isinstance(value, dict):
                continue
            alias = value.get("_alias") or []
            names = {value.get("_full_name") or name, name, *([alias] if isinstance(alias, str) else alias)}
            node = {"names": sorted((n for n in names if len(n) >= 2), key=len, reverse=True),
                    "children": self._level(value)}
            nodes.append(node)
            self._add(index, node)
        return {"nodes": nodes, "index": index}

    @staticmethod
    def _add(index: dict, node: dict) -> None:
        for name in node["names"]:
            index.setdefault(name[:2], []).append((name, node))

    @staticmethod
    def _match(index: dict, text: str, position: int):
        best = None
        for name, node in index.get(text[position:position + 2], ()):
            if text.startswith(name, position) and (best is None or len(name) > len(best[0])):
                best = (name, node)
        return best

    def district_end(self, address: str) -> int:
        """Length of the address prefix that names its province/city/district; 0 when none is found."""
        position, end = 0, 0
        level = self.root["children"]
        for depth in range(3):
            hit = self._match(level["index"], address, position)
            if hit is None and end == 0 and depth > 0:
                hit = self._match(self.global_index[depth], address, position)
            if hit is None:
                if depth == 1 and end:
                    # Province then county directly (e.g. 直辖县): look among the province's counties.
                    for city in level["nodes"]:
                        county = self._match(city["children"]["index"], address, position)
                        if county is not None:
                            return position + len(county[0])
                if end == 0:
                    continue
                return end
            position = end = position + len(hit[0])
            level = hit[1]["children"]
        return end


@lru_cache(maxsize=1)
def _divisions() -> _Divisions:
    return _Divisions()


@lru_cache(maxsize=65536)
def _mask_address(address: str) -> str:
    end = _divisions().district_end(address)
    if end == 0:
        end = _parsed_district_end(address)
    if end == 0:
        return "*" * min(len(address), 8)
    return address[:end] + "*" * min(max(len(address) - end, 0), 8)


def _parsed_district_end(address: str) -> int:
    """Fallback for addresses that do not start with a division name: jionlp's full parser."""
    import jionlp

    try:
        parsed = jionlp.parse_location(address, town_village=False, change2new=False)
    except Exception:  # noqa: BLE001 - jionlp raises assorted errors on odd text; the safe answer is full masking
        return 0
    name = parsed.get("county") or ""
    for candidate in (name, name[:-1]):
        if len(candidate) >= 2 and (position := address.find(candidate)) >= 0:
            end = position + len(candidate)
            return end + 1 if candidate != name and address[end:end + 1] == name[-1:] else end
    return 0


# Tags masked by keeping (head, tail) characters.
KEEP_ENDS = {"id_card": (6, 4), "mobile": (3, 4), "bank_card": (0, 4)}


def mask_text(tag: str, text: str) -> str:
    """One text value of a masked tag, by the rules above (``mask_array`` gives the same, in columns)."""
    if tag in KEEP_ENDS:
        return _keep_ends_text(text, *KEEP_ENDS[tag])
    if tag == "person_name":
        return _mask_name(text)
    return _mask_address(text)


def _by_distinct(values: pa.Array, fn) -> pa.Array:
    """Apply a Python function once per DISTINCT value, then spread the result back by index."""
    encoded = pc.dictionary_encode(values)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    masked_dictionary = pa.array([fn(v) for v in encoded.dictionary.to_pylist()], type=pa.string())
    return pc.take(masked_dictionary, encoded.indices)


def mask_array(tag: str, values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Mask one column by its sensitivity tag. Nulls stay null."""
    if tag in NEVER_MASKED or tag not in MASKED_TAGS:
        return values
    if isinstance(values, pa.ChunkedArray):
        return pa.chunked_array([mask_array(tag, chunk) for chunk in values.chunks], type=pa.string())
    if not pa.types.is_string(values.type):
        values = pc.cast(values, pa.string())
    if len(values) <= SMALL:
        return pa.array([None if v is None else mask_text(tag, v) for v in values.to_pylist()], type=pa.string())
    if tag in KEEP_ENDS:
        return _keep_ends(values, *KEEP_ENDS[tag])
    return _by_distinct(values, lambda text: mask_text(tag, text))


def mask_value(tag: str, value: object) -> str | None:
    """One value, masked exactly as ``mask_table`` would mask it."""
    if value is None:
        return None
    if tag in NEVER_MASKED or tag not in MASKED_TAGS:
        return str(value)
    return mask_array(tag, pa.array([str(value)], type=pa.string()))[0].as_py()


def mask_table(table: pa.Table, tags: dict[str, str], clear: set[str] | frozenset[str] = frozenset()) -> pa.Table:
    """Mask every column whose tag calls for it, except the columns the grant allows in clear text."""
    for index, name in enumerate(table.column_names):
        tag = tags.get(name, "")
        if name in clear or tag not in MASKED_TAGS:
            continue
        table = table.set_column(index, pa.field(name, pa.string()), mask_array(tag, table.column(index)))
    return table


def mask_rows(rows: list[dict], tags: dict[str, str], clear: set[str] | frozenset[str] = frozenset()) -> list[dict]:
    """Rows as dictionaries (e.g. a page of the query API, a proxied service's JSON), masked by the same rules."""
    if not rows:
        return rows
    columns = {name for row in rows for name in row}
    masked_columns = [c for c in columns if c not in clear and tags.get(c, "") in MASKED_TAGS]
    if not masked_columns:
        return rows
    out = [dict(row) for row in rows]
    for column in masked_columns:
        tag = tags[column]
        if len(rows) <= SMALL:
            for row in out:
                if row.get(column) is not None:
                    row[column] = mask_text(tag, str(row[column]))
            continue
        values = pa.array([None if row.get(column) is None else str(row.get(column)) for row in rows],
                          type=pa.string())
        for row, value in zip(out, mask_array(tag, values).to_pylist(), strict=True):
            if column in row:
                row[column] = value
    return out
