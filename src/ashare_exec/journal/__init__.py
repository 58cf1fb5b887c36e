"""The SQLite event journal: append-only events plus projections, recovery, day archives."""

from ashare_exec.journal.archive import (
    ArchiveInfo,
    DayArchive,
    archive_day,
    list_archives,
    read_archive,
)
from ashare_exec.journal.codec import EVENT_CLASSES, JournalEvent, decode_event, encode_event
from ashare_exec.journal.recovery import RecoveredState, replay
from ashare_exec.journal.rows import JournalItem
from ashare_exec.journal.schema import MIGRATIONS, SCHEMA_VERSION, Migration
from ashare_exec.journal.sqlite import Durability, Journal

__all__ = [
    "EVENT_CLASSES",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "ArchiveInfo",
    "DayArchive",
    "Durability",
    "Journal",
    "JournalEvent",
    "JournalItem",
    "Migration",
    "RecoveredState",
    "archive_day",
    "decode_event",
    "encode_event",
    "list_archives",
    "read_archive",
    "replay",
]
