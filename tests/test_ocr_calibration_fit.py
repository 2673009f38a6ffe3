"""The calibration fit (bench/ocr_calibrate.py) and its lookup (transfer.ocr.calibrate)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from transfer.ocr.calibrate import agreed_bound, band, calibrated, lower_bound
from transfer.ocr.types import Quality

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


def test_it_fits_agreed_readings_apart_per_field_or_all_together() -> None:
    fitter = _fitter()
    agreed = {"name": [True] * 95 + [False] * 5, "notes": [True] * 10}

    table = fitter.fit_agreed(agreed)

    assert table["agreed:name"]["n"] == 100
    assert 0.88 < table["agreed:name"]["bound"] < 0.95  # below the 95 % seen
    assert "agreed:notes" not in table  # too few: the pooled bound serves
    assert table["agreed"]["n"] == 110
    assert agreed_bound(table, "notes") == table["agreed"]["bound"]
    assert agreed_bound(table, "name") == table["agreed:name"]["bound"]


def test_it_takes_the_better_bound_for_an_agreed_reading() -> None:
    single = {"n": 100, "missing": 0.0, "steps": [[0.0, 0.2], [0.5, 0.6]]}
    table = {"name": single, "agreed": {"n": 200, "right": 196, "bound": 0.95}}
    shown = {
        agreed: calibrated(
            "name",
            0.55,
            layout="table",
            page_conf=0.9,
            quality=Quality(),
            table=table,
            agreed=agreed,
        )
        for agreed in (False, True)
    }

    assert shown[False] < 0.9 <= shown[True]
    # A value not found has nothing to agree on.
    missing = calibrated(
        "name", None, layout="table", page_conf=0.9, quality=Quality(), table=table, agreed=True
    )
    assert missing == 0.0


def test_it_calibrates_pages_read_as_noise_apart_from_other_low_pages() -> None:
    # A page read as noise (median word confidence below 0.55) is never
    # green; its readings must not pull down the bounds of low pages that
    # can be (handwriting, soft photos).
    table = {
        "table-hi:name": {"n": 50, "missing": 0.0, "steps": [[0.0, 0.95]]},
        "table-lo:name": {"n": 50, "missing": 0.0, "steps": [[0.0, 0.9]]},
        "table-noise:name": {"n": 50, "missing": 0.0, "steps": [[0.0, 0.1]]},
    }

    def bound(page_conf: float) -> float | None:
        return lower_bound(table, "name", 0.9, layout="table", page_conf=page_conf)

    assert bound(0.9) == 0.95
    assert bound(0.7) == 0.9
    assert bound(0.5) == 0.1
    assert band("table", 0.55) == "table-lo"
    assert band("table", 0.549) == "table-noise"
