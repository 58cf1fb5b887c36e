"""Build the vn.py adapter from the service configuration (``[venues.vnpy]``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ashare_exec.clock import Clock
from ashare_exec.model import AccountId
from ashare_exec.venues.base import VenueAdapter
from ashare_exec.venues.vnpy.adapter import VnpyAdapter
from ashare_exec.venues.vnpy.book import VnpyAlert
from ashare_exec.venues.vnpy.config import VnpyConfig
from ashare_exec.venues.vnpy.store import VnpyIdStore

__all__ = ["build_vnpy_venue", "create_vnpy_adapter"]


def create_vnpy_adapter(
    raw_config: Mapping[str, Any],
    *,
    clock: Clock,
    accounts: tuple[AccountId, ...],
    data_dir: Path,
    store: VnpyIdStore | None = None,
    on_alert: Callable[[VnpyAlert], None] | None = None,
) -> VnpyAdapter:
    """Return a :class:`VnpyAdapter` for the ``[venues.vnpy]`` table.

    vn.py is not imported here: it loads on :meth:`VnpyAdapter.connect`, with its
    ``.vntrader`` folder under ``data_dir / "vnpy"``.

    Raises:
        ConfigError: the settings are invalid.
    """
    config = VnpyConfig.from_mapping(raw_config, accounts, data_dir / "vnpy")
    return VnpyAdapter(config, clock, store=store, on_alert=on_alert)


def build_vnpy_venue(
    raw_config: Mapping[str, Any],
    clock: Clock,
    accounts: list[AccountId],
    data_dir: Path,
) -> VenueAdapter:
    """The composition root's entry point: the ``[venues.vnpy]`` table as a venue adapter.

    Raises:
        ConfigError: the settings are invalid.
    """
    return create_vnpy_adapter(raw_config, clock=clock, accounts=tuple(accounts), data_dir=data_dir)
