"""The encrypted secrets file, secret references and the ``secrets`` CLI (in-memory keyring)."""

from __future__ import annotations

import argparse
import io
import json
import logging
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend
from keyring.errors import NoKeyringError

from ashare_exec.cli import secrets_cmd
from ashare_exec.secrets import (
    RedactingFilter,
    SecretError,
    SecretStore,
    default_secrets_path,
    is_reference,
    resolve_secret,
)

VALUE = "s3cr3t-Value-with-ünïcode"


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in a dict. Its ``priority`` is inherited (raises), so keyring
    never auto-selects it."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


class NoKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise NoKeyringError("no backend")


@pytest.fixture
def ring() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "secrets.enc"


def test_store_when_value_set_reopened_store_returns_it(ring: MemoryKeyring, path: Path) -> None:
    SecretStore.open(path, backend=ring).set("API_TOKEN", VALUE)
    again = SecretStore.open(path, backend=ring)
    assert again.get("API_TOKEN") == VALUE
    assert again.names() == ["API_TOKEN"]
    assert "API_TOKEN" in again


def test_store_when_written_file_holds_neither_value_nor_key(
    ring: MemoryKeyring, path: Path
) -> None:
    SecretStore.open(path, backend=ring).set("API_TOKEN", VALUE)
    text = path.read_text(encoding="utf-8")
    (key,) = ring.entries.values()
    assert VALUE not in text
    assert key not in text
    assert json.loads(text)["format"] == "ashare-exec-secrets"


def test_store_when_deleted_secret_is_gone(ring: MemoryKeyring, path: Path) -> None:
    store = SecretStore.open(path, backend=ring)
    store.set("A", "alpha-value")
    store.set("B", "beta-value")
    store.delete("A")
    again = SecretStore.open(path, backend=ring)
    assert again.names() == ["B"]
    with pytest.raises(SecretError, match="'A' is not in"):
        again.get("A")


def test_store_when_key_missing_from_keyring_error_names_key_not_value(
    ring: MemoryKeyring, path: Path
) -> None:
    SecretStore.open(path, backend=ring).set("API_TOKEN", VALUE)
    with pytest.raises(SecretError) as info:
        SecretStore.open(path, backend=MemoryKeyring()).get("API_TOKEN")
    assert "is not in the OS keyring" in info.value.message
    assert VALUE not in str(info.value)


def test_store_when_keyring_service_differs_key_is_not_found(
    ring: MemoryKeyring, path: Path
) -> None:
    SecretStore.open(path, backend=ring, keyring_service="desk-a").set("X", "value-x")
    with pytest.raises(SecretError, match="'desk-b'"):
        SecretStore.open(path, backend=ring, keyring_service="desk-b").get("X")


def test_store_when_file_tampered_decryption_fails(ring: MemoryKeyring, path: Path) -> None:
    SecretStore.open(path, backend=ring).set("API_TOKEN", VALUE)
    envelope = json.loads(path.read_text(encoding="utf-8"))
    data = envelope["data"]
    envelope["data"] = data[:-8] + ("A" if data[-8] != "A" else "B") + data[-7:]
    path.write_text(json.dumps(envelope), encoding="utf-8")
    with pytest.raises(SecretError, match="cannot be decrypted"):
        SecretStore.open(path, backend=ring).get("API_TOKEN")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("not json", "is not a secrets file"),
        ('{"format": "other"}', "is not an ashare-exec secrets file"),
        ('{"format": "ashare-exec-secrets", "version": 9, "key_id": "k", "data": "d"}', "version"),
    ],
)
def test_store_when_file_is_not_a_secrets_file_open_fails(
    ring: MemoryKeyring, path: Path, content: str, problem: str
) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SecretError, match=problem):
        SecretStore.open(path, backend=ring)


def test_store_when_no_os_keyring_error_points_to_docs(path: Path) -> None:
    with pytest.raises(SecretError, match=r"keyring is not available.*docs/secrets.md"):
        SecretStore.open(path, backend=NoKeyring()).set("A", "alpha-value")
    assert not path.exists()


@pytest.mark.parametrize("name", ["", "1abc", "has space", "a" * 65, "x/y"])
def test_store_when_name_invalid_set_is_refused(ring: MemoryKeyring, path: Path, name: str) -> None:
    with pytest.raises(SecretError, match="invalid secret name"):
        SecretStore.open(path, backend=ring).set(name, "value")


def test_store_when_value_empty_set_is_refused(ring: MemoryKeyring, path: Path) -> None:
    with pytest.raises(SecretError, match="non-empty"):
        SecretStore.open(path, backend=ring).set("A", "")


def test_store_when_new_file_names_is_empty_and_nothing_written(
    ring: MemoryKeyring, path: Path
) -> None:
    assert SecretStore.open(path, backend=ring).names() == []
    assert not path.exists()
    assert ring.entries == {}


def test_store_repr_when_loaded_shows_no_value(ring: MemoryKeyring, path: Path) -> None:
    store = SecretStore.open(path, backend=ring)
    store.set("API_TOKEN", VALUE)
    assert VALUE not in repr(store)


class _Source:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get(self, name: str) -> str:
        if name not in self.values:
            raise SecretError(f"secret {name!r} is not there")
        return self.values[name]


@pytest.mark.parametrize(
    ("reference", "expected"),
    [("env:MY_TOKEN", "from-env"), ("secret:MY_TOKEN", "from-store")],
)
def test_resolve_when_reference_valid_returns_its_source_value(
    reference: str, expected: str
) -> None:
    store = _Source({"MY_TOKEN": "from-store"})
    assert resolve_secret(reference, store, environ={"MY_TOKEN": "from-env"}) == expected


@pytest.mark.parametrize(
    ("reference", "store", "problem"),
    [
        ("env:MISSING", None, "environment variable MISSING"),
        ("secret:MISSING", {}, "'MISSING' is not there"),
        ("secret:MY_TOKEN", None, "needs the encrypted secrets file"),
        ("plain-token-value", None, "must be env:NAME or secret:NAME"),
        ("vault:X", None, "must be env:NAME or secret:NAME"),
        ("env:", None, "must be env:NAME or secret:NAME"),
    ],
)
def test_resolve_when_reference_unresolvable_error_names_it(
    reference: str, store: dict[str, str] | None, problem: str
) -> None:
    source = _Source(store) if store is not None else None
    with pytest.raises(SecretError, match=problem):
        resolve_secret(reference, source, environ={"OTHER": "x"})


def test_resolve_when_real_store_given_reads_encrypted_file(
    ring: MemoryKeyring, path: Path
) -> None:
    SecretStore.open(path, backend=ring).set("WEBHOOK", VALUE)
    store = SecretStore.open(path, backend=ring)
    assert resolve_secret("secret:WEBHOOK", store, environ={}) == VALUE


@pytest.mark.parametrize(
    ("value", "expected"),
    [("env:X", True), ("secret:X", True), ("X", False), (3, False)],
)
def test_is_reference_when_given_value_classifies_it(value: object, expected: bool) -> None:
    assert is_reference(value) is expected


@pytest.mark.parametrize(
    ("env", "config", "expected"),
    [
        ("/x/s.enc", None, Path("/x/s.enc")),
        (None, Path("/etc/gw/gateway.toml"), Path("/etc/gw/secrets.enc")),
        (None, None, Path("config") / "secrets.enc"),
    ],
)
def test_default_path_when_env_or_config_given_picks_location(
    monkeypatch: pytest.MonkeyPatch, env: str | None, config: Path | None, expected: Path
) -> None:
    if env is None:
        monkeypatch.delenv("ASHARE_EXEC_SECRETS_FILE", raising=False)
    else:
        monkeypatch.setenv("ASHARE_EXEC_SECRETS_FILE", env)
    assert default_secrets_path(config) == expected


def test_redacting_filter_when_record_holds_secret_masks_it() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter([VALUE, "abc"]))
    logger = logging.getLogger("test_secrets.redact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("token %s rejected; abc stays", VALUE)
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue() == "token *** rejected; abc stays\n"


# ---- CLI -----------------------------------------------------------------------------------


def _cli(ring: MemoryKeyring, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    secrets_cmd.register(parser.add_subparsers())
    args = parser.parse_args(["secrets", *argv])
    args.keyring_backend = ring
    code: int = args.handler(args)
    return code


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_cli_when_set_from_stdin_then_get_hides_value_unless_show(
    ring: MemoryKeyring,
    path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _stdin(monkeypatch, VALUE + "\n")
    assert _cli(ring, "set", "API_TOKEN", "--file", str(path)) == 0
    out = capsys.readouterr().out
    assert "secret:API_TOKEN" in out
    assert VALUE not in out

    assert _cli(ring, "get", "API_TOKEN", "--file", str(path)) == 0
    out = capsys.readouterr().out
    assert VALUE not in out
    assert f"({len(VALUE)} characters)" in out

    assert _cli(ring, "get", "API_TOKEN", "--file", str(path), "--show") == 0
    assert capsys.readouterr().out == VALUE + "\n"


def test_cli_when_config_given_file_sits_beside_it(
    ring: MemoryKeyring,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "config" / "gateway.toml"
    _stdin(monkeypatch, "hook-secret")
    assert _cli(ring, "set", "HOOK", "--config", str(config)) == 0
    assert (tmp_path / "config" / "secrets.enc").is_file()
    capsys.readouterr()
    assert _cli(ring, "list", "--config", str(config), "--json") == 0
    assert json.loads(capsys.readouterr().out)["names"] == ["HOOK"]


def test_cli_when_list_and_delete_names_change_values_never_shown(
    ring: MemoryKeyring,
    path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in (("A", "alpha-value"), ("B", "beta-value")):
        _stdin(monkeypatch, value)
        assert _cli(ring, "set", name, "--file", str(path)) == 0
    capsys.readouterr()
    assert _cli(ring, "list", "--file", str(path)) == 0
    out = capsys.readouterr().out
    assert out.split() == ["A", "B"]
    assert _cli(ring, "delete", "A", "--file", str(path)) == 0
    capsys.readouterr()
    assert _cli(ring, "list", "--file", str(path)) == 0
    assert capsys.readouterr().out.split() == ["B"]


@pytest.mark.parametrize(
    "argv",
    [("get", "NOPE"), ("delete", "NOPE")],
)
def test_cli_when_secret_missing_exits_2_with_message(
    ring: MemoryKeyring,
    path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
) -> None:
    _stdin(monkeypatch, "alpha-value")
    _cli(ring, "set", "A", "--file", str(path))
    assert _cli(ring, *argv, "--file", str(path)) == 2
    assert "'NOPE' is not in" in capsys.readouterr().err


def test_cli_when_prompt_values_differ_nothing_is_stored(
    ring: MemoryKeyring,
    path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    answers = iter(["first-value", "other-value"])
    monkeypatch.setattr("sys.stdin", Tty())
    monkeypatch.setattr("getpass.getpass", lambda _prompt: next(answers))
    assert _cli(ring, "set", "A", "--file", str(path)) == 2
    assert "differ" in capsys.readouterr().err
    assert not path.exists()


def test_cli_when_list_on_missing_file_says_none(
    ring: MemoryKeyring, path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(ring, "list", "--file", str(path)) == 0
    assert "(no secrets in" in capsys.readouterr().out
