"""Day archives: written read-only with checksums, listed, read back, tamper detected."""

from __future__ import annotations

import os
import stat
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import oms_stubs as st
import pytest

from ashare_exec.errors import JournalError
from ashare_exec.journal import Journal, archive_day, list_archives, read_archive
from ashare_exec.model import OrderStatus
from ashare_exec.oms import Ledger, OmsState, OrderBook

DAY = date(2026, 11, 25)


def _no_fee(*_a: object) -> Decimal:
    return Decimal(0)


@pytest.fixture
def day_journal(journal: Journal) -> Journal:
    state = OmsState(OrderBook(), Ledger(_no_fee))
    events = [
        st.submitted("C1"),
        st.accepted("C1"),
        st.filled("C1", "T1", qty=1000),
        st.submitted("C2", at=86400),  # the next day: not in this archive
    ]
    journal.append_many([state.apply(e) for e in events])
    return journal


def test_archive_when_written_reads_back_the_day_with_verified_checksums(
    day_journal: Journal, tmp_path: Path
) -> None:
    folder = archive_day(day_journal, DAY, tmp_path / "archive")

    archive = read_archive(folder)

    assert archive.day == DAY
    assert [seq for seq, _e in archive.events] == [1, 2, 3]
    assert [e for _s, e in archive.events] == [
        e for _s, e in day_journal.iter_events(day="2026-11-25")
    ]
    assert [o["client_order_id"] for o in archive.orders] == ["C1"]
    assert [f["trade_id"] for f in archive.fills] == ["T1"]
    assert archive.positions[0]["total"] == "1000"
    assert archive.manifest["files"]["events.jsonl"]["rows"] == 3


def test_archive_of_next_day_holds_the_orders_carried_over_in_doubt_as_they_are_then(
    journal: Journal, tmp_path: Path
) -> None:
    # UNKNOWN at the close (no answer, venue unreachable): the close leaves them to
    # reconciliation, which settles them on a later day. Each day they were open shows them.
    state = OmsState(OrderBook(), Ledger(_no_fee))
    events = [
        st.submitted("C1"),
        st.unknown("C1", at=10),
        st.submitted("C2", at=20),
        st.unknown("C2", at=30),
        st.submitted("C3", at=40),
        st.accepted("C3", at=41),
        st.expired("C3", at=50),  # the close
    ]
    journal.append_many([state.apply(e) for e in events])
    first = read_archive(archive_day(journal, DAY, tmp_path))
    later = [
        st.restated("C1", OrderStatus.EXPIRED, at=86400 + 3600),
        st.submitted("C4", at=86400 + 3700),
    ]
    journal.append_many([state.apply(e) for e in later])

    second = read_archive(archive_day(journal, date(2026, 11, 26), tmp_path))

    assert [(o["client_order_id"], o["status"]) for o in first.orders] == [
        ("C1", "UNKNOWN"),
        ("C2", "UNKNOWN"),
        ("C3", "EXPIRED"),
    ]
    assert [(o["client_order_id"], o["status"], o["day"]) for o in second.orders] == [
        ("C1", "EXPIRED", "2026-11-25"),  # settled that day
        ("C2", "UNKNOWN", "2026-11-25"),  # still in doubt
        ("C4", "PENDING_NEW", "2026-11-26"),
    ]
    # A day without events holds what is still open and nothing else.
    third = read_archive(archive_day(journal, date(2026, 11, 27), tmp_path))
    assert [(o["client_order_id"], o["status"]) for o in third.orders] == [
        ("C2", "UNKNOWN"),
        ("C4", "PENDING_NEW"),
    ]


HOUR = 3600
DAYS = 86400


def test_archives_together_hold_every_event_once_including_those_after_a_days_archive(
    journal: Journal, tmp_path: Path
) -> None:
    # Wednesday 25th from 09:30. After a day's archive the journal goes on: an evening
    # reconcile settles an order, a Saturday start-up settles another. The next trading
    # day's archive holds them, so no event is left out of every archive.
    state = OmsState(OrderBook(), Ledger(_no_fee))

    def journal_(*events: Any) -> None:
        journal.append_many([state.apply(e) for e in events])

    journal_(st.submitted("C1"), st.unknown("C1", at=10), st.submitted("C2", at=20))
    journal_(st.unknown("C2", at=30))
    wed = read_archive(archive_day(journal, DAY, tmp_path))
    journal_(st.restated("C1", OrderStatus.EXPIRED, at=11 * HOUR))  # 20:30, the evening
    journal_(st.submitted("C3", at=1 * DAYS), st.accepted("C3", at=1 * DAYS + 1))
    thu = read_archive(archive_day(journal, date(2026, 11, 26), tmp_path))
    journal_(st.restated("C2", OrderStatus.CANCELED, at=3 * DAYS))  # Saturday
    journal_(st.submitted("C4", at=5 * DAYS))
    mon = read_archive(archive_day(journal, date(2026, 11, 30), tmp_path))

    seqs = [seq for a in (wed, thu, mon) for seq, _e in a.events]
    assert seqs == list(range(1, len(journal.raw_events()) + 1))
    assert [(o["client_order_id"], o["status"]) for o in thu.orders] == [
        ("C1", "EXPIRED"),  # settled in Wednesday's evening
        ("C2", "UNKNOWN"),
        ("C3", "NEW"),
    ]
    assert [(o["client_order_id"], o["status"]) for o in mon.orders] == [
        ("C2", "CANCELED"),  # settled on the Saturday
        ("C3", "NEW"),  # still working
        ("C4", "PENDING_NEW"),
    ]
    assert [m.manifest["after_seq"] for m in (wed, thu, mon)] == [0, 4, 7]


def test_archive_after_a_late_close_leaves_the_next_days_events_to_its_own_archive(
    journal: Journal, tmp_path: Path
) -> None:
    # Down at Wednesday's close, the service closes it on Thursday morning, after
    # Thursday's start-up journaled a few events: they belong to Thursday's archive.
    state = OmsState(OrderBook(), Ledger(_no_fee))
    journal.append_many([state.apply(st.submitted("C1"))])
    journal.append_many([state.apply(st.submitted("C2", at=1 * DAYS))])

    wed = read_archive(archive_day(journal, DAY, tmp_path))
    thu = read_archive(archive_day(journal, date(2026, 11, 26), tmp_path))

    assert [seq for seq, _e in wed.events] == [1]
    assert [seq for seq, _e in thu.events] == [2]


def test_archive_when_the_audit_seal_made_the_folder_first_completes_it(
    day_journal: Journal, tmp_path: Path
) -> None:
    # An archive that failed, then the day's audit seal: the folder holds only the seal.
    folder = tmp_path / "archive" / DAY.isoformat()
    folder.mkdir(parents=True)
    (folder / "audit-2026-11-25.jsonl").write_text("{}\n", encoding="utf-8")

    written = archive_day(day_journal, DAY, tmp_path / "archive")

    assert written == folder
    assert [seq for seq, _e in read_archive(folder).events] == [1, 2, 3]
    assert (folder / "audit-2026-11-25.jsonl").is_file()
    assert not any(p.name.endswith(".partial") for p in folder.parent.iterdir())


def test_archive_when_an_attempt_was_cut_short_starts_over(
    day_journal: Journal, tmp_path: Path
) -> None:
    partial = tmp_path / "archive" / f".{DAY.isoformat()}.partial"
    partial.mkdir(parents=True)
    (partial / "events.jsonl").write_text("torn", encoding="utf-8")
    os.chmod(partial / "events.jsonl", stat.S_IREAD)

    folder = archive_day(day_journal, DAY, tmp_path / "archive")

    assert [seq for seq, _e in read_archive(folder).events] == [1, 2, 3]
    assert not partial.exists()


def test_archive_when_written_files_are_read_only(day_journal: Journal, tmp_path: Path) -> None:
    folder = archive_day(day_journal, DAY, tmp_path)

    for child in folder.iterdir():
        assert not os.stat(child).st_mode & stat.S_IWUSR


def test_archive_when_day_already_archived_refuses_to_overwrite(
    day_journal: Journal, tmp_path: Path
) -> None:
    archive_day(day_journal, DAY, tmp_path)

    with pytest.raises(JournalError, match="never overwritten"):
        archive_day(day_journal, DAY, tmp_path)


def test_list_archives_when_days_written_lists_them_oldest_first(
    day_journal: Journal, tmp_path: Path
) -> None:
    archive_day(day_journal, date(2026, 11, 26), tmp_path)
    archive_day(day_journal, DAY, tmp_path)
    (tmp_path / "not-an-archive").mkdir()

    infos = list_archives(tmp_path)

    assert [(i.day, i.events) for i in infos] == [(DAY, 3), (date(2026, 11, 26), 1)]
    assert list_archives(tmp_path / "missing") == []


@pytest.mark.parametrize(
    "name", ["events.jsonl", "orders.jsonl", "fills.jsonl", "positions.csv", "cash.csv"]
)
def test_read_archive_when_a_file_is_tampered_raises(
    day_journal: Journal, tmp_path: Path, name: str
) -> None:
    folder = archive_day(day_journal, DAY, tmp_path)
    target = folder / name
    os.chmod(target, stat.S_IREAD | stat.S_IWRITE)
    target.write_bytes(target.read_bytes().replace(b"1", b"2"))

    with pytest.raises(JournalError, match="checksum"):
        read_archive(folder)


def test_read_archive_when_file_missing_raises(day_journal: Journal, tmp_path: Path) -> None:
    folder = archive_day(day_journal, DAY, tmp_path)
    os.chmod(folder / "cash.csv", stat.S_IREAD | stat.S_IWRITE)
    (folder / "cash.csv").unlink()

    with pytest.raises(JournalError, match=r"cash\.csv"):
        read_archive(folder)
