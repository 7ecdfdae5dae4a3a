"""Settings: the README table and the dataclass stay in step; bad values fail clearly."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from pathlib import Path

import pytest

from linkdir.config import Settings, SettingsError, parse_duration, settings_table

STRONG = "k8S2-pQ9v_LmX3rT7yW1zB5nC0dF4gH6jK"


def readme_settings(repo_root: Path) -> dict[str, str]:
    text = (repo_root / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(LINKDIR_[A-Z_]+)` \| ([^|]*) \|", text, flags=re.M)
    return dict(rows)


def test_readme_table_lists_every_setting_and_nothing_else(repo_root: Path) -> None:
    documented = set(readme_settings(repo_root))
    in_code = {"LINKDIR_" + f.name.upper() for f in dataclasses.fields(Settings)}
    in_code.add("LINKDIR_SECRET_KEY_FILE")
    assert documented == in_code, (
        f"undocumented: {sorted(in_code - documented)}; stale: {sorted(documented - in_code)}"
    )


def test_readme_table_shows_the_real_defaults_and_meanings(repo_root: Path) -> None:
    # Regenerate: python -c "from linkdir.config import settings_table as t; print(t())"
    assert settings_table() in (repo_root / "README.md").read_text(encoding="utf-8")


def test_reads_linkdir_variables() -> None:
    settings = Settings.from_env(
        {
            "LINKDIR_SECRET_KEY": STRONG,
            "LINKDIR_CHECKER_PER_HOST": "4",
            "LINKDIR_DEMO": "yes",
            "LINKDIR_CHECK_INTERVAL_OK": "3d",
            "LINKDIR_CHECKER_ALLOW_NETWORKS": "127.0.0.0/8, 10.1.0.0/16",
        }
    )
    assert settings.checker_per_host == 4
    assert settings.demo is True
    assert settings.check_interval_ok == timedelta(days=3)
    assert settings.checker_allow_networks == ("127.0.0.0/8", "10.1.0.0/16")


def test_secret_key_can_come_from_a_file(tmp_path: Path) -> None:
    key_file = tmp_path / "secret"
    key_file.write_text(STRONG + "\n")
    settings = Settings.from_env({"LINKDIR_SECRET_KEY_FILE": str(key_file)})
    assert settings.secret_key == STRONG


@pytest.mark.parametrize("key", ["", "short", "a" * 40, "changeme"])
def test_missing_or_weak_secret_key_stops_production_start_up(key: str) -> None:
    with pytest.raises(SettingsError, match="LINKDIR_SECRET_KEY"):
        Settings.from_env({"LINKDIR_SECRET_KEY": key})


def test_development_generates_a_secret_key_and_says_so() -> None:
    settings = Settings.from_env({"LINKDIR_ENV": "development"})
    assert len(settings.secret_key) > 40
    assert settings.secret_key_was_generated


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("LINKDIR_CHECKER_PER_HOST", "two", "LINKDIR_CHECKER_PER_HOST"),
        ("LINKDIR_CHECKER_PER_HOST", "0", "at least 1"),
        ("LINKDIR_DEMO", "maybe", "true/false"),
        ("LINKDIR_CONFIRM_SPAN", "soon", "duration"),
        ("LINKDIR_CHECKER_ALLOW_NETWORKS", "10.0.0.0/33", "LINKDIR_CHECKER_ALLOW_NETWORKS"),
        ("LINKDIR_DATABASE_URL", "mysql://x", r"sqlite\+aiosqlite"),
        ("LINKDIR_ENV", "staging", "development"),
        ("LINKDIR_JOB_LEASE", "1", "LINKDIR_JOB_LEASE must be at least 2 seconds"),
        ("LINKDIR_CHECKER_TIMEOUT", "nan", "LINKDIR_CHECKER_TIMEOUT must be a positive number"),
        ("LINKDIR_CHECKER_TIMEOUT", "inf", "LINKDIR_CHECKER_TIMEOUT must be a positive number"),
        ("LINKDIR_SMTP_TIMEOUT", "nan", "LINKDIR_SMTP_TIMEOUT must be a positive number"),
        ("LINKDIR_LOG_LEVEL", "bogus", "LINKDIR_LOG_LEVEL must be one of DEBUG, INFO"),
        ("LINKDIR_LOG_LEVEL", "", "LINKDIR_LOG_LEVEL must be one of"),
        ("LINKDIR_CHECKER_USER_AGENT", "länkkoll", "LINKDIR_CHECKER_USER_AGENT must be ASCII"),
        ("LINKDIR_STALE_AFTER", "99999999999y", "LINKDIR_STALE_AFTER.*too long a duration"),
    ],
)
def test_bad_values_name_the_variable(variable: str, value: str, words: str) -> None:
    with pytest.raises(SettingsError, match=words):
        Settings.from_env({"LINKDIR_SECRET_KEY": STRONG, variable: value})


def test_a_swedish_host_name_in_the_base_url_reaches_the_user_agent_as_idna() -> None:
    """The User-Agent header holds ASCII only: with LINKDIR_BASE_URL on länkar.… every
    check failed (UnicodeEncodeError in each checking process)."""
    settings = Settings.from_env(
        {"LINKDIR_SECRET_KEY": STRONG, "LINKDIR_BASE_URL": "https://länkar.region.se/om/åäö"}
    )
    assert settings.user_agent.endswith(
        "(+https://xn--lnkar-gra.region.se/om/%C3%A5%C3%A4%C3%B6; link checker)"
    )
    assert settings.user_agent.isascii()
    assert settings.base_url == "https://länkar.region.se/om/åäö"  # links keep it readable


def test_a_binary_secret_key_file_is_refused_with_what_to_put_there(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_bytes(bytes(range(128, 256)))  # `openssl rand 48 > key`: not text
    with pytest.raises(SettingsError, match="is not text .UTF-8.; put a printable secret"):
        Settings.from_env({"LINKDIR_SECRET_KEY_FILE": str(key)})


def test_durations() -> None:
    assert parse_duration("90") == timedelta(seconds=90)
    assert parse_duration("48h") == timedelta(hours=48)
    assert parse_duration("2y") == timedelta(days=730)
    with pytest.raises(ValueError):
        parse_duration("1 fortnight")


def test_https_base_url_turns_on_secure_cookies() -> None:
    assert Settings(
        secret_key=STRONG, base_url="https://lankar.regionvasterbotten.se"
    ).secure_cookies
    assert not Settings(secret_key=STRONG).secure_cookies


def test_development_keeps_its_generated_key_across_restarts(tmp_path: Path) -> None:
    from linkdir.config import keep_development_key

    kept = tmp_path / "key"
    first = keep_development_key(Settings.from_env({"LINKDIR_ENV": "development"}), kept)
    again = keep_development_key(Settings.from_env({"LINKDIR_ENV": "development"}), kept)
    assert first.secret_key == again.secret_key and again.secret_key_was_generated
    assert kept.stat().st_mode & 0o077 == 0, "only its owner may read the key"
    production = Settings.from_env({"LINKDIR_SECRET_KEY": STRONG})
    assert keep_development_key(production, kept) is production
