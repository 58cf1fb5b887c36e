"""Build the QMT adapter from the service configuration (``venue = "qmt"``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ashare_exec.clock import Clock
from ashare_exec.errors import ConfigError
from ashare_exec.model import AccountId, Instrument, InstrumentId
from ashare_exec.venues.qmt.adapter import QmtAdapter
from ashare_exec.venues.qmt.config import QmtConfig
from ashare_exec.venues.qmt.store import QmtIdStore

__all__ = ["build_qmt_venue", "create_qmt_adapter"]


def create_qmt_adapter(
    settings: Mapping[str, Any],
    *,
    accounts: tuple[AccountId, ...],
    clock: Clock,
    store: QmtIdStore | None = None,
    on_alert: Callable[[Any], None] | None = None,
) -> QmtAdapter:
    """Return a :class:`QmtAdapter` for the ``[venues.qmt]`` table and the qmt accounts.

    xtquant is not imported here: it loads on :meth:`QmtAdapter.connect`.

    Raises:
        ConfigError: the settings are invalid.
    """
    config = QmtConfig.from_mapping(settings, accounts)
    return QmtAdapter(config, clock, store=store, on_alert=on_alert)


def build_qmt_venue(
    config: Any,
    clock: Clock,
    accounts: Sequence[AccountId],
    instruments: Mapping[InstrumentId, Instrument] | None = None,
    *,
    store: QmtIdStore | None = None,
    on_alert: Callable[[Any], None] | None = None,
) -> QmtAdapter:
    """The composition root's hook for ``venue = "qmt"`` accounts.

    Reads ``config.venues["qmt"]`` (a :class:`~ashare_exec.config.GatewayConfig`). With
    ``emulator = true`` it first starts an in-process MiniQMT emulator backed by the built-in
    simulator (demos and end-to-end tests on machines without QMT).

    Raises:
        ConfigError: invalid ``[venues.qmt]`` settings.
    """
    raw = dict(config.venues.get("qmt", {}))
    emulator = raw.pop("emulator", False)
    if not isinstance(emulator, bool | str) or emulator == "":
        raise ConfigError(
            "venues.qmt.emulator must be true, false or the path of a stand-alone emulator's "
            f"endpoint file, was {emulator!r}"
        )
    if isinstance(emulator, str):
        raw.setdefault("userdata_path", "emulated://miniqmt-standalone")
        _connect_standalone(Path(emulator))
    elif emulator:
        raw.setdefault("userdata_path", "emulated://miniqmt")
        from ashare_exec.testing.miniqmt.embedded import start_embedded_miniqmt

        start_embedded_miniqmt(config, clock, accounts, instruments)
    return create_qmt_adapter(
        raw, accounts=tuple(accounts), clock=clock, store=store, on_alert=on_alert
    )


def _connect_standalone(endpoint_file: Path) -> None:
    """Point xtquant at the MiniQMT emulator running in another process
    (``python -m ashare_exec.testing.miniqmt.standalone``)."""
    from ashare_exec.testing.miniqmt.remote import Endpoint, install_remote

    try:
        endpoint = Endpoint.read(endpoint_file)
    except (OSError, ValueError) as e:
        raise ConfigError(f"venues.qmt.emulator: cannot read {endpoint_file}: {e}") from e
    install_remote(endpoint)
