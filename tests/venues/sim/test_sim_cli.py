"""``ashare-exec sim replay``."""

from __future__ import annotations

from pathlib import Path

import pytest

from ashare_exec.cli.main import main
from ashare_exec.cli.sim_cmd import parse_script


def test_sim_replay_when_no_arguments_then_prints_fills_and_positions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The built-in script runs a whole day and shows fills, a rejection and positions."""
    assert main(["sim", "replay"]) == 0
    out = capsys.readouterr().out
    assert "Filled" in out
    assert "QTY_ABOVE_MAX" in out
    assert "INSUFFICIENT_POSITION" in out  # T+1: today's buys are not sellable
    assert "positions" in out
    assert "600000.SH" in out


def test_sim_replay_when_same_seed_then_same_output(capsys: pytest.CaptureFixture[str]) -> None:
    """Deterministic for a seed."""
    main(["sim", "replay", "--seed", "3"])
    first = capsys.readouterr().out
    main(["sim", "replay", "--seed", "3"])
    assert capsys.readouterr().out == first


def test_sim_replay_when_script_file_then_runs_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A user script on the recorded sample day."""
    script = tmp_path / "s.csv"
    script.write_text(
        "time,action,client_order_id,symbol,side,qty,price_type,price\n"
        "10:00:00,submit,b1,000001.SZ,BUY,300,IOC,\n"
        "10:01:00,submit,b2,600999.SH,BUY,100,LIMIT,bid\n",
        encoding="utf-8",
    )
    assert main(["sim", "replay", "--script", str(script), "--recorded"]) == 0
    out = capsys.readouterr().out
    assert "b1" in out
    assert "feed replay" in out
    assert "UNKNOWN_SYMBOL" in out


@pytest.mark.parametrize(
    "line",
    [
        "10:00:00,explode,x,600000.SH,BUY,100,LIMIT,10",
        "25:00:00,submit,x,600000.SH,BUY,100,LIMIT,10",
        "10:00:00,submit,x,,BUY,100,LIMIT,10",
    ],
)
def test_parse_script_when_line_malformed_then_invalid_request(line: str) -> None:
    """Bad lines are refused with a clear error."""
    from ashare_exec.errors import InvalidRequest

    with pytest.raises(InvalidRequest):
        parse_script("time,action,client_order_id,symbol,side,qty,price_type,price\n" + line + "\n")
