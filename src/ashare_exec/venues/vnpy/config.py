"""Configuration of the vn.py venue adapter (``[venues.vnpy]`` in the service TOML)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ashare_exec.errors import ConfigError
from ashare_exec.model import AccountId

__all__ = ["VnpyConfig"]

_FLOATS = (
    "submit_timeout_s",
    "query_timeout_s",
    "connect_timeout_s",
    "query_settle_s",
    "backoff_initial_s",
    "backoff_max_s",
    "event_interval_s",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class VnpyConfig:
    """Settings of one hosted vn.py gateway (one login, one account).

    Attributes:
        gateway: ``"module:Class"`` of a vn.py ``BaseGateway``, e.g. ``"vnpy_xtp:XtpGateway"``.
        settings: the gateway's ``connect()`` dict (its ``default_setting`` keys, often Chinese).
        account: the one account this login trades.
        gateway_name: vn.py's gateway name (prefix of ``vt_orderid``); default: the class's
            ``default_name``.
        data_dir: where vn.py's ``.vntrader`` folder and the vendor logs go.
        instance_no: 1..255, the high byte of XTP's ``order_client_id`` surrogate (keep it
            distinct per process trading the same account).
        submit_timeout_s: how long an order may stay unconfirmed before it is looked up.
        query_timeout_s: budget of one query (cash, positions, orders): how long its answer
            may keep the gateway silent (it waits on while pushes arrive, up to 10x).
        connect_timeout_s: budget of one login (and the reconciliation after it).
        query_settle_s: generic gateways only: quiet time that ends a position query.
        backoff_initial_s / backoff_max_s: reconnect backoff (doubling).
        event_interval_s: the EventEngine timer period (vn.py gateways poll on it).
    """

    gateway: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    account: AccountId
    gateway_name: str = ""
    data_dir: Path | None = None
    instance_no: int = 1
    submit_timeout_s: float = 5.0
    query_timeout_s: float = 5.0
    connect_timeout_s: float = 15.0
    query_settle_s: float = 0.5
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0
    event_interval_s: float = 1.0

    def __post_init__(self) -> None:
        module, _, cls = self.gateway.partition(":")
        if not module or not cls:
            raise ConfigError(f"venues.vnpy.gateway must be 'module:Class', was {self.gateway!r}")
        if not self.account:
            raise ConfigError("venues.vnpy needs exactly one account")
        if not 1 <= self.instance_no <= 255:
            raise ConfigError(f"venues.vnpy.instance_no must be 1..255, was {self.instance_no}")
        for name in _FLOATS:
            if getattr(self, name) <= 0:
                raise ConfigError(f"venues.vnpy.{name} must be > 0")

    @classmethod
    def from_mapping(
        cls,
        data: Mapping[str, Any],
        accounts: tuple[AccountId, ...] = (),
        data_dir: Path | None = None,
    ) -> VnpyConfig:
        """Build from a TOML table; ``accounts`` (from ``[[accounts]]``) fills in a missing one.

        Raises:
            ConfigError: unknown key, wrong type, invalid value, or not exactly one account.
        """
        known = {f.name for f in fields(cls)} - {"data_dir"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"venues.vnpy: unknown keys {unknown}")
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key == "settings":
                if not isinstance(value, Mapping):
                    raise ConfigError("venues.vnpy.settings must be a table")
                values[key] = dict(value)
            elif key in ("gateway", "gateway_name", "account"):
                if not isinstance(value, str):
                    raise ConfigError(f"venues.vnpy.{key} must be a string")
                values[key] = AccountId(value) if key == "account" else value
            elif key == "instance_no":
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ConfigError("venues.vnpy.instance_no must be an integer")
                values[key] = value
            else:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ConfigError(f"venues.vnpy.{key} must be a number")
                values[key] = float(value)
        if "gateway" not in values:
            raise ConfigError("venues.vnpy.gateway is required (e.g. 'vnpy_xtp:XtpGateway')")
        if "account" not in values:
            if len(accounts) != 1:
                raise ConfigError(
                    f"venues.vnpy hosts one login: name exactly one account, got {list(accounts)}"
                )
            values["account"] = accounts[0]
        elif accounts and values["account"] not in accounts:
            raise ConfigError(f"venues.vnpy.account {values['account']} is not a vnpy account")
        return cls(data_dir=data_dir, **values)

    @classmethod
    def per_account(
        cls,
        data: Mapping[str, Any],
        accounts: tuple[AccountId, ...],
        data_dir: Path | None = None,
        *,
        require_logins: bool = True,
    ) -> list[VnpyConfig]:
        """One config per account: ``[venues.vnpy.logins.<account>]`` is merged over ``settings``.

        One gateway is one login, so several accounts need one login table each (their
        ``账号`` / ``密码`` ...); ``require_logins=False`` lets them share ``settings``
        (the emulator).

        Raises:
            ConfigError: invalid table, unknown account in ``logins``, or a missing login.
        """
        table = dict(data)
        logins = table.pop("logins", {})
        if not isinstance(logins, Mapping) or not all(
            isinstance(v, Mapping) for v in logins.values()
        ):
            raise ConfigError("venues.vnpy.logins must be a table of tables (one per account)")
        stray = sorted(set(logins) - set(accounts))
        if stray:
            raise ConfigError(f"venues.vnpy.logins: {stray} are not vnpy accounts")
        settings = table.get("settings", {})
        if not isinstance(settings, Mapping):
            raise ConfigError("venues.vnpy.settings must be a table")
        if "account" in table or len(accounts) <= 1:
            only = table.get("account") or (accounts[0] if accounts else "")
            table["settings"] = {**settings, **logins.get(only, {})}
            return [cls.from_mapping(table, accounts, data_dir)]
        out = []
        for account in accounts:
            if account not in logins and require_logins:
                raise ConfigError(
                    f"venues.vnpy.logins.{account} is required: one gateway login per account"
                )
            values = {
                **table,
                "account": account,
                "settings": {**settings, **logins.get(account, {})},
            }
            out.append(cls.from_mapping(values, accounts, data_dir))
        return out
