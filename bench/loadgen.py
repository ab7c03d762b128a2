"""The benchmarks' load generator: wrk (C, from Debian's packages; ``make bench-tools``) with a Lua
script cycling through a list of request paths, one wrk process per server port.

A generator written in C leaves the two cores of this machine to the server under test; the latency
it reports is measured per request from send to full response.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("REGSHARE_BENCH_PATHS")) do paths[#paths + 1] = line end
local token = os.getenv("REGSHARE_BENCH_TOKEN")
if token ~= nil and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
local i = tonumber(os.getenv("REGSHARE_BENCH_OFFSET") or "0")
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format('RESULT {"requests": %d, "non2xx": %d, "errors": %d, "seconds": %.3f, ' ..
    '"p50_ms": %.2f, "p99_ms": %.2f}\\n', summary.requests, summary.errors.status, errors,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def drive_wrk(ports: list[int], paths: list[str], token: str | None, connections: int, seconds: float,
              workdir: Path) -> dict:
    """One wrk per port, all at once; requests/s is the sum, p99 the worst of the ports' p99s."""
    script = workdir / "lookups.lua"
    script.write_text(WRK_SCRIPT)
    procs = []
    for k, port in enumerate(ports):
        listing = workdir / f"paths-{k}.txt"
        listing.write_text("\n".join(paths[k::len(ports)]) + "\n")
        env = dict(os.environ, REGSHARE_BENCH_PATHS=str(listing), REGSHARE_BENCH_TOKEN=token or "",
                   REGSHARE_BENCH_OFFSET=str(k * 997))
        per_port = max(1, connections // len(ports))
        procs.append(subprocess.Popen(
            ["wrk", "-t1", f"-c{per_port}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(script),
             f"http://127.0.0.1:{port}"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    results = []
    for proc in procs:
        out, _ = proc.communicate()
        line = next((x for x in out.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            raise RuntimeError(f"wrk failed: {out}")
        results.append(json.loads(line[len("RESULT "):]))
    ok = sum(r["requests"] - r["non2xx"] for r in results)
    elapsed = max(r["seconds"] for r in results)
    return {
        "requests": ok, "errors": sum(r["non2xx"] + r["errors"] for r in results), "rps": round(ok / elapsed, 1),
        "p50_ms": round(max(r["p50_ms"] for r in results), 2), "p99_ms": round(max(r["p99_ms"] for r in results), 2),
    }


def available() -> bool:
    return shutil.which("wrk") is not None
