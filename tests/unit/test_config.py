"""Configuration: defaults, the shipped examples, and errors that name file, key and problem."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from ashare_exec.config import default_config, load_config
from ashare_exec.errors import ConfigError
from ashare_exec.observability.rules.config import load_alerts_config
from ashare_exec.risk.config import RiskConfig

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "config"
    folder.mkdir(exist_ok=True)
    path = folder / "gateway.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_one_paper_account_on_the_simulator() -> None:
    cfg = default_config()
    assert [(a.account_id, a.venue) for a in cfg.accounts] == [("paper", "sim")]
    assert (cfg.api.host, cfg.api.port) == ("127.0.0.1", 8000)
    assert cfg.sessions.pre_close_cancel == time(14, 56)
    # A venue out of reach at start is waited for, retried after 1 s, then at most every 30 s.
    assert (cfg.sessions.wait_for_venues, cfg.sessions.venue_retry_s) == (True, 1.0)
    assert cfg.sessions.venue_retry_max_s == 30.0


def test_sessions_venue_wait_settings_load(tmp_path: Path) -> None:
    text = "[sessions]\nwait_for_venues = false\nvenue_retry_s = 2\nvenue_retry_max_s = 10\n"
    cfg = load_config(write(tmp_path, text))
    assert (cfg.sessions.wait_for_venues, cfg.sessions.venue_retry_s) == (False, 2.0)
    assert cfg.sessions.venue_retry_max_s == 10.0


@pytest.mark.parametrize(
    "name", ["gateway.example.toml", "gateway.qmt.example.toml", "gateway.vnpy.example.toml"]
)
def test_shipped_examples_load_and_their_risk_and_alert_tables_validate(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASHARE_STRATEGY_TOKEN", "s" * 20)
    monkeypatch.setenv("ASHARE_OPS_TOKEN", "o" * 20)
    cfg = load_config(ROOT / "config" / name)
    RiskConfig.from_dict(dict(cfg.risk))
    load_alerts_config({k: v for k, v in cfg.alerts.items() if k != "notifiers"})
    assert cfg.accounts


def test_relative_paths_resolve_against_the_project_folder(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, '[service]\ndata_dir = "d"\n'))
    assert cfg.data_dir == tmp_path / "d"


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("[api]\nport = 70000\n", "api.port", "between"),
        ("[api]\nhots = 1\n", "api.hots", "unknown key"),
        ("[api]\nstream_replay = -1\n", "api.stream_replay", ">= 0, was -1"),
        ("[api]\nmax_body_bytes = 10\n", "api.max_body_bytes", ">= 1024, was 10"),
        ('[clock]\nmode = "fast"\n', "clock.mode", "auto, wall or sim"),
        ('[clock]\nstart = "2026-11-25T09:30:00"\n', "clock.start", "UTC offset"),
        ('[sessions]\npre_close_cancel = "14:58"\n', "sessions.pre_close_cancel", "14:57"),
        ('[sessions]\nwait_for_venues = "yes"\n', "sessions.wait_for_venues", "true or false"),
        ("[sessions]\nvenue_retry_s = 0\n", "sessions.venue_retry_s", "> 0"),
        ("[sessions]\nvenue_retry_s = 60\n", "sessions.venue_retry_s", "venue_retry_max_s"),
        ('[journal]\ndurability = "maybe"\n', "journal.durability", "durable or fast"),
        ("[checks]\nntp_interval_s = -1\n", "checks.ntp_interval_s", ">= 0"),
        ('[[accounts]]\nid = "a"\nvenue = "ib"\n', "accounts[0].venue", "sim, qmt or vnpy"),
        ('[[accounts]]\nid = "a"\n[[accounts]]\nid = "a"\n', "accounts[1].id", "duplicate"),
        ('[[accounts]]\nid = "a"\ncash = "lots"\n', "accounts[0].cash", "decimal"),
        ('[[api.tokens]]\nname = "t"\nenv = "NOPE_NOT_SET_X"\n', "api.tokens[0].env", "not set"),
        ('[[api.tokens]]\nenv = "HOME"\nscopes = ["root"]\n', "api.tokens[0].scopes", "list"),
    ],
)
def test_invalid_value_names_file_key_and_problem(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert str(path) in e.value.message
    assert key in e.value.message
    assert problem in e.value.message


def test_api_stream_replay_sets_how_many_stream_messages_are_kept_for_resumes(
    tmp_path: Path,
) -> None:
    assert default_config().api.stream_replay == 100_000
    cfg = load_config(write(tmp_path, "[api]\nstream_replay = 5000\n"))
    assert cfg.api.stream_replay == 5000


def test_checks_ntp_interval_when_zero_measures_the_clock_at_start_only(tmp_path: Path) -> None:
    assert default_config().checks.ntp_interval_s == 600.0
    cfg = load_config(write(tmp_path, "[checks]\nntp_interval_s = 0\n"))
    assert cfg.checks.ntp_interval_s == 0.0


def test_not_toml_and_missing_file_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[api\n"))
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_token_value_comes_from_the_environment_and_is_not_in_repr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_TOKEN_VAR", "very-secret-value-123")
    cfg = load_config(
        write(tmp_path, '[[api.tokens]]\nname = "s"\nenv = "MY_TOKEN_VAR"\nscopes = ["trade"]\n')
    )
    token = cfg.api.tokens[0]
    assert token.value == "very-secret-value-123"
    assert "very-secret" not in repr(cfg)


class _Store:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get(self, name: str) -> str:
        from ashare_exec.secrets import SecretError

        if name not in self.values:
            raise SecretError(f"secret {name!r} is not in the secrets file")
        return self.values[name]


def test_token_may_reference_the_encrypted_secrets_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[[api.tokens]]\nname = "s"\ntoken = "secret:strategy"\n')
    cfg = load_config(path, secrets=_Store({"strategy": "from-the-file-0123456789"}))
    assert cfg.api.tokens[0].value == "from-the-file-0123456789"


def test_token_reference_that_resolves_to_nothing_names_the_key_not_a_value(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, '[[api.tokens]]\nname = "s"\ntoken = "secret:missing"\n')
    with pytest.raises(ConfigError) as e:
        load_config(path, secrets=_Store({"other": "do-not-print-me"}))
    assert "api.tokens[0].token" in e.value.message
    assert "do-not-print-me" not in e.value.message


def test_token_needs_exactly_one_of_env_and_token(tmp_path: Path) -> None:
    path = write(tmp_path, '[[api.tokens]]\nname = "s"\nenv = "HOME"\ntoken = "env:HOME"\n')
    with pytest.raises(ConfigError, match="exactly one"):
        load_config(path)


def test_venue_settings_references_resolve_and_plain_values_pass_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ashare_exec.config import resolve_references

    monkeypatch.setenv("XTP_PW", "pw-123456")
    cfg = load_config(write(tmp_path, '[venues.vnpy]\ngateway = "x:Y"\n'))
    table = {"settings": {"密码": "env:XTP_PW", "账号": "secret:acct", "端口": 6101}}
    out = resolve_references(table, cfg, secrets=_Store({"acct": "253191001"}))
    assert out["settings"] == {"密码": "pw-123456", "账号": "253191001", "端口": 6101}
    with pytest.raises(ConfigError, match=r"settings\.x"):
        resolve_references({"settings": {"x": "env:NOT_SET_ANYWHERE_X"}}, cfg)
