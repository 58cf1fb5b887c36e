"""RiskConfig: defaults, per-account overrides, validation, run-time changes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from risk_helpers import T0, engine

from ashare_exec.errors import ConfigError
from ashare_exec.risk import CHECK_NAMES, CHECKS, GLOBAL, RiskConfig, RiskLimits


def test_config_when_empty_uses_documented_defaults() -> None:
    cfg = RiskConfig.from_dict({})

    assert cfg.defaults == RiskLimits()
    assert cfg.global_max_msgs_per_second == 50


def test_config_when_account_override_given_merges_with_defaults() -> None:
    cfg = RiskConfig.from_dict(
        {"max_order_qty": 5000, "accounts": {"a1": {"max_position_pct": "0.2"}}}
    )

    a1, other = cfg.limits_for("a1"), cfg.limits_for("a2")

    assert a1.max_order_qty == 5000
    assert a1.max_position_pct == Decimal("0.2")
    assert other.max_position_pct is None


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"max_order_qyt": 1}, "max_order_qyt"),
        ({"max_order_qty": -1}, "max_order_qty"),
        ({"max_order_qty": "many"}, "max_order_qty"),
        ({"max_position_pct": "1.5"}, "max_position_pct"),
        ({"block_st_buys": "yes"}, "block_st_buys"),
        ({"duplicate_window_s": 0}, "duplicate_window_s"),
        ({"blacklist": "600000.SH"}, "blacklist"),
        ({"disabled_checks": ["cahs"]}, "disabled_checks"),
        ({"accounts": {"a1": {"max_order_notional": "x"}}}, "max_order_notional"),
        ({"global_max_msgs_per_second": True}, "global_max_msgs_per_second"),
    ],
)
def test_config_when_value_invalid_raises_config_error_naming_key(
    data: dict[str, object], key: str
) -> None:
    with pytest.raises(ConfigError) as info:
        RiskConfig.from_dict(data)

    assert key in str(info.value)


def test_config_when_optional_limit_false_switches_it_off() -> None:
    assert RiskConfig.from_dict({"max_order_qty": False}).defaults.max_order_qty is None


def test_config_check_names_match_the_check_table() -> None:
    assert tuple(name for name, _ in CHECKS) == CHECK_NAMES


def test_update_limits_when_account_scope_changes_only_that_account() -> None:
    e = engine()

    rec = e.update_limits("a1", {"max_order_qty": 300}, "ops", now=T0)

    assert e.limits_for("a1").max_order_qty == 300
    assert e.limits_for("a2").max_order_qty == 1_000_000
    assert rec.changes == {"max_order_qty": (1_000_000, 300)}
    assert (rec.actor, rec.scope, rec.action) == ("ops", "a1", "update_limits")


def test_update_limits_when_global_scope_changes_defaults_and_keeps_overrides() -> None:
    e = engine(accounts={"a1": {"max_order_qty": 10}})

    rec = e.update_limits(
        GLOBAL, {"max_order_qty": 700, "global_max_msgs_per_second": 9}, "ops", now=T0
    )

    assert e.limits_for("a2").max_order_qty == 700
    assert e.limits_for("a1").max_order_qty == 10
    assert e.config.global_max_msgs_per_second == 9
    assert rec.to_dict()["changes"]["global_max_msgs_per_second"] == [50, 9]


def test_update_limits_when_invalid_raises_and_changes_nothing() -> None:
    e = engine()

    with pytest.raises(ConfigError):
        e.update_limits("a1", {"max_order_qty": 5, "bogus": 1}, "ops", now=T0)

    assert e.limits_for("a1").max_order_qty == 1_000_000


def test_config_when_loaded_from_toml_example_validates() -> None:
    import tomllib

    text = """
[risk]
max_order_notional = "2000000"
max_msgs_per_second = 20
global_max_msgs_per_second = 50
max_price_deviation = "0.05"
blacklist = ["600000.SH"]
order_ttl_s = 120

[risk.accounts.acc1]
max_position_pct = "0.2"
daily_loss_limit = "50000"
disabled_checks = ["duplicate"]
"""
    cfg = RiskConfig.from_dict(tomllib.loads(text)["risk"])

    acc1 = cfg.limits_for("acc1")
    assert acc1.max_order_notional == Decimal(2_000_000)
    assert acc1.order_ttl_s == 120.0
    assert acc1.daily_loss_limit == Decimal(50_000)
    assert not acc1.check_enabled("duplicate")
    assert cfg.limits_for("acc2").check_enabled("duplicate")


def test_risk_package_all_when_imported_names_are_unique_and_exist() -> None:
    import ashare_exec.risk as risk

    assert len(set(risk.__all__)) == len(risk.__all__)
    assert all(hasattr(risk, name) for name in risk.__all__)
