"""Fit transfer/ocr/calibration.json: raw field scores → confidence lower bounds.

    .venv/bin/python bench/ocr_calibrate.py [--seeds 1000-1899] [--jobs 2]

1. Generates the calibration set with ../shared/sheetgen (seeds 1000-1899 by
   default, full severity range; these seeds are neither the dev set 0-29
   nor the held-out bench set 5000+), once, into var/bench/ocr-calib.
2. Extracts every sheet (the extract_sheet command's workers) and compares
   each field with the ground truth using sheetgen's score.py rules.
3. Per field and reading mode ("table": read cell by cell, "text": read as
   lines), fits an isotonic (monotone) map from raw score to the share of
   right values, in blocks of at least MIN_BLOCK readings, and stores each
   block's one-sided 95 % Wilson *lower* bound. Bounds are then made
   non-decreasing from the right, so a higher raw score never gets a lower
   confidence and no block claims more than its own evidence allows.
   A field that was not found gets the bound of "the sheet really had none".
   Values the pipeline's caps keep below green anyway (an age under 40, a
   small kana in a name …: never_shown_green) are left out of the fit.
4. Readings the second model agreed on (transfer/ocr/confirm.py) get a
   table of their own: per field with at least MIN_KEY of them, else all
   fields together, one Wilson lower bound each. The single reading's table
   is fitted on every reading, agreed or not, so it does not depend on
   which values were read twice.

Prints per field: n, how many readings reach 0.9 and their observed accuracy.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["OMP_THREAD_LIMIT"] = "1"

CALIB_DIR = ROOT / "var" / "bench" / "ocr-calib"
PRED_DIR = ROOT / "var" / "bench" / "ocr-calib-pred"
OUT = ROOT / "transfer" / "ocr" / "calibration.json"
MIN_BLOCK = 25
MIN_KEY = 40  # fewer readings than this for a (mode, field): use the field's pooled fit
Z = 1.645  # one-sided 95 %


def shared_dir() -> Path:
    candidate = ROOT.parent / "shared"
    if candidate.is_dir():
        return candidate
    return Path(os.environ["KAKEHASHI_SHARED_DIR"])


def load_scorer() -> Any:
    spec = importlib.util.spec_from_file_location("score", shared_dir() / "sheetgen" / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wilson_lower(ok: int, n: int) -> float:
    if n == 0:
        return 0.0
    p = ok / n
    denom = 1 + Z * Z / n
    centre = p + Z * Z / (2 * n)
    margin = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return max(0.0, (centre - margin) / denom)


def isotonic_blocks(points: list[tuple[float, bool]]) -> list[tuple[float, int, int]]:
    """(lowest raw score, right, n) per block of a monotone fit (pool adjacent violators).

    Readings with the same raw score start as one group: a block boundary
    between them could not be told apart at lookup, where the last step whose
    low is <= raw wins: a tie at 0.0 split in two gave every 0.0 reading the
    upper part's bound (0.978 on hand forms' pulses, and a pulse of 77 read
    as 177 was shown green).
    """
    groups: dict[float, list[float]] = {}
    for raw, ok in points:
        g = groups.setdefault(raw, [raw, 0.0, 0.0])
        g[1] += ok
        g[2] += 1
    blocks: list[list[float]] = []  # [low, ok, n]
    for raw in sorted(groups):
        blocks.append(list(groups[raw]))
        while len(blocks) > 1 and (
            blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]
            or (blocks[-1][2] < MIN_BLOCK and len(blocks) > 1 and blocks[-2][2] < MIN_BLOCK)
        ):
            last = blocks.pop()
            blocks[-1][1] += last[1]
            blocks[-1][2] += last[2]
    # Small blocks at either end are merged into their neighbour.
    merged: list[list[float]] = []
    for b in blocks:
        if merged and (b[2] < MIN_BLOCK or merged[-1][2] < MIN_BLOCK):
            merged[-1][1] += b[1]
            merged[-1][2] += b[2]
        else:
            merged.append(list(b))
    return [(b[0], int(b[1]), int(b[2])) for b in merged]


def fit(readings: list[tuple[float | None, bool]]) -> dict[str, Any]:
    found = [(r, ok) for r, ok in readings if r is not None]
    missing = [ok for r, ok in readings if r is None]
    steps: list[list[float]] = []
    if found:
        blocks = isotonic_blocks(found)
        bounds = [wilson_lower(ok, n) for _, ok, n in blocks]
        for i in range(len(bounds) - 2, -1, -1):
            bounds[i] = min(bounds[i], bounds[i + 1])
        steps = [
            [round(low, 4), round(b, 3)] for (low, _, _), b in zip(blocks, bounds, strict=True)
        ]
        steps[0][0] = 0.0
    return {
        "n": len(readings),
        "missing": round(wilson_lower(sum(missing), len(missing)), 3),
        "steps": steps,
    }


def fit_agreed(agreed: dict[str, list[bool]]) -> dict[str, Any]:
    """Readings both models agreed on, right or not, by field → one lower
    bound per field with at least MIN_KEY of them ("agreed:<path>"), and
    one for all fields together ("agreed"), which the others fall back on."""
    pooled = [ok for oks in agreed.values() for ok in oks]
    entries: dict[str, Any] = {}
    for key, oks in [("agreed", pooled), *((f"agreed:{p}", o) for p, o in agreed.items())]:
        if oks and (key == "agreed" or len(oks) >= MIN_KEY):
            entries[key] = {
                "n": len(oks),
                "right": sum(oks),
                "bound": round(wilson_lower(sum(oks), len(oks)), 3),
            }
    return entries


def seed_range(seeds: str) -> list[int]:
    lo, _, hi = seeds.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def ensure_set(seeds: str) -> list[Path]:
    """The calibration photos for these seeds, generating the missing ones once.

    A range grown later (1000-1299, then 1000-1899) only generates the new
    seeds, into a side directory that is then moved in with its manifest lines.
    """
    wanted = seed_range(seeds)
    CALIB_DIR.mkdir(parents=True, exist_ok=True)
    missing = [n for n in wanted if not (CALIB_DIR / f"sheet_{n:05d}.json").exists()]
    if missing:
        side = CALIB_DIR.parent / "ocr-calib-new"
        shutil.rmtree(side, ignore_errors=True)
        print(f"generating {len(missing)} calibration sheets into {CALIB_DIR} ...", flush=True)
        subprocess.run(
            [
                sys.executable,
                str(shared_dir() / "sheetgen" / "sheetgen.py"),
                "generate",
                "--out",
                str(side),
                "--seeds",
                ",".join(str(n) for n in missing),
                "--severity",
                "0,1",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with (CALIB_DIR / "manifest.jsonl").open("a", encoding="utf-8") as manifest:
            manifest.write((side / "manifest.jsonl").read_text(encoding="utf-8"))
        for f in side.iterdir():
            if f.name != "manifest.jsonl":
                f.replace(CALIB_DIR / f.name)
        shutil.rmtree(side)
    return [CALIB_DIR / f"sheet_{n:05d}.jpg" for n in wanted]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", default="1000-1899")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--reuse", action="store_true", help="score existing predictions only")
    ap.add_argument(
        "--check",
        metavar="SEEDS",
        help="instead of writing the fit, report confident precision and coverage "
        "on these seeds' predictions at several green bars (choose the bar on "
        "seeds the fit did not see: --seeds 1000-1699 --check 1700-1899 --reuse)",
    )
    a = ap.parse_args()

    import django

    django.setup()
    from transfer.management.commands.extract_sheet import extract_files, write_outcome
    from transfer.ocr.calibrate import band

    images = ensure_set(a.seeds)
    if not a.reuse:
        PRED_DIR.mkdir(parents=True, exist_ok=True)
        for outcome in extract_files(images, jobs=a.jobs):
            write_outcome(PRED_DIR, outcome)
    scorer = load_scorer()
    kinds = dict(scorer.FIELDS)
    readings: dict[str, list[tuple[float | None, bool]]] = {}
    agreed: dict[str, list[bool]] = {}  # readings both models agreed on, by field
    for image in images:
        truth = json.loads(image.with_suffix(".json").read_text(encoding="utf-8"))["record"]
        pred = json.loads((PRED_DIR / f"{image.stem}.json").read_text(encoding="utf-8"))
        raw = pred.get("raw_scores", {})
        mode = pred.get("layout", "")
        for path, kind in scorer.FIELDS:
            if path == "medications_dose":
                continue
            ok, _ = scorer.compare(
                kind, scorer.get_path(truth, path), scorer.get_path(pred["record"], path)
            )
            if path == "medications":
                # The list is shown with its doses: right only if both are.
                ok2, _ = scorer.compare(
                    kinds["medications_dose"],
                    scorer.get_path(truth, "medications_dose"),
                    scorer.get_path(pred["record"], "medications_dose"),
                )
                ok = ok and ok2
            if never_shown_green(path, scorer.get_path(pred["record"], path), pred):
                continue
            r = raw.get(path)
            if path in pred.get("agreed", []):
                agreed.setdefault(path, []).append(ok)
            # Every reading, agreed or not, in the single reading's table:
            # which values get a second reading depends on that table, so it
            # must not depend on the second reading.
            readings.setdefault(path, []).append((r, ok))
            readings.setdefault(f"{mode}:{path}", []).append((r, ok))
            readings.setdefault(f"{band(mode, pred.get('page_conf', 0.0))}:{path}", []).append(
                (r, ok)
            )
    fields: dict[str, Any] = {
        key: fit(values)
        for key, values in readings.items()
        if ":" not in key or len(values) >= MIN_KEY
    }
    fields.update(fit_agreed(agreed))
    if a.check:
        check_bars(fields, seed_range(a.check), scorer)
        return
    OUT.write_text(
        json.dumps(
            {"fitted_on": f"sheetgen seeds {a.seeds}, severity 0..1", "fields": fields},
            ensure_ascii=False,
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {OUT.relative_to(ROOT)} ({len(images)} sheets)")
    print(f"{'field':28s} {'n':>4s}  {'missing':>7s}  steps (raw >= x: confidence)")
    for key in sorted(fields):
        f = fields[key]
        if "bound" in f:
            print(f"{key:28s} {f['n']:4d}  {f['right']} right, bound {f['bound']:.2f}")
            continue
        steps = " ".join(f"{low:.2f}:{c:.2f}" for low, c in f["steps"])
        print(f"{key:28s} {f['n']:4d}  {f['missing']:7.2f}  {steps}")


def never_shown_green(path: str, value: Any, pred: dict[str, Any]) -> bool:
    """Whether the pipeline's caps keep this value below green whatever its
    calibrated confidence: an age under 40, a vital sign at the edge of
    life, a relation that is no kinship term, a small kana in a name …
    Such readings are left out of the fit: the table is only ever consulted
    for the others, and a block's bound should say how often *those* are
    right. Pooled in, the capped ones (mostly wrong) pulled their blocks'
    bounds down. (A kanji put right by shape, cap_respelled, cannot be told
    from the saved prediction and stays in; so do pages never shown green,
    which the page bands already set apart.)"""
    from transfer.ocr.pipeline import cap_value

    if value is None:
        return False
    page = {"layout": pred.get("layout", ""), "page_conf": pred.get("page_conf", 0.0)}
    return cap_value(path, value, 1.0, **page) < 0.9


def check_bars(fields: dict[str, Any], seeds: list[int], scorer: Any) -> None:
    """Precision and coverage of "green" on held-out predictions, per bar.

    Decided as the pipeline decides: ``calibrated`` (here with the given fit
    and bar; a photo with a quality problem is never green), then
    the value caps (``pipeline.cap_value``)."""
    from transfer.ocr.calibrate import calibrated
    from transfer.ocr.pipeline import cap_value
    from transfer.ocr.types import Quality

    bars = (0.80, 0.82, 0.85, 0.88, 0.90, 0.92)
    green: dict[float, list[bool]] = {bar: [] for bar in bars}
    pairs = 0
    for n in seeds:
        stem = f"sheet_{n:05d}"
        truth = json.loads((CALIB_DIR / f"{stem}.json").read_text(encoding="utf-8"))["record"]
        pred = json.loads((PRED_DIR / f"{stem}.json").read_text(encoding="utf-8"))
        raw = pred.get("raw_scores", {})
        quality = Quality(problems=list(pred.get("quality", {}).get("problems", [])))
        for path, kind in scorer.FIELDS:
            ok, _ = scorer.compare(
                kind, scorer.get_path(truth, path), scorer.get_path(pred["record"], path)
            )
            key = "medications" if path == "medications_dose" else path
            value = scorer.get_path(pred["record"], key)
            pairs += 1
            for bar in bars:
                confidence = calibrated(
                    key,
                    raw.get(key),
                    layout=pred.get("layout", ""),
                    page_conf=pred.get("page_conf", 0.0),
                    quality=quality,
                    agreed=key in pred.get("agreed", []),
                    table=fields,
                    bar=bar,
                )
                page = {"layout": pred.get("layout", ""), "page_conf": pred.get("page_conf", 0.0)}
                if cap_value(key, value, confidence, **page) >= 0.9:
                    green[bar].append(ok)
    print(f"held out: {len(seeds)} sheets, {pairs} (sheet, field) pairs")
    print(f"{'bar':>5s} {'coverage':>9s} {'precision':>10s} {'wrong':>6s}")
    for bar in bars:
        right = green[bar]
        precision = sum(right) / len(right) if right else float("nan")
        wrong = len(right) - sum(right)
        print(f"{bar:5.2f} {len(right) / pairs:9.3f} {precision:10.3f} {wrong:6d}")


if __name__ == "__main__":
    main()
