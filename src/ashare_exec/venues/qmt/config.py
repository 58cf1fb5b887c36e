"""Configuration of the QMT adapter (``[venues.qmt]`` in the service TOML)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ashare_exec.errors import ConfigError
from ashare_exec.model import AccountId

__all__ = ["QmtConfig"]


@dataclass(frozen=True, slots=True, kw_only=True)
class QmtConfig:
    """Settings of one MiniQMT connection (one terminal, one or more accounts).

    Attributes:
        userdata_path: the MiniQMT ``userdata_mini`` folder, e.g.
            ``C:\\国金QMT交易端模拟\\userdata_mini``.
        accounts: the fund accounts traded through this terminal.
        instance_no: 0–99, distinguishes several gateways on one terminal in session ids.
        strategy_name: sent as ``strategy_name`` (grouping only, never identity).
        remark_max_len: longest ``order_remark`` the broker keeps intact (ASSUMPTION: 23,
            under the commonly cited "< 24 characters").
        request_timeout_s: adapter-side timeout of each async request (queries, cancels).
        submit_timeout_s: how long a submit waits for the async order response.
        connect_timeout_s: budget of one connect (start, connect, subscribe, reconcile).
        heartbeat_interval_s: account-status poll period; 0 disables the heartbeat.
        max_consecutive_failures: timeouts in a row that declare the link dead.
        backoff_initial_s / backoff_max_s: reconnect backoff (doubling).
        max_pending_submits: per account, submits awaiting their response.
    """

    userdata_path: str
    accounts: tuple[AccountId, ...]
    instance_no: int = 1
    strategy_name: str = "ashare-exec"
    remark_max_len: int = 23
    request_timeout_s: float = 5.0
    submit_timeout_s: float = 5.0
    connect_timeout_s: float = 15.0
    heartbeat_interval_s: float = 10.0
    max_consecutive_failures: int = 3
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0
    max_pending_submits: int = 100

    def connect_failed(self, rc: int, session_id: int) -> str:
        """Why ``connect()`` returned ``rc``, as far as the gateway can tell: a
        ``userdata_path`` that is no folder here is a configuration mistake, not a terminal
        that is not up yet (the service keeps trying either way: a drive may mount later)."""
        text = f"connect() returned {rc} (session {session_id})"
        if "://" not in self.userdata_path and not Path(self.userdata_path).is_dir():
            return (
                f"{text}: the folder {self.userdata_path} does not exist "
                "(check venues.qmt.userdata_path: the terminal's userdata_mini folder)"
            )
        return f"{text}: is MiniQMT running and logged in on {self.userdata_path}?"

    def __post_init__(self) -> None:
        if not self.userdata_path:
            raise ConfigError("venues.qmt.userdata_path is required")
        if not self.accounts:
            raise ConfigError("venues.qmt.accounts must name at least one account")
        if not 0 <= self.instance_no <= 99:
            raise ConfigError(f"venues.qmt.instance_no must be 0..99, was {self.instance_no}")
        if not self.strategy_name.isascii():
            raise ConfigError("venues.qmt.strategy_name must be ASCII")
        if not 8 <= self.remark_max_len <= 64:
            raise ConfigError(f"venues.qmt.remark_max_len must be 8..64, was {self.remark_max_len}")
        for name in ("request_timeout_s", "submit_timeout_s", "connect_timeout_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"venues.qmt.{name} must be > 0")

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], accounts: tuple[AccountId, ...] = ()
    ) -> QmtConfig:
        """Build from a TOML table; ``accounts`` (from ``[[accounts]]``) fills in a missing list.

        Raises:
            ConfigError: unknown key, wrong type or invalid value.
        """
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(f"venues.qmt: unknown keys {unknown}")
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key == "accounts":
                if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
                    raise ConfigError("venues.qmt.accounts must be a list of strings")
                values[key] = tuple(AccountId(a) for a in value)
            elif key in ("userdata_path", "strategy_name"):
                if not isinstance(value, str):
                    raise ConfigError(f"venues.qmt.{key} must be a string")
                values[key] = value
            elif key in ("instance_no", "remark_max_len", "max_consecutive_failures",
                         "max_pending_submits"):  # fmt: skip
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ConfigError(f"venues.qmt.{key} must be an integer")
                values[key] = value
            else:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ConfigError(f"venues.qmt.{key} must be a number")
                values[key] = float(value)
        values.setdefault("accounts", accounts)
        if "userdata_path" not in values:
            raise ConfigError("venues.qmt.userdata_path is required")
        return cls(**values)
