import hashlib
import json

from regshare import cli

TASK = "柴桑双随机〔2026〕1号"


def run(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out.strip(), out.err.strip()


def test_draw_list_export_verify(sup, capsys):
    code, out, _ = run(capsys, "draw", "list", "--json")
    rows = json.loads(out)
    assert code == 0
    done = next(r for r in rows if r["task"] == TASK)
    assert set(done) == {"task", "name", "status", "objects"}
    assert done["status"] == "published" and done["objects"] > 0

    code, out, _ = run(capsys, "draw", "export", TASK)
    record = json.loads(out)
    assert code == 0 and record["algorithm"] == "sha256-rank-v1"
    assert {"task", "algorithm", "seed", "pool_sha256", "pool", "ratios", "selected"} <= set(record)
    # recompute the selection of one stratum by hand from the exported file
    seed = record["seed"]
    stratum = record["selected"][0]["stratum"]
    codes = sorted((p["code"] for p in record["pool"] if p["stratum"] == stratum),
                   key=lambda c: hashlib.sha256(f"{seed}:{c}".encode()).hexdigest())
    chosen = sorted(r["code"] for r in record["selected"] if r["stratum"] == stratum and r["by_ratio"])
    assert sorted(codes[:len(chosen)]) == chosen
    # and the control group (extension control-v1) over the whole pool
    control = record["extensions"]["control-v1"]
    everyone = sorted((p["code"] for p in record["pool"]),
                      key=lambda c: hashlib.sha256(f"{seed}:control:{c}".encode()).hexdigest())
    assert control["k"] >= 1 and sorted(everyone[:control["k"]]) == control["codes"]
    assert sorted(r["code"] for r in record["selected"] if r["control"]) == control["codes"]

    assert run(capsys, "draw", "verify", TASK)[0] == 0
    code, out, _ = run(capsys, "draw", "verify", TASK, "--seed", "ff" * 32)
    assert code == 1 and "不一致" in out
    assert run(capsys, "draw", "export", "没有这个任务")[0] == 2
