"""Settings read from the environment fail loudly on values they cannot use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parents[1]
NAME = "KAKEHASHI_TEST_KNOB"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NAME, raising=False)
    monkeypatch.delenv(f"{NAME}_FILE", raising=False)


@pytest.mark.parametrize("raw", ["maybe", "2", "tru", "nein", "1 0"])
def test_env_bool_refuses_a_value_that_is_not_a_boolean(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv(NAME, raw)
    with pytest.raises(ImproperlyConfigured, match=NAME):
        env_bool(NAME, False)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("TRUE", True),
        (" yes ", True),
        ("on", True),
        ("0", False),
        ("Off", False),
        ("", True),
    ],
)
def test_env_bool_reads_the_usual_spellings_and_defaults_when_empty(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    monkeypatch.setenv(NAME, raw)
    assert env_bool(NAME, True) is expected


@pytest.mark.parametrize("raw", ["abc", "1.5", "15MB", "0x10"])
def test_env_int_refuses_a_value_that_is_not_an_integer(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv(NAME, raw)
    with pytest.raises(ImproperlyConfigured, match=NAME):
        env_int(NAME, 1)


def test_env_int_reads_an_integer_and_defaults_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    assert env_int(NAME, 7) == 7
    monkeypatch.setenv(NAME, " 42 ")
    assert env_int(NAME, 7) == 42


def test_env_str_without_a_default_refuses_a_missing_variable() -> None:
    with pytest.raises(ImproperlyConfigured, match=NAME):
        env_str(NAME)


def test_env_str_reads_a_secret_from_the_file_named_by_name_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret-from-file\n", encoding="utf-8")
    monkeypatch.setenv(NAME, "from-the-variable")
    monkeypatch.setenv(f"{NAME}_FILE", str(secret))
    # The file wins over the variable, and its trailing newline is dropped.
    assert env_str(NAME) == "s3cret-from-file"


def test_env_str_refuses_a_name_file_that_cannot_be_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(f"{NAME}_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match=f"{NAME}_FILE"):
        env_str(NAME, "a default does not hide a broken secret file")


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, " a.example, ,b.example ,")
    assert env_list(NAME, ["x"]) == ["a.example", "b.example"]


class Started:
    def __init__(self, returncode: int, stderr: str) -> None:
        self.returncode = returncode
        self.stderr = stderr


STARTS: dict[str, dict[str, str]] = {
    "no_key": {"DEBUG": "0"},
    "short_key": {"DEBUG": "0", "SECRET_KEY": "too-short"},
    "key_file": {"DEBUG": "0", "SECRET_KEY_FILE": "<key file>"},
    "bad_debug": {"DEBUG": "perhaps"},
    "bad_max_bytes": {"KAKEHASHI_PHOTO_MAX_BYTES": "15MB"},
}


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Started]:
    """`django.setup()` in a fresh interpreter per scenario, with exactly its
    overrides (and no SECRET_KEY/DEBUG from this process). All scenarios
    start at once: each costs an interpreter and Django's imports."""
    key = tmp_path_factory.mktemp("secrets") / "key"
    key.write_text("k" * 50 + "\n", encoding="utf-8")
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "SECRET_KEY_FILE", "DEBUG"} and not k.startswith("PYTEST")
    }
    procs = {}
    for name, overrides in STARTS.items():
        env = {**base, "DJANGO_SETTINGS_MODULE": "config.settings", **overrides}
        if "SECRET_KEY_FILE" in env:
            env["SECRET_KEY_FILE"] = str(key)
        procs[name] = subprocess.Popen(
            [sys.executable, "-c", "import django; django.setup()"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    results = {}
    for name, proc in procs.items():
        _, stderr = proc.communicate(timeout=60)
        results[name] = Started(proc.returncode, stderr)
    return results


def test_django_refuses_to_start_without_debug_and_without_a_secret_key(
    started: dict[str, Started],
) -> None:
    result = started["no_key"]
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_django_refuses_to_start_without_debug_and_with_a_short_secret_key(
    started: dict[str, Started],
) -> None:
    result = started["short_key"]
    assert result.returncode != 0
    assert "SECRET_KEY must be at least 32 characters" in result.stderr


def test_django_starts_without_debug_given_a_long_secret_key_from_a_file(
    started: dict[str, Started],
) -> None:
    result = started["key_file"]
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ("bad_debug", "DEBUG='perhaps' is not a boolean"),
        ("bad_max_bytes", "KAKEHASHI_PHOTO_MAX_BYTES='15MB' is not an integer"),
    ],
)
def test_django_refuses_to_start_with_a_knob_it_cannot_parse(
    started: dict[str, Started], scenario: str, message: str
) -> None:
    result = started[scenario]
    assert result.returncode != 0
    assert message in result.stderr
