"""The day soak's broker on QMT and XTP: the emulator in a process of its own.

A real MiniQMT terminal or XTP server is another process, and what it keeps (every order
of every day) is not the gateway's memory. With the emulator in the gateway's process the
soak had to tell the two apart by allocation site, which cannot say who *holds* an object
the gateway allocated and the emulator kept: on XTP that left a residue of about 24 KiB a
day, as large as the bound. Out of process, everything ``tracemalloc`` sees is the
gateway's: the service, the real vendor client (xtquant, vnpy_xtp) and the stand-in for
the vendor's native library that carries its calls over the loopback wire.

The stand-alone emulator (``ashare_exec.testing.miniqmt.standalone`` or
``ashare_exec.testing.xtp.standalone``, as the crash soak runs them) reads a gateway config
written here with the soak's account, and runs on a manual clock the soak moves with the
gateway's. The gateway has no quotes of its own from such a broker: the soak asks the
emulator (its ``quote`` control).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ashare_exec.model import AccountId
from tests.reliability.crash_qmt import StandaloneQmt
from tests.reliability.crash_xtp import StandaloneXtp
from tests.venues.standalone_kit import emulator_config

__all__ = ["RemoteBroker"]


class RemoteBroker:
    """A stand-alone MiniQMT (``venue="qmt"``) or XTP server (``"vnpy"``) for one account.

    Args:
        venue: ``qmt`` or ``vnpy``, the account's venue in the gateway config.
        folder: where its config and endpoint file go (the gateway's data folder is
            ``folder / "data"``).
        start: the market's clock at start.
        walk_s: seconds between the simulated market's snapshots.
    """

    def __init__(
        self,
        venue: str,
        folder: Path,
        start: datetime,
        *,
        account: AccountId,
        cash: Decimal,
        positions: Mapping[str, int],
        walk_s: int,
    ) -> None:
        if venue not in ("qmt", "vnpy"):
            raise ValueError(f"no stand-alone emulator for venue {venue!r}")
        self.venue = venue
        config = folder / "emulator.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(
            emulator_config(
                start=start.isoformat(), account=str(account), venue=venue, cash=str(cash),
                positions=dict(positions), walk=f"interval_s = {walk_s}",
            ),
            encoding="utf-8",
        )  # fmt: skip
        self.endpoint = folder / f"{venue}-emulator.json"
        self._process = (
            StandaloneQmt(config, self.endpoint)
            if venue == "qmt"
            else StandaloneXtp(config, self.endpoint, None, folder / "data" / "journal.sqlite3")
        )

    def venue_table(self) -> dict[str, Any]:
        """The gateway's ``[venues.<venue>]`` table that connects to this emulator."""
        return {"emulator": str(self.endpoint)}

    def set_time(self, at: datetime) -> None:
        """Move the market's clock (it rolls its day when the date changes)."""
        self._process.control.call("set_time", at.isoformat())

    def quote(self, symbol: str) -> tuple[Decimal, Decimal] | None:
        """The market's best bid and ask of ``symbol`` now."""
        row = self._process.control.call("quote", symbol)
        return None if row is None else (Decimal(row[0]), Decimal(row[1]))

    def errors(self) -> list[str]:
        """Failures on the emulator's own threads (XTP; MiniQMT reports none here)."""
        if self.venue != "vnpy":
            return []
        errors: list[str] = self._process.control.call("errors")
        return errors

    def close(self) -> str:
        """Stop the emulator; returns its console output."""
        return self._process.close()
