"""Secrets: from environment variables or an encrypted file whose key lives in the OS keyring.

A config value that holds a secret is a *reference*, never the secret itself:

* ``env:NAME`` — the environment variable ``NAME``;
* ``secret:NAME`` — the entry ``NAME`` of the encrypted secrets file (``config/secrets.enc``).

The secrets file is a small JSON envelope around one Fernet token (AES-128-CBC + HMAC-SHA256,
from the ``cryptography`` package) that decrypts to a JSON object of name → value. The
Fernet key is generated on the first ``set`` and stored in the OS keyring (``keyring``:
Windows Credential Manager, which is DPAPI-protected; macOS Keychain; Secret Service on
Linux) under the service name (default ``ashare-exec``) and the file's random key id, so the
file alone is useless and can be moved or backed up freely.

Errors name the file, the reference or the secret that is missing — never a value — and no
object here shows a value in its ``repr``. :class:`RedactingFilter` masks known values in log
records as a last line of defence.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import re
import secrets as _random
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from ashare_exec.errors import ConfigError

__all__ = [
    "DEFAULT_KEYRING_SERVICE",
    "SECRETS_FILE_ENV",
    "RedactingFilter",
    "SecretError",
    "SecretSource",
    "SecretStore",
    "default_secrets_path",
    "is_reference",
    "resolve_secret",
]

DEFAULT_KEYRING_SERVICE = "ashare-exec"
SECRETS_FILE_ENV = "ASHARE_EXEC_SECRETS_FILE"
"""Environment variable that overrides the secrets file location."""

_FORMAT = "ashare-exec-secrets"
_VERSION = 1
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,63}")
_MAX_VALUE = 64 * 1024


class SecretError(ConfigError):
    """A secret is missing, the secrets file cannot be read, or its key is not available.

    The message names what is missing or wrong, never a secret value.
    """

    default_code = "SECRET_UNAVAILABLE"


class SecretSource(Protocol):
    """Anything that returns a named secret (a :class:`SecretStore`, or a test double)."""

    def get(self, name: str) -> str:
        """Return the value of ``name``; raise :class:`SecretError` if there is none."""
        ...


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise SecretError(
            f"invalid secret name {name!r}: use letters, digits, '_', '.', '-' "
            "(at most 64, starting with a letter or '_')"
        )
    return name


def default_secrets_path(config_path: Path | None = None) -> Path:
    """Where the secrets file lives: ``$ASHARE_EXEC_SECRETS_FILE``, else ``secrets.enc`` next
    to the config file, else ``config/secrets.enc``."""
    env = os.environ.get(SECRETS_FILE_ENV)
    if env:
        return Path(env)
    if config_path is not None:
        return Path(config_path).parent / "secrets.enc"
    return Path("config") / "secrets.enc"


class SecretStore:
    """The encrypted secrets file. Create it with :meth:`open`.

    Reading needs the key from the keyring; the first :meth:`set` on a new file creates the
    key. Every change rewrites the whole file atomically (write a temporary file, replace).
    """

    def __init__(self, path: Path, keyring_service: str, backend: Any, key_id: str | None) -> None:
        self.path = path
        self.keyring_service = keyring_service
        self._backend = backend
        self._key_id = key_id
        self._values: dict[str, str] | None = None if key_id is not None else {}

    def __repr__(self) -> str:
        return f"SecretStore(path={str(self.path)!r}, keyring_service={self.keyring_service!r})"

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        keyring_service: str = DEFAULT_KEYRING_SERVICE,
        backend: Any = None,
    ) -> SecretStore:
        """Open the secrets file at ``path`` (it need not exist yet).

        Args:
            keyring_service: the keyring service name the key is stored under.
            backend: a ``keyring`` backend object; ``None`` uses the OS keyring.

        Raises:
            SecretError: the file exists but is not a secrets file.
        """
        p = Path(path)
        key_id: str | None = None
        if p.exists():
            key_id = _read_envelope(p)["key_id"]
        return cls(p, keyring_service, backend, key_id)

    # ---- public surface -------------------------------------------------------------------

    def get(self, name: str) -> str:
        """Return the secret ``name``.

        Raises:
            SecretError: no such secret, or the file cannot be decrypted.
        """
        _check_name(name)
        values = self._load()
        if name not in values:
            raise SecretError(f"secret {name!r} is not in {self.path}", context={"secret": name})
        return values[name]

    def set(self, name: str, value: str) -> None:
        """Store (or replace) the secret ``name`` and write the file.

        Raises:
            SecretError: invalid name or empty value, or no keyring is available.
        """
        _check_name(name)
        if not isinstance(value, str) or not value:
            raise SecretError(f"secret {name!r}: the value must be a non-empty string")
        if len(value.encode("utf-8")) > _MAX_VALUE:
            raise SecretError(f"secret {name!r}: the value is longer than {_MAX_VALUE} bytes")
        values = dict(self._load())
        values[name] = value
        self._save(values)

    def delete(self, name: str) -> None:
        """Remove the secret ``name``.

        Raises:
            SecretError: no such secret.
        """
        _check_name(name)
        values = dict(self._load())
        if name not in values:
            raise SecretError(f"secret {name!r} is not in {self.path}", context={"secret": name})
        del values[name]
        self._save(values)

    def names(self) -> list[str]:
        """The names of the stored secrets, sorted (values are not shown)."""
        return sorted(self._load())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._load()

    # ---- internals ------------------------------------------------------------------------

    def _keyring(self) -> Any:
        if self._backend is not None:
            return self._backend
        import keyring

        return keyring.get_keyring()

    def _key(self, key_id: str, *, create: bool) -> bytes:
        from keyring.errors import KeyringError

        ring = self._keyring()
        try:
            stored: str | None = ring.get_password(self.keyring_service, key_id)
            if stored is None and create:
                from cryptography.fernet import Fernet

                stored = Fernet.generate_key().decode("ascii")
                ring.set_password(self.keyring_service, key_id, stored)
        except KeyringError as e:
            raise SecretError(
                f"the OS keyring is not available for {self.path} ({type(e).__name__}); "
                "use env: references, or configure a keyring backend (docs/secrets.md)"
            ) from None
        if stored is None:
            raise SecretError(
                f"the key of {self.path} (key id {key_id}) is not in the OS keyring under "
                f"service {self.keyring_service!r}: was the file made on another machine "
                "or by another user? (docs/secrets.md)",
                context={"path": str(self.path), "key_id": key_id},
            )
        return stored.encode("ascii")

    def _load(self) -> dict[str, str]:
        if self._values is not None:
            return self._values
        from cryptography.fernet import Fernet, InvalidToken

        assert self._key_id is not None
        envelope = _read_envelope(self.path)
        key = self._key(envelope["key_id"], create=False)
        try:
            plain = Fernet(key).decrypt(envelope["data"].encode("ascii"))
            data = json.loads(plain.decode("utf-8"))
        except (InvalidToken, ValueError):
            raise SecretError(
                f"{self.path} cannot be decrypted with its keyring key: the file was changed "
                "or the key replaced"
            ) from None
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            raise SecretError(f"{self.path}: decrypted content is not a name → value table")
        self._values = data
        return data

    def _save(self, values: Mapping[str, str]) -> None:
        from cryptography.fernet import Fernet

        if self._key_id is None:
            self._key_id = base64.b32encode(_random.token_bytes(10)).decode("ascii").lower()
        key = self._key(self._key_id, create=True)
        token = Fernet(key).encrypt(json.dumps(dict(values), sort_keys=True).encode("utf-8"))
        envelope = {
            "format": _FORMAT,
            "version": _VERSION,
            "cipher": "fernet",
            "key_id": self._key_id,
            "data": token.decode("ascii"),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(envelope, f, indent=1)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self._values = dict(values)


def _read_envelope(path: Path) -> dict[str, str]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SecretError(f"secrets file {path} does not exist") from None
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise SecretError(f"{path} is not a secrets file ({type(e).__name__})") from None
    if (
        not isinstance(raw, dict)
        or raw.get("format") != _FORMAT
        or not isinstance(raw.get("key_id"), str)
        or not isinstance(raw.get("data"), str)
    ):
        raise SecretError(f"{path} is not an ashare-exec secrets file")
    if raw.get("version") != _VERSION:
        raise SecretError(f"{path}: unsupported secrets file version {raw.get('version')!r}")
    return {"key_id": raw["key_id"], "data": raw["data"]}


def is_reference(value: object) -> bool:
    """Whether ``value`` looks like a secret reference (``env:NAME`` or ``secret:NAME``)."""
    return isinstance(value, str) and value.startswith(("env:", "secret:"))


def resolve_secret(
    reference: str,
    store: SecretSource | None,
    *,
    environ: Mapping[str, str] | None = None,
) -> str:
    """Resolve a config reference to its secret value.

    ``env:NAME`` reads the environment variable ``NAME``; ``secret:NAME`` reads ``NAME``
    from ``store`` (the encrypted secrets file).

    Raises:
        SecretError: the reference is malformed, names nothing that is set, or needs a
            store that was not given. The message names the reference, never a value.
    """
    env = os.environ if environ is None else environ
    kind, sep, name = reference.partition(":") if isinstance(reference, str) else ("", "", "")
    if not sep or kind not in ("env", "secret") or not name:
        raise SecretError(
            f"secret reference {reference!r} must be env:NAME or secret:NAME "
            "(secrets are never written in the config file)"
        )
    if kind == "env":
        value = env.get(name)
        if not value:
            raise SecretError(
                f"environment variable {name} (from {reference!r}) is not set",
                context={"reference": reference},
            )
        return value
    _check_name(name)
    if store is None:
        raise SecretError(
            f"{reference!r} needs the encrypted secrets file, which is not configured",
            context={"reference": reference},
        )
    return store.get(name)


class RedactingFilter(logging.Filter):
    """A logging filter that replaces known secret values with ``***`` in every record.

    Install on handlers (``handler.addFilter(RedactingFilter(values))``); values shorter than
    four characters are ignored to avoid masking ordinary text.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        super().__init__()
        self._values: set[str] = set()
        self.add(*values)

    def add(self, *values: str) -> None:
        """Register more values to mask."""
        self._values.update(v for v in values if isinstance(v, str) and len(v) >= 4)

    def redact(self, text: str) -> str:
        """Return ``text`` with every registered value replaced by ``***``."""
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._values:
            return True
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True
