"""The calibration fit (bench/ocr_calibrate.py) and its lookup (transfer.ocr.calibrate)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from transfer.ocr.calibrate import lower_bound

ROOT = Path(__file__).resolve().parent.parent


def _fitter() -> Any:
    spec = importlib.util.spec_from_file_location(
        "ocr_calibrate", ROOT / "bench" / "ocr_calibrate.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_it_never_splits_readings_with_the_same_raw_score() -> None:
    """Half the readings at raw 0.0 are wrong. Listed wrong ones first, the
    monotone fit used to cut the tie in two; at lookup the upper half's bound
    then applied to every 0.0 reading."""
    fitter = _fitter()
    readings = [(0.0, False)] * 30 + [(0.0, True)] * 30 + [(0.9, True)] * 100

    entry = fitter.fit(readings)

    lows = [low for low, _ in entry["steps"]]
    assert len(lows) == len(set(lows))
    bound = lower_bound({"f": entry}, "f", 0.0, layout="table", page_conf=1.0)
    assert bound is not None and bound <= 0.5  # half of them are wrong
    top = lower_bound({"f": entry}, "f", 0.9, layout="table", page_conf=1.0)
    assert top is not None and top > 0.95


def test_it_keeps_a_bound_below_the_share_of_right_readings() -> None:
    fitter = _fitter()
    readings = [(0.2, i % 4 != 0) for i in range(200)]  # 75 % right

    entry = fitter.fit(readings)

    (low, bound), *_ = entry["steps"]
    assert low == 0.0 and 0.65 < bound < 0.75
