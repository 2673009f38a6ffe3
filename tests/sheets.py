"""Where the shared sheet data lives: ../shared next to the checkout, or
KAKEHASHI_SHARED_DIR (CI and other layouts)."""

from __future__ import annotations

import os
from pathlib import Path


def shared_dir() -> Path:
    candidate = Path(__file__).resolve().parents[2] / "shared"
    if candidate.is_dir():
        return candidate
    env = os.environ.get("KAKEHASHI_SHARED_DIR")
    assert env, f"no {candidate} and KAKEHASHI_SHARED_DIR is not set"
    return Path(env)
