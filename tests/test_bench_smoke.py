"""Short runs of every benchmark script (issue 10: CI runs the short version of each suite).

These check that each script still runs end to end against the current code and reports
figures of the right shape; they assert nothing about speed (figures on a shared CI machine
mean nothing — see docs/benchmarks.md for the measured ones).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ashare_exec.testing.miniqmt.loader import xtquant_available

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


def _run(script: str, *args: str, timeout: float = 120) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            doc: dict[str, Any] = json.loads(line)
            return doc
    raise AssertionError(f"{script} printed no JSON line:\n{proc.stdout[-2000:]}")


def test_bench_order_path_short_run_fills_every_order() -> None:
    doc = _run(
        "bench_order_path.py",
        *("--modes", "fast,durable", "--n", "200", "--concurrency", "8"),
        *("--rates", "100", "--seconds", "0.2"),
    )
    for mode in ("fast", "durable"):
        sat = doc["results"][mode]["saturation"]
        assert sat["orders"] == 200
        assert sat["orders_per_s"] > 0
        assert sat["events_journaled"] >= 3 * 200  # submitted, accepted, filled per order
        load = doc["results"][mode]["load_100"]
        assert load["submit"]["n"] == load["fill"]["n"] == load["orders"] == 20


def test_bench_http_short_run_answers_every_request() -> None:
    doc = _run(
        "bench_http.py",
        *("--n", "60", "--concurrency", "4", "--batches", "2", "--batch-size", "10"),
        *("--batch-concurrency", "1", "--cancels", "3", "--subscribers", "1,2"),
        *("--fanout-orders", "3"),
        timeout=180,
    )
    r = doc["results"]
    assert r["single"]["errors"] == 0
    assert r["single"]["latency"]["n"] == 60
    assert r["batch"]["errors"] == 0
    assert r["cancel"]["latency"]["n"] == 3
    assert [f["messages"] for f in r["fanout"]] == [3, 6]


def test_bench_restart_short_run_recovers_from_projections() -> None:
    doc = _run(
        "bench_restart.py",
        *("--sizes", "600", "--live", "50", "--repeat", "1", "--full-repeat", "1"),
    )
    r = doc["results"]["600"]
    assert r["recover_method"] == "projections"
    assert r["ready_s_median"] > 0
    assert r["reconcile_listed_built"] == 0  # a broker listing finished orders builds none


@pytest.mark.parametrize(
    ("script", "args", "keys"),
    [
        ("bench_fsync.py", ("--n", "20"), ("fsync", "sqlite_commit")),
        ("bench_gc.py", ("--orders", "600", "--chunk", "300", "--threshold0", "700"), ("results",)),
        ("bench_risk.py", ("--n", "200"), ("full_chain", "risk_only", "validator_only")),
        (
            "bench_sim.py",
            ("--orders", "200", "--symbols", "2"),
            ("matching_orders_per_s_memory", "full_day_seconds"),
        ),
    ],
)
def test_bench_script_short_run_reports_its_figures(
    script: str, args: tuple[str, ...], keys: tuple[str, ...]
) -> None:
    doc = _run(script, *args)
    for key in keys:
        assert doc[key], f"{script}: {key} missing or empty in {doc}"


def test_bench_reconcile_short_run_skips_the_settled_rows_it_already_checked() -> None:
    doc = _run("bench_reconcile.py", "--sizes", "60", "--repeat", "2")
    r = doc["results"]["60"]
    assert r["clean"] is True  # the venue and the service agree after the run
    assert r["rows_skipped"] == 60  # every order filled: all settled by the first pass
    assert r["reconcile_ms"] > 0


@pytest.mark.skipif(not xtquant_available(), reason="xtquant is not installed")
def test_bench_reconcile_qmt_short_run_answers_a_burst_of_lookups_with_one_listing() -> None:
    doc = _run("bench_reconcile.py", "--venue", "qmt", "--sizes", "40", "--repeat", "1",
               "--lookups", "10")  # fmt: skip
    r = doc["results"]["40"]
    assert r["clean"] is True
    assert (r["lookups"], r["burst_listings"]) == (10, 1)
    assert r["convert_fresh_ms"] > 0
    assert r["convert_unchanged_ms"] > 0


def test_bench_audit_short_run_verifies_the_chain_both_ways() -> None:
    doc = _run("bench_audit.py", "--sizes", "300", "--repeat", "1")
    r = doc["results"]["300"]
    assert r["records"] == 300
    assert r["verify_s"] > 0
    assert r["reserialising_s"] > 0


def test_bench_journal_short_run_times_every_commit() -> None:
    doc = _run("bench_journal.py", "--orders", "3", "--commits", "3", "--switch", "0.005")
    assert doc["events_per_commit"] == 6
    results = doc["results"]
    assert len(results) == 4  # {multi-row, per-row} x {idle, busy thread}
    assert all(r["commits"] == 3 and r["median_ms"] > 0 for r in results.values())
