"""Typed reading of the config file's TOML tables, for :func:`~ashare_exec.config.load_config`.

``TableReader`` checks keys and value types and reports each problem as a
:class:`~ashare_exec.errors.ConfigError` naming the file and the key; ``SecretRefs`` resolves
``env:NAME`` / ``secret:NAME`` references, opening the encrypted secrets file only when needed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any

from ashare_exec.errors import ConfigError
from ashare_exec.secrets import (
    SecretError,
    SecretSource,
    SecretStore,
    default_secrets_path,
    resolve_secret,
)

__all__ = ["SecretRefs", "TableReader"]


class SecretRefs:
    """Resolves ``env:NAME`` / ``secret:NAME``; opens the encrypted file only when needed."""

    def __init__(self, config_path: Path | None, store: SecretSource | None) -> None:
        self._path = config_path
        self._store = store

    def resolve(self, reference: str) -> str:
        store = self._store
        if store is None and reference.startswith("secret:"):
            store = self._store = SecretStore.open(default_secrets_path(self._path))
        return resolve_secret(reference, store)


class TableReader:
    """One TOML table of the config file: typed getters that name the file and the key
    (``prefix``) in every :class:`~ashare_exec.errors.ConfigError`."""

    def __init__(
        self,
        source: str,
        data: Mapping[str, Any],
        prefix: str = "",
        secrets: SecretRefs | None = None,
    ) -> None:
        self.source = source
        self.data = data
        self.prefix = prefix
        self.secrets = secrets or SecretRefs(None, None)

    def fail(self, key: str, problem: str) -> ConfigError:
        where = f"{self.prefix}{key}" if key else self.prefix.rstrip(".")
        return ConfigError(f"{self.source}: {where}: {problem}", context={"key": where})

    def section(self, key: str) -> TableReader:
        value = self.data.get(key, {})
        if not isinstance(value, Mapping):
            raise self.fail(key, "must be a table")
        return TableReader(self.source, value, f"{self.prefix}{key}.", self.secrets)

    def check_keys(self, allowed: set[str]) -> None:
        for key in self.data:
            if key not in allowed:
                raise self.fail(key, f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def get_str(self, key: str, default: str) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, was {value!r}")
        return value

    def get_int(
        self, key: str, default: int, *, lo: int | None = None, hi: int | None = None
    ) -> int:
        value = self.data.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(key, f"must be an integer, was {value!r}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            if hi is None:
                raise self.fail(key, f"must be >= {lo}, was {value}")
            if lo is None:
                raise self.fail(key, f"must be <= {hi}, was {value}")
            raise self.fail(key, f"must be between {lo} and {hi}, was {value}")
        return value

    def get_float(self, key: str, default: float, *, lo: float = 0.0) -> float:
        value = self.data.get(key, default)
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= lo:
            raise self.fail(key, f"must be a number > {lo}, was {value!r}")
        return float(value)

    def get_path(self, key: str, default: Path | None, base: Path) -> Path | None:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, str) or not value:
            raise self.fail(key, f"must be a path string, was {value!r}")
        p = Path(value)
        return p if p.is_absolute() else base / p

    def get_time(self, key: str, default: time | None) -> time | None:
        value = self.data.get(key)
        if value is None:
            return default
        if value is False or value == "":
            return None
        if isinstance(value, time):
            return value
        if isinstance(value, str):
            try:
                return time.fromisoformat(value)
            except ValueError:
                pass
        raise self.fail(key, f"must be a time like 14:56, was {value!r}")

    def secret(self, key: str) -> str:
        """``env = "NAME"`` (an environment variable) or ``token = "env:NAME" |
        "secret:NAME"`` (environment, or the encrypted secrets file)."""
        ref = self.get_str(key, "")
        if not ref:
            raise self.fail(key, "must name an environment variable or a secret")
        if key == "env":
            value = os.environ.get(ref)
            if not value:
                raise self.fail(key, f"environment variable {ref} is not set")
            return value
        try:
            return self.secrets.resolve(ref)
        except SecretError as e:
            raise self.fail(key, e.message) from e
