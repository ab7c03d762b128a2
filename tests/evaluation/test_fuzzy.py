"""Fuzzy comprehensive evaluation: the four operators on a hand-computed example, membership by thresholds and
by survey distributions, the command line."""

import json

import pytest

from regshare import cli
from regshare.evaluation import fuzzy

W = [0.5, 0.3, 0.2]
R = [[0.5, 0.3, 0.2, 0.0], [0.3, 0.4, 0.2, 0.1], [0.2, 0.3, 0.3, 0.2]]


@pytest.mark.parametrize("operator, expected", [
    # Σ w·r = (0.38, 0.33, 0.22, 0.07)
    ("M(·,+)", [0.38, 0.33, 0.22, 0.07]),
    # max min(w, r) = (0.5, 0.3, 0.2, 0.2) / 1.2
    ("M(∧,∨)", [0.5 / 1.2, 0.3 / 1.2, 0.2 / 1.2, 0.2 / 1.2]),
    # max w·r = (0.25, 0.15, 0.10, 0.04) / 0.54
    ("M(·,∨)", [0.25 / 0.54, 0.15 / 0.54, 0.10 / 0.54, 0.04 / 0.54]),
    # min(1, Σ min(w, r)) = (1.0, 0.8, 0.6, 0.3) / 2.7
    ("M(∧,⊕)", [1 / 2.7, 0.8 / 2.7, 0.6 / 2.7, 0.3 / 2.7]),
])
def test_operators_on_hand_computed_example(operator, expected):
    result = fuzzy.evaluate(W, R, operator=operator)
    assert result.result == pytest.approx(expected, abs=1e-6)
    assert result.grade == "优" and result.operator == operator
    assert result.score == pytest.approx(sum(b * s for b, s in zip(expected, (95, 85, 70, 50), strict=True)), abs=1e-3)


def test_default_operator_is_weighted_average_and_score():
    result = fuzzy.evaluate(W, R)
    assert result.operator == "M(·,+)"
    assert result.score == pytest.approx(0.38 * 95 + 0.33 * 85 + 0.22 * 70 + 0.07 * 50, abs=1e-6)  # 83.05


def test_ascii_operator_spellings():
    assert fuzzy.operator_code("M(^,v)") == "M(∧,∨)"
    assert fuzzy.operator_code("m(*,+)") == "M(·,+)"
    assert fuzzy.operator_code("M(·,∨)") == "M(·,∨)"
    with pytest.raises(fuzzy.FuzzyError, match="未知的合成算子"):
        fuzzy.operator_code("M(+,+)")


def test_grade_by_maximum_membership():
    result = fuzzy.evaluate([0.6, 0.4], [[0, 0.2, 0.7, 0.1], [0.1, 0.3, 0.4, 0.2]])
    assert result.grade == "中"


@pytest.mark.parametrize("value, thresholds, row", [
    (4, [3, 5, 8, 12], [0.5, 0.5, 0, 0]),        # approval days: smaller is better
    (10, [3, 5, 8, 12], [0, 0, 0.5, 0.5]),
    (2, [3, 5, 8, 12], [1, 0, 0, 0]),
    (20, [3, 5, 8, 12], [0, 0, 0, 1]),
    (96.5, [98, 95, 90, 80], [0.5, 0.5, 0, 0]),  # pass rate: larger is better
    (92, [98, 95, 90, 80], [0, 0.4, 0.6, 0]),
])
def test_membership_by_thresholds(value, thresholds, row):
    assert fuzzy.membership_from_thresholds(value, thresholds) == pytest.approx(row)


def test_membership_from_survey_counts_and_mixed_rows():
    assert fuzzy.membership_from_counts([60, 30, 8, 2], 4) == pytest.approx([0.6, 0.3, 0.08, 0.02])
    result = fuzzy.evaluate([0.5, 0.5], [{"counts": [60, 30, 8, 2]}, {"value": 4, "thresholds": [3, 5, 8, 12]}])
    assert result.result == pytest.approx([0.55, 0.4, 0.04, 0.01])


def test_custom_grades_with_scores():
    result = fuzzy.evaluate([1.0], [[0.2, 0.8, 0]], grades=[{"name": "高", "score": 90}, {"name": "中", "score": 60},
                                                             {"name": "低", "score": 30}])
    assert result.grade == "中" and result.score == pytest.approx(66)


@pytest.mark.parametrize("weights, membership, words", [
    ([0.5, 0.6], [[1, 0, 0, 0], [1, 0, 0, 0]], "权重之和"),
    ([1.0], [[1, 0, 0]], "4 个数"),
    ([0.5, 0.5], [[1, 0, 0, 0]], "2 行"),
    ([1.0], [[1.5, 0, 0, 0]], "0 到 1"),
    ([-0.5, 1.5], [[1, 0, 0, 0], [1, 0, 0, 0]], "负数"),
    ([1.0], [{"counts": [0, 0, 0, 0]}], "有效答卷数为 0"),
    ([1.0], [{"value": 3, "thresholds": [1, 5, 2, 4]}], "严格递增或严格递减"),
    ([1.0], [[0, 0, 0, 0]], "全为 0"),
    ("x", [[1, 0, 0, 0]], "非空数组"),
])
def test_bad_input_refused_in_chinese(weights, membership, words):
    with pytest.raises(fuzzy.FuzzyError) as info:
        fuzzy.evaluate(weights, membership)
    assert words in str(info.value)


def run(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out.strip(), out.err.strip()


def test_cli_prints_result_grade_score(tmp_path, capsys):
    path = tmp_path / "f.json"
    path.write_text(json.dumps({"weights": W, "membership": R, "grades": ["优", "良", "中", "差"],
                                "operator": "M(∧,∨)"}, ensure_ascii=False), encoding="utf-8")
    code, out, err = run(capsys, "fuzzy", str(path), "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert set(data) == {"result", "grade", "score"}
    assert data["result"] == pytest.approx([0.5 / 1.2, 0.25, 0.2 / 1.2, 0.2 / 1.2], abs=1e-6) and data["grade"] == "优"
    code, out, _ = run(capsys, "fuzzy", str(path))
    assert code == 0 and "评价等级: 优" in out


@pytest.mark.parametrize("content", ['{"weights": [1]}', "nope", '{"weights": [1], "membership": [[1, 0, 0, 0]], '
                                                               '"operator": 5}'])
def test_cli_bad_files(tmp_path, capsys, content):
    path = tmp_path / "f.json"
    path.write_text(content)
    code, out, err = run(capsys, "fuzzy", str(path), "--json")
    assert code == 2 and err.startswith("错误: ") and "Traceback" not in err
