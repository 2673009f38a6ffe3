"""Raw field scores → calibrated confidence.

A raw score (weakest OCR character confidence, value plausibility, label
certainty) orders readings from doubtful to sure, but it is not a
probability: Tesseract is confidently wrong about some characters, and some
fields are harder than others. ``calibration.json`` maps raw scores to the
share of readings that were right, per field and per reading mode (table
cells or text lines), measured on generated sheets that were not used to
build the rules (``bench/ocr_calibrate.py`` fits it; the held-out bench set
checks it). Each step stores a *lower* confidence bound, so a field shown
as >= 0.9 is right at least that often, not just on average.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from .types import Quality

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")


@cache
def _table() -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return data.get("fields", {})


def calibrated(path: str, raw: float | None, *, layout: str, quality: Quality) -> float:
    """Confidence in 0..1 that the field's value (or its absence) is right."""
    table = _table()
    entry = table.get(f"{layout}:{path}") or table.get(path)
    if entry is None:
        # Not calibrated: never claim certainty.
        return 0.0 if raw is None else round(min(raw, 0.85), 3)
    if raw is None:
        return float(entry.get("missing", 0.0))
    confidence = 0.0
    for lower, value in entry.get("steps", []):
        if raw >= lower:
            confidence = value
    if quality.problems:
        # A photo we asked to retake is not one to trust without a look.
        confidence = min(confidence, 0.85)
    return float(confidence)
