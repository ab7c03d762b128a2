"""The draw sha256-rank-v1, checked against sha256 recomputed here from the issue's definition."""

import hashlib
import math

import pytest

from regshare.supervision import draw as d

SEED = "5f2c" * 16
POOL = [(f"91360429MA35{n:06d}", "A" if n % 3 else "C") for n in range(30)]  # 20 A, 10 C


def hexsha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_pool_digest_is_sha256_of_sorted_lines():
    shuffled = list(reversed(POOL))
    expected = hexsha("\n".join(f"{c},{s}" for c, s in sorted(POOL)))
    assert d.pool_sha256(shuffled) == expected
    assert d.pool_sha256([("B2", "A"), ("A1", "D")]) == hexsha("A1,D\nB2,A")


def test_quota_is_exact_ceiling():
    assert d.quota(100, 0.07) == 7          # 0.07 * 100 in floats is 7.000000000000001
    assert d.quota(20, "0.1") == 2
    assert d.quota(21, "0.1") == 3
    assert d.quota(3, 0.01) == 1            # every class > 0 means at least one object
    assert d.quota(5, 1) == 5
    with pytest.raises(d.DrawError):
        d.quota(10, 0)
    with pytest.raises(d.DrawError):
        d.quota(10, "1.5")


def test_selection_per_stratum_is_first_k_by_hex_hash():
    ratios = {"A": "0.1", "C": "0.25"}
    chosen = d.select_objects(SEED, POOL, ratios)
    for stratum, ratio in (("A", 0.1), ("C", 0.25)):
        codes = [c for c, s in POOL if s == stratum]
        k = min(len(codes), math.ceil(ratio * len(codes)))
        expected = sorted(codes, key=lambda c: hexsha(f"{SEED}:{c}"))[:k]
        assert chosen[stratum] == expected
    assert len(chosen["A"]) == 2 and len(chosen["C"]) == 3


def test_missing_or_zero_ratio_refused():
    with pytest.raises(d.DrawError, match="C"):
        d.select_objects(SEED, POOL, {"A": "0.1"})
    with pytest.raises(d.DrawError, match="大于0"):
        d.select_objects(SEED, POOL, {"A": "0.1", "C": "0"})


INSPECTORS = [d.InspectorRef(i, "SCJG" if i <= 6 else "HB", "" if i % 2 else "360429") for i in range(1, 10)]


def test_inspectors_ranked_by_seed_code_id_after_avoidance():
    ratios = {"A": "0.1", "C": "0.25"}
    chosen = d.select_objects(SEED, POOL, ratios)
    first = chosen["A"][0]
    excluded = {first: [1, 2]}
    result = d.draw(SEED, POOL, ratios, INSPECTORS, ["SCJG"], excluded, k=2)
    by_code = {code: ids for code, _, ids in result.selected}
    # SCJG inspectors 1..6, all serving area 360429; 1 and 2 avoided for the first object.
    eligible = [3, 4, 5, 6]
    expected = sorted(eligible, key=lambda i: hexsha(f"{SEED}:{first}:{i}"))[:2]
    assert by_code[first] == expected
    other = chosen["C"][0]
    assert by_code[other] == sorted(range(1, 7), key=lambda i: hexsha(f"{SEED}:{other}:{i}"))[:2]
    assert all(len(set(ids)) == 2 for ids in by_code.values())
    assert result.pool_sha256 == d.pool_sha256(POOL)


def test_area_rule_and_too_few_inspectors():
    elsewhere = [("91320505MA1X000001", "A")]
    inspectors = [d.InspectorRef(1, "SCJG", "360429"), d.InspectorRef(2, "SCJG", "360429"),
                  d.InspectorRef(3, "SCJG", "")]
    with pytest.raises(d.DrawError, match="不足2名"):
        d.draw(SEED, elsewhere, {"A": 1}, inspectors, ["SCJG"])
    inspectors.append(d.InspectorRef(4, "SCJG", "3205"))
    result = d.draw(SEED, elsewhere, {"A": 1}, inspectors, ["SCJG"])
    assert sorted(result.selected[0][2]) == [3, 4]


def test_published_record_verifies_and_a_wrong_seed_does_not():
    ratios = {"A": "0.1", "C": "0.25"}
    excluded = {POOL[0][0]: [1]}
    result = d.draw(SEED, POOL, ratios, INSPECTORS, ["SCJG", "HB"], excluded)
    published = d.record("T1", SEED, POOL, ratios, INSPECTORS, ["SCJG", "HB"], excluded, 2, result)
    assert published["algorithm"] == "sha256-rank-v1"
    assert published["pool_sha256"] == hexsha("\n".join(f"{c},{s}" for c, s in sorted(POOL)))
    assert d.verify(published)[0] is True
    assert d.verify(published, seed="00" * 32)[0] is False
    tampered = {**published, "selected": [{**published["selected"][0], "inspectors": [7, 8]},
                                          *published["selected"][1:]]}
    assert d.verify(tampered)[0] is False


def test_large_stratum_takes_the_partition_path_and_matches_a_full_sort():
    pool = [(f"91360429MA{n:08d}", "B") for n in range(700)]
    chosen = d.select_objects(SEED, pool, {"B": "0.07"})
    expected = sorted((c for c, _ in pool), key=lambda c: hexsha(f"{SEED}:{c}"))[:49]
    assert chosen["B"] == expected


def test_control_group_is_first_of_the_whole_pool_by_control_hash():
    ratios = {"A": "0.1", "C": "0.25"}
    plain = d.draw(SEED, POOL, ratios, INSPECTORS, ["SCJG"])
    result = d.draw(SEED, POOL, ratios, INSPECTORS, ["SCJG"], control_ratio="0.2")
    everyone = sorted((c for c, _ in POOL), key=lambda c: hexsha(f"{SEED}:control:{c}"))
    assert result.control == sorted(everyone[:6])  # ceil(0.2 × 30), whatever the stratum
    # the strata's draw is unchanged; the control group adds the objects it does not share with it
    assert result.stratified == {code for code, _, _ in plain.selected}
    assert {code for code, _, _ in result.selected} == result.stratified | set(result.control)
    by_code = {code: (stratum, ids) for code, stratum, ids in result.selected}
    for code in result.control:
        assert by_code[code][0] == dict(POOL)[code]
        assert by_code[code][1] == sorted(range(1, 7), key=lambda i: hexsha(f"{SEED}:{code}:{i}"))[:2]
    assert d.draw(SEED, POOL, ratios, INSPECTORS, ["SCJG"], control_ratio="0.01").control == everyone[:1]


def test_control_group_is_published_and_verified():
    ratios = {"A": "0.1", "C": "0.25"}
    result = d.draw(SEED, POOL, ratios, INSPECTORS, ["SCJG"], control_ratio="0.1")
    published = d.record("T1", SEED, POOL, ratios, INSPECTORS, ["SCJG"], {}, 2, result, control_ratio="0.1")
    extension = published["extensions"]["control-v1"]
    assert extension["ratio"] == "0.1" and extension["codes"] == result.control and extension["k"] == 3
    assert [r["code"] for r in published["selected"] if r["control"]] == result.control
    assert d.verify(published)[0] is True
    # a control group swapped for other objects of the pool is caught
    outsider = next(c for c, _ in POOL if c not in {r["code"] for r in published["selected"]})
    swapped = {**published, "extensions": {"control-v1": {**extension, "codes": [outsider, *extension["codes"][1:]]}}}
    assert d.verify(swapped) == (False, "重算的随机对照组与公布的不一致")
    # without the extension the record describes a draw without a control group, which no longer matches
    bare = {k: v for k, v in published.items() if k != "extensions"}
    assert d.verify(bare)[0] is (not (set(result.control) - result.stratified))
    plain = d.draw(SEED, POOL, ratios, INSPECTORS, ["SCJG"])
    assert "extensions" not in d.record("T1", SEED, POOL, ratios, INSPECTORS, ["SCJG"], {}, 2, plain)


@pytest.mark.parametrize("ratio", ["-0.1", "1.5", "abc"])
def test_bad_control_ratio_refused(ratio):
    with pytest.raises(d.DrawError, match="随机对照组比例"):
        d.draw(SEED, POOL, {"A": "0.1", "C": "0.25"}, INSPECTORS, ["SCJG"], control_ratio=ratio)


def test_several_large_strata_match_a_plain_sort_of_hex_digests():
    pool = [(f"91360429MA{n:08d}", "B" if n % 5 else "D") for n in range(900)]
    chosen = d.select_objects(SEED, pool, {"B": "0.05", "D": "0.3"})
    for stratum, ratio in (("B", 0.05), ("D", 0.3)):
        codes = [c for c, s in pool if s == stratum]
        expected = sorted(codes, key=lambda c: hexsha(f"{SEED}:{c}"))[:math.ceil(ratio * len(codes))]
        assert chosen[stratum] == expected
