"""Where the shared sheet data lives: ../shared next to the checkout, or
KAKEHASHI_SHARED_DIR (CI and other layouts)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def shared_dir() -> Path:
    candidate = Path(__file__).resolve().parents[2] / "shared"
    if candidate.is_dir():
        return candidate
    env = os.environ.get("KAKEHASHI_SHARED_DIR")
    assert env, f"no {candidate} and KAKEHASHI_SHARED_DIR is not set"
    return Path(env)


def truth(stem: str) -> dict[str, Any]:
    """The ground truth of a dev photo (../shared/ocr-dev)."""
    path = shared_dir() / "ocr-dev" / f"{stem}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def photo(stem: str) -> bytes:
    """A dev photo's bytes."""
    return (shared_dir() / "ocr-dev" / f"{stem}.jpg").read_bytes()
