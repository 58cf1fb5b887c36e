"""``ashare-exec rules check`` and ``rules limits``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ashare_exec.cli.main import main

T_CONT = "2026-11-25T10:00:00+08:00"
CHK = ["check", "--symbol", "600000.SH", "--side", "BUY", "--qty", "100"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    payload = json.loads(captured.out) if captured.out.strip() else None
    return code, payload, captured.err


def test_rules_check_when_order_valid_prints_normalised_order_and_exits_zero(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(
        capsys, "rules", "check", "--symbol", "600000.SH", "--side", "buy", "--qty", "100",
        "--price", "10", "--time", T_CONT,
    )  # fmt: skip
    assert code == 0
    assert (out["ok"], out["reasons"], out["phase"]) == (True, [], "CONTINUOUS")
    assert out["order"]["price"] == "10.00"
    assert out["order"]["symbol"] == "600000.SH"
    assert out["limits"] == {"up": "11.02", "down": "9.02"}
    assert out["cage"] == {"sell_min": "9.82", "buy_max": "10.22"}


def test_rules_check_when_order_invalid_lists_every_reason_and_exits_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(
        capsys, "rules", "check", "--symbol", "688981.SH", "--side", "BUY", "--qty", "150",
        "--price", "150.001", "--time", T_CONT,
    )  # fmt: skip
    assert code == 1
    assert out["ok"] is False
    assert out["order"] is None
    assert set(out["reasons"]) == {"QTY_BELOW_MIN", "PRICE_OFF_TICK", "PRICE_ABOVE_LIMIT_UP"}
    assert len(out["messages"]) == 3


def test_rules_check_when_quote_given_uses_it_for_the_cage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(
        capsys, "rules", "check", "--symbol", "600000.SH", "--side", "BUY", "--qty", "100",
        "--price", "10.60", "--time", T_CONT, "--bid", "10.39", "--ask", "10.40", "--last", "10.40",
    )  # fmt: skip
    assert code == 0
    assert out["cage"] == {"sell_min": "10.18", "buy_max": "10.61"}


def test_rules_check_when_odd_lot_sell_with_sellable_is_accepted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = ["rules", "check", "--symbol", "600000.SH", "--side", "SELL", "--price", "10.00"]
    code, out, _ = run(capsys, *base, "--qty", "50", "--sellable", "250", "--time", T_CONT)
    assert (code, out["ok"]) == (0, True)
    code, out, _ = run(capsys, *base, "--qty", "30", "--sellable", "250", "--time", T_CONT)
    assert (code, out["reasons"]) == (1, ["ODD_LOT_SELL_NOT_WHOLE"])


def test_rules_check_when_market_order_in_auction_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(
        capsys, "rules", "check", "--symbol", "688981.SH", "--side", "BUY", "--qty", "200",
        "--price-type", "counterparty_best", "--protection-price", "121.00",
        "--time", "2026-11-25T09:21:00+08:00",
    )  # fmt: skip
    assert code == 1
    assert (out["reasons"], out["phase"]) == (
        ["MARKET_ORDER_NOT_ALLOWED"],
        "OPENING_AUCTION_NO_CANCEL",
    )


def test_rules_check_when_instruments_file_given_reads_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    master = tmp_path / "m.csv"
    master.write_text("symbol,name,prev_close\n600000.SH,浦发银行,20.00\n", encoding="utf-8")
    code, out, _ = run(
        capsys, "rules", "check", "--symbol", "600000.SH", "--side", "BUY", "--qty", "100",
        "--price", "20.00", "--time", T_CONT, "--instruments", str(master),
    )  # fmt: skip
    assert code == 0
    assert out["limits"] == {"up": "22.00", "down": "18.00"}


def test_rules_limits_when_symbol_given_prints_tick_lot_and_band(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "rules", "limits", "--symbol", "688981.SH", "--date", "2026-11-25")
    assert code == 0
    assert err == ""
    assert (out["tick"], out["lot"], out["min_qty"], out["step"]) == ("0.01", 200, 200, 1)
    assert (out["max_qty"], out["max_qty_market"]) == (100_000, 50_000)
    assert (out["limit_up"], out["limit_down"]) == ("144.60", "96.40")
    assert (out["board"], out["trading_day"], out["warnings"]) == ("STAR", True, [])


def test_rules_limits_when_st_stock_before_and_after_2026_07_06_changes_band(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, before, _ = run(capsys, "rules", "limits", "--symbol", "600777.SH", "--date", "2026-07-03")
    _, after, _ = run(capsys, "rules", "limits", "--symbol", "600777.SH", "--date", "2026-07-06")
    assert (before["limit_up"], before["limit_down"]) == ("3.00", "2.72")
    assert (after["limit_up"], after["limit_down"]) == ("3.15", "2.57")


def test_rules_limits_when_date_past_calendar_warns_on_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "rules", "limits", "--symbol", "600000.SH", "--date", "2027-01-04")
    assert code == 0
    assert "CALENDAR_NOT_COVERED" in err
    assert out["warnings"]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["check", "--symbol", "600001.SH", "--side", "BUY", "--qty", "100"], "UNKNOWN_SYMBOL"),
        (["check", "--symbol", "600000", "--side", "BUY", "--qty", "100"], "UNKNOWN_SYMBOL"),
        (["check", "--symbol", "600000.SH", "--side", "BUY", "--qty", "1e2"], "--qty"),
        ([*CHK, "--price", "x"], "--price"),
        ([*CHK, "--time", "noon"], "--time"),
        ([*CHK, "--bid", "?"], "--bid"),
        (["limits", "--symbol", "600000.SH", "--date", "2026/11/25"], "--date"),
        (["limits", "--symbol", "600000.SH", "--instruments", "/nonexistent.csv"], "cannot read"),
    ],
)  # fmt: skip
def test_rules_cmd_when_input_bad_prints_clear_error_and_exits_nonzero(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    code, out, err = run(capsys, "rules", *argv)
    assert code == 2
    assert out is None
    assert fragment in err
    assert "Traceback" not in err


def test_rules_cmd_when_no_subcommand_prints_usage_and_exits_two(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["rules"]) == 2
    assert "check" in capsys.readouterr().err


def test_rules_check_when_required_option_missing_exits_with_usage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["rules", "check", "--symbol", "600000.SH"])
    assert exc.value.code == 2
    assert "--side" in capsys.readouterr().err
