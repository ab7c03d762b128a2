"""``regshare ahp FILE.json`` and ``regshare fuzzy FILE.json``: the evaluation methods on a file.

Exit codes: 0 result printed; 2 the file cannot be used (not found, not JSON, wrong shape) or, for ``ahp``,
the matrix fails the consistency check (CR ≥ 0.1), with the judgement to revise. Never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

MAX_FILE_BYTES = 1_000_000


def _load(path: str) -> dict:
    """The file's JSON object, or a ValueError with a Chinese message."""
    file = Path(path)
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise ValueError(f"文件 {path} 超过 1 MB,不是判断矩阵或评价数据")
        text = file.read_bytes().decode("utf-8-sig")
    except FileNotFoundError as exc:
        raise ValueError(f"文件不存在: {path}") from exc
    except IsADirectoryError as exc:
        raise ValueError(f"{path} 是目录,不是文件") from exc
    except PermissionError as exc:
        raise ValueError(f"无权读取文件: {path}") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"文件 {path} 不是 UTF-8 编码的文本") from exc
    except OSError as exc:
        raise ValueError(f"无法读取文件 {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"文件 {path} 不是有效的 JSON(第 {exc.lineno} 行第 {exc.colno} 列)") from exc
    except RecursionError as exc:
        raise ValueError(f"文件 {path} 的 JSON 嵌套过深") from exc
    if not isinstance(data, dict):
        raise ValueError("文件内容须为 JSON 对象")
    return data


def _fail(args: argparse.Namespace, message: str, code: str) -> int:
    if args.json:
        print(json.dumps({"error": message, "code": code}, ensure_ascii=False))
    print(f"错误: {message}", file=sys.stderr)
    return 2


def _ahp(args: argparse.Namespace) -> int:
    from . import ahp

    try:
        data = _load(args.file)
        if "matrix" in data:
            matrices = data["matrix"]
        elif "matrices" in data:
            matrices = data["matrices"]
            if not isinstance(matrices, list) or not matrices or not all(isinstance(m, list) for m in matrices):
                raise ahp.AhpError("matrices 须为各位专家判断矩阵组成的数组")
        else:
            raise ahp.AhpError("文件须含 matrix(判断矩阵)或 matrices(多位专家的判断矩阵)")
        criteria = data.get("criteria") or []
        if not isinstance(criteria, list) or not all(isinstance(c, str) for c in criteria):
            raise ahp.AhpError("criteria 须为指标名称组成的数组")
        result = ahp.weigh(matrices, criteria, ri_table=args.ri)
    except ahp.Inconsistent as exc:
        payload = {"error": exc.message, "cr": exc.cr, "worst": list(exc.worst), "suggested": exc.suggested}
        if args.json:
            print(json.dumps(payload, ensure_ascii=False))
        else:
            print(exc.message)
        return 2
    except (ValueError, RecursionError) as exc:
        return _fail(args, str(exc), getattr(exc, "code", "bad_file"))
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False))
        return 0
    names = result.criteria or [f"第 {i + 1} 项" for i in range(result.n)]
    for name, weight in zip(names, result.weights, strict=True):
        print(f"{name}\t{weight:.4f}")
    print(f"λmax = {result.lambda_max:.4f}  CI = {result.ci:.4f}  CR = {result.cr:.4f}"
          f"(RI = {result.ri},{ahp.RI_TABLE_LABELS[result.ri_table]})  一致性检验通过")
    return 0


def _fuzzy(args: argparse.Namespace) -> int:
    from . import fuzzy

    try:
        data = _load(args.file)
        if "weights" not in data or "membership" not in data:
            raise fuzzy.FuzzyError("文件须含 weights(权重)和 membership(隶属度矩阵)")
        result = fuzzy.evaluate(data["weights"], data["membership"], data.get("grades"), data.get("operator"))
    except (ValueError, RecursionError) as exc:
        return _fail(args, str(exc), getattr(exc, "code", "bad_file"))
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False))
        return 0
    print(f"合成算子: {fuzzy.OPERATORS[result.operator]}")
    for name, value in zip(result.grades, result.result, strict=True):
        print(f"{name}\t{value:.4f}")
    print(f"评价等级: {result.grade}  综合得分: {result.score:.2f}")
    return 0


# The RI tables by name, without importing numpy for every command's parser (ahp.RI_TABLES holds the values).
RI_TABLE_NAMES = ("cn", "saaty")


def register(subparsers) -> None:
    ahp_cmd = subparsers.add_parser("ahp", help="层次分析法计算权重与一致性检验 / AHP weights and consistency")
    ahp_cmd.add_argument("file", help='判断矩阵 JSON 文件: {"matrix": [[...]], "criteria": [...]}')
    ahp_cmd.add_argument("--json", action="store_true", help="输出 JSON / print JSON")
    ahp_cmd.add_argument("--ri", choices=RI_TABLE_NAMES, default="saaty",
                         help="随机一致性指标表 / random index table (默认 saaty)")
    ahp_cmd.set_defaults(func=_ahp)
    fuzzy_cmd = subparsers.add_parser("fuzzy", help="模糊综合评价 / fuzzy comprehensive evaluation")
    fuzzy_cmd.add_argument("file", help='评价数据 JSON 文件: {"weights", "membership", "grades", "operator"}')
    fuzzy_cmd.add_argument("--json", action="store_true", help="输出 JSON / print JSON")
    fuzzy_cmd.set_defaults(func=_fuzzy)
