"""AHP weights, consistency and refusal, checked against textbook figures and an independent computation
(power iteration in plain Python, not numpy's eigen-solver)."""

import itertools
import json
import math

import pytest

from regshare import cli
from regshare.evaluation import ahp

TEXTBOOK = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]


def power_iteration(matrix, steps=500):
    """Perron vector and eigenvalue by repeated multiplication: independent of numpy.linalg."""
    n = len(matrix)
    w = [1 / n] * n
    for _ in range(steps):
        v = [sum(matrix[i][j] * w[j] for j in range(n)) for i in range(n)]
        total = sum(v)
        w = [x / total for x in v]
    lam = sum(sum(matrix[i][j] * w[j] for j in range(n)) / w[i] for i in range(n)) / n
    return w, lam


def test_textbook_three_criteria_matches_published_figures():
    result = ahp.weigh(TEXTBOOK)
    # The classic example: w ≈ (0.637, 0.258, 0.105), λmax ≈ 3.039, CI ≈ 0.019, CR ≈ 0.033 (RI 0.58).
    assert result.weights == pytest.approx([0.637, 0.2583, 0.1047], abs=5e-4)
    assert result.lambda_max == pytest.approx(3.0385, abs=1e-4)
    assert result.ci == pytest.approx(0.0193, abs=1e-4)
    assert result.cr == pytest.approx(0.0332, abs=1e-4)
    assert (result.ri, result.ri_table) == (0.58, "saaty")


def test_weights_agree_with_power_iteration_and_ri_table_changes_only_cr():
    matrix = [[1, 1, 1, 4, 1, 1 / 2], [1, 1, 2, 4, 1, 1 / 2], [1, 1 / 2, 1, 5, 3, 1 / 2],
              [1 / 4, 1 / 4, 1 / 5, 1, 1 / 3, 1 / 3], [1, 1, 1 / 3, 3, 1, 1], [2, 2, 2, 3, 1, 1]]
    w, lam = power_iteration(matrix)
    saaty = ahp.weigh(matrix, ri_table="saaty")
    cn = ahp.weigh(matrix, ri_table="cn")
    assert saaty.weights == pytest.approx(w, abs=1e-5)
    assert saaty.lambda_max == pytest.approx(lam, abs=1e-5)
    ci = (lam - 6) / 5
    assert saaty.cr == pytest.approx(ci / 1.24, abs=1e-5)
    assert cn.cr == pytest.approx(ci / 1.26, abs=1e-5)
    assert cn.weights == saaty.weights and cn.ri_table == "cn"


def test_ri_tables_are_the_issue_tables():
    assert ahp.RI_TABLES["saaty"][:10] == (0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49)
    assert ahp.RI_TABLES["cn"][:10] == (0, 0, 0.52, 0.89, 1.12, 1.26, 1.36, 1.41, 1.46, 1.49)


def test_consistent_matrix_has_zero_cr_and_exact_weights():
    w = [0.5, 0.3, 0.2]
    matrix = [[wi / wj for wj in w] for wi in w]
    # Not on the 1–9 grid cell by cell, but within the scale range.
    result = ahp.weigh(matrix)
    assert result.weights == pytest.approx(w, abs=1e-6)
    assert result.cr == pytest.approx(0, abs=1e-9) and result.lambda_max == pytest.approx(3, abs=1e-9)


def test_orders_one_and_two_are_always_consistent():
    assert ahp.weigh([[1]]).weights == [1.0]
    result = ahp.weigh([[1, 3], ["1/3", 1]])
    assert result.weights == pytest.approx([0.75, 0.25]) and result.cr == 0


def test_inconsistent_matrix_refused_naming_the_judgement_and_a_value_that_fixes_it():
    matrix = [[1, 3, 5], [1 / 3, 1, 3], [5, 1 / 3, 1]]  # a_31 = 5 contradicts a_13 = 5 (should be 1/5)
    matrix[0][2] = 1 / 5
    with pytest.raises(ahp.Inconsistent) as info:
        ahp.weigh(matrix, criteria=["审批效能", "服务质量", "监管效能"])
    exc = info.value
    assert exc.cr >= 0.1
    i, j = exc.worst
    # Independently: the suggested value put in that cell gives CR < 0.1.
    fixed = [row[:] for row in matrix]
    fixed[i][j], fixed[j][i] = exc.suggested, 1 / exc.suggested
    w, lam = power_iteration(fixed)
    assert (lam - 3) / 2 / 0.58 < 0.1
    assert "一致性检验未通过" in exc.message and "最不一致的判断" in exc.message
    assert any(name in exc.message for name in ("审批效能", "服务质量", "监管效能"))


def test_worst_judgement_is_the_largest_deviation_from_implied_ratio():
    matrix = [[1, 2, 4, 3], [1 / 2, 1, 2, 9], [1 / 4, 1 / 2, 1, 1 / 2], [1 / 3, 1 / 9, 2, 1]]
    w, _ = power_iteration(matrix)
    expected = max(itertools.combinations(range(4), 2),
                   key=lambda p: abs(math.log(matrix[p[0]][p[1]] * w[p[1]] / w[p[0]])))
    with pytest.raises(ahp.Inconsistent) as info:
        ahp.weigh(matrix)
    assert info.value.worst == expected


def test_experts_combined_by_geometric_mean():
    a = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]
    b = [[1, 1, 3], [1, 1, 3], [1 / 3, 1 / 3, 1]]
    combined = [[math.sqrt(a[i][j] * b[i][j]) for j in range(3)] for i in range(3)]
    w, _ = power_iteration(combined)
    result = ahp.weigh([a, b])
    assert result.experts == 2 and len(result.expert_crs) == 2
    assert result.weights == pytest.approx(w, abs=1e-5)
    assert result.matrix[0][1] == pytest.approx(math.sqrt(3), abs=1e-6)


@pytest.mark.parametrize("matrix, words", [
    ([[1, 2], [2, 1]], "互反"),
    ([[1, 2, 3], [0.5, 1]], "方阵"),
    ([[2, 1], [1, 1]], "对角线"),
    ([[1, -3], [-1 / 3, 1]], "正数"),
    ([[1, 12], [1 / 12, 1]], "1/9–9"),
    ([[1, "x"], [1, 1]], "不是数字"),
    ([[1, "1e999999999"], ["1", 1]], "不是数字"),
    ([[1, "1/0"], [1, 1]], "不是数字"),
    ([], "非空"),
    ([[1] * 16] * 16, "上限"),
])
def test_bad_matrices_refused_in_chinese(matrix, words):
    with pytest.raises(ahp.AhpError) as info:
        ahp.weigh(matrix)
    assert words in str(info.value)


def run(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out.strip(), out.err.strip()


def test_cli_prints_the_issue_output(tmp_path, capsys):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"matrix": [[1, 3, 5], ["1/3", 1, 3], [0.2, "1/3", 1]], "criteria": ["甲", "乙", "丙"]}))
    code, out, err = run(capsys, "ahp", str(path), "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert set(data) == {"weights", "lambda_max", "ci", "cr", "ri_table"}
    assert data["ri_table"] == "saaty" and data["weights"] == pytest.approx([0.637, 0.2583, 0.1047], abs=5e-4)
    code, out, _ = run(capsys, "ahp", str(path), "--json", "--ri", "cn")
    assert code == 0 and json.loads(out)["ri_table"] == "cn"
    assert json.loads(out)["cr"] == pytest.approx(json.loads(out)["ci"] / 0.52, abs=1e-5)


def test_cli_inconsistent_exits_2_with_worst_and_suggested(tmp_path, capsys):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"matrix": [[1, 5, "1/5"], ["1/5", 1, 3], [5, "1/3", 1]]}))
    code, out, _ = run(capsys, "ahp", str(path), "--json")
    data = json.loads(out)
    assert code == 2
    assert set(data) == {"error", "cr", "worst", "suggested"}
    assert data["cr"] >= 0.1 and len(data["worst"]) == 2 and data["suggested"] > 0


@pytest.mark.parametrize("content", ["[1, 2", "[1, 2]", '{"matrix": "abc"}', '{"x": 1}', "\xff\xfe",
                                     '{"matrix": [[1, 2], [0.5, 1]], "criteria": "ab"}', "[" * 5000])
def test_cli_bad_files_exit_2_with_chinese_message(tmp_path, capsys, content):
    path = tmp_path / "bad.json"
    path.write_bytes(content.encode("latin-1") if content == "\xff\xfe" else content.encode())
    code, out, err = run(capsys, "ahp", str(path), "--json")
    assert code == 2 and "Traceback" not in err
    assert err.startswith("错误: ") and json.loads(out)["error"]


def test_cli_missing_file(capsys):
    code, out, err = run(capsys, "ahp", "/nonexistent/m.json")
    assert code == 2 and "文件不存在" in err


def test_cli_ri_choices_match_the_tables():
    from regshare.evaluation.commands import RI_TABLE_NAMES

    assert sorted(RI_TABLE_NAMES) == sorted(ahp.RI_TABLES) and ahp.DEFAULT_RI_TABLE == "saaty"
