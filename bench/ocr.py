"""Benchmark: the sheet extractor's accuracy, calibration and speed.

Runs ``extract_page`` (through the ``extract_sheet`` command's workers) over
1. ``../shared/ocr-dev``: the 30-photo dev set (seeds 0-29), and
2. a fresh held-out set of 120 sheets, seeds 5000-5119, full severity range
   (0..1), the generator's default layout mix, generated once into
   ``var/bench/ocr-fresh`` with ``../shared/sheetgen/sheetgen.py``.
   Seeds 1000-1899 are the rules and calibration set; 5000+ stay unseen
   by tuning, so the fresh figures are the honest ones.
3. (``--set unseen``) 120 sheets, seeds 7100-7219, drawn in fonts the rules
   were never made on: the generator's font files are stood in for by other
   Debian fonts (UNSEEN_FONTS; ``apt-get install`` the packages it names).
   A check that the rules and the calibration generalise, not a target set.

and scores the predictions with sheetgen's ``score.py`` (its ``score()``).
Prints per-field accuracy, micro accuracy per layout, confident coverage /
precision / confident-wrong at 0.9, median and p90 seconds per page (each
page's own ``timing_ms``), pages per second with N processes (wall time), and
a one-line verdict per set against the targets below.

Usage (from the repository root):
    .venv/bin/python bench/ocr.py [--set dev|fresh|both|unseen] [--limit N] [--jobs 2]
                                  [--json OUT.json]
No database, Redis or network. Predictions are kept in var/bench/ocr-pred/<set>/
for inspection (``score.py GT_DIR PRED_DIR --per-sample``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# One Tesseract thread per worker process: 2 processes on 2 cores.
os.environ["OMP_THREAD_LIMIT"] = "1"

FRESH_SEEDS = "5000-5119"
FRESH_SEVERITY = "0,1"
FRESH_DIR = ROOT / "var" / "bench" / "ocr-fresh"
PRED_ROOT = ROOT / "var" / "bench" / "ocr-pred"
UNSEEN_SEEDS = "7100-7219"
UNSEEN_DIR = ROOT / "var" / "bench" / "ocr-unseen"
# The generator's font files (it looks them up by name, first in --font-dir)
# and the Debian font drawn in their place: other gothic, mincho and
# handwriting designs than the ones the rules and calibration were made on.
UNSEEN_FONTS = {
    "NotoSansCJK-Regular.ttc": "/usr/share/fonts/truetype/vlgothic/VL-PGothic-Regular.ttf",
    "NotoSansCJK-Bold.ttc": "/usr/share/fonts/truetype/migmix/migmix-1p-bold.ttf",
    "NotoSerifCJK-Regular.ttc": (
        "/usr/share/fonts/truetype/sawarabi-mincho/sawarabi-mincho-medium.ttf"
    ),
    "ipaexg.ttf": "/usr/share/fonts/truetype/motoya-l-maruberi/MTLmr3m.ttf",
    "ipaexm.ttf": "/usr/share/fonts/truetype/horai-umefont/ume-tmo3.ttf",
    "KleeOne-Regular.ttf": "/usr/share/fonts/truetype/kiloji/kiloji.ttf",
    "setofont.ttf": "/usr/share/fonts/truetype/konatu/Konatu.ttf",
}
UNSEEN_PACKAGES = (
    "fonts-vlgothic fonts-migmix fonts-sawarabi-mincho fonts-motoya-l-maruberi "
    "fonts-horai-umefont fonts-kiloji fonts-konatu"
)
THRESHOLD = 0.9

# What "good enough to show staff pre-filled fields" means (see docs/benchmarks.md).
TARGET_MICRO = {"table": 0.85, "letter": 0.85, "hand": 0.60}
TARGET_PRECISION = 0.98
TARGET_COVERAGE = 0.6
TARGET_MEDIAN_S = 1.5


def shared_dir() -> Path:
    candidate = ROOT.parent / "shared"
    if candidate.is_dir():
        return candidate
    env = os.environ.get("KAKEHASHI_SHARED_DIR")
    if not env:
        sys.exit(f"bench/ocr.py: no {candidate} and KAKEHASHI_SHARED_DIR is not set")
    return Path(env)


def load_scorer() -> ModuleType:
    path = shared_dir() / "sheetgen" / "score.py"
    spec = importlib.util.spec_from_file_location("sheetgen_score", path)
    if spec is None or spec.loader is None:
        sys.exit(f"bench/ocr.py: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ensure_fresh_set() -> Path:
    return generate(FRESH_DIR, FRESH_SEEDS)


def ensure_unseen_set() -> Path:
    missing = [path for path in UNSEEN_FONTS.values() if not Path(path).is_file()]
    if missing and not UNSEEN_DIR.is_dir():
        sys.exit(
            f"the unseen-fonts set needs {', '.join(missing)}: apt-get install {UNSEEN_PACKAGES}"
        )
    with tempfile.TemporaryDirectory() as fonts:
        for name, path in UNSEEN_FONTS.items():
            (Path(fonts) / name).symlink_to(path)
        return generate(UNSEEN_DIR, UNSEEN_SEEDS, "--font-dir", fonts)


def generate(out: Path, seeds: str, *extra: str) -> Path:
    """Generate a set once. Into a side directory first, renamed when
    complete, so an interrupted run is not taken for a finished set."""
    if out.is_dir():
        return out
    partial = out.with_name(out.name + ".partial")
    print(f"generating seeds {seeds} into {out} ...", flush=True)
    t0 = time.perf_counter()
    subprocess.run(
        [
            sys.executable,  # the venv's: numpy, OpenCV and Pillow are there
            str(shared_dir() / "sheetgen" / "sheetgen.py"),
            "generate",
            "--out",
            str(partial),
            "--seeds",
            seeds,
            "--severity",
            FRESH_SEVERITY,
            *extra,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    partial.rename(out)
    print(f"generated in {time.perf_counter() - t0:.0f} s", flush=True)
    return out


def pick(set_dir: Path, limit: int | None) -> list[Path]:
    """The set's photos that have ground truth, sorted, the first `limit`."""
    photos = [p for p in sorted(set_dir.glob("*.jpg")) if p.with_suffix(".json").is_file()]
    return photos[:limit] if limit else photos


def seconds(ms: list[int], q: float) -> float:
    if not ms:
        return 0.0
    if len(ms) == 1:
        return ms[0] / 1000
    if q == 0.5:
        return statistics.median(ms) / 1000
    return statistics.quantiles(ms, n=100, method="inclusive")[round(q * 100) - 1] / 1000


def run_set(
    name: str, set_dir: Path, *, jobs: int, limit: int | None, scorer: Any
) -> dict[str, Any]:
    from transfer.management.commands.extract_sheet import extract_files, write_outcome

    photos = pick(set_dir, limit)
    if not photos:
        sys.exit(f"bench/ocr.py: no photos with ground truth in {set_dir}")
    pred_dir = PRED_ROOT / name
    pred_dir.mkdir(parents=True, exist_ok=True)
    for stale in pred_dir.glob("*.json"):
        stale.unlink()
    print(f"{name}: {len(photos)} photos from {set_dir}, {jobs} process(es) ...", flush=True)

    t0 = time.perf_counter()
    timings: list[int] = []
    failures: list[dict[str, str]] = []
    peak_rss_mb = 0
    for outcome in extract_files(photos, jobs):
        write_outcome(pred_dir, outcome)
        timings.append(outcome.timing_ms)
        peak_rss_mb = max(peak_rss_mb, outcome.peak_rss_mb)
        if outcome.error is not None:
            failures.append({"id": outcome.stem, "code": outcome.error["code"]})
    wall = time.perf_counter() - t0
    # The workers report their own peak (or their largest Tesseract run's):
    # this process's children also include the set's generator, when it ran.

    # Score only the photos that ran: a ground-truth folder of links to them
    # (with --limit, the others would count as all-null predictions).
    with tempfile.TemporaryDirectory(prefix="kk-bench-gt-") as gt_dir:
        for p in photos:
            (Path(gt_dir) / f"{p.stem}.json").symlink_to(p.with_suffix(".json").resolve())
        result = scorer.score(gt_dir, str(pred_dir), threshold=THRESHOLD)

    summary: dict[str, Any] = {
        "set": name,
        "dir": str(set_dir),
        "pred_dir": str(pred_dir),
        "pages": len(photos),
        "jobs": jobs,
        "failed": failures,
        "wall_s": round(wall, 3),
        "pages_per_s": round(len(photos) / wall, 3) if wall else None,
        "median_s": round(seconds(timings, 0.5), 3),
        "p90_s": round(seconds(timings, 0.9), 3),
        "peak_rss_mb": round(peak_rss_mb),
        "timing_ms": dict(zip((p.stem for p in photos), timings, strict=True)),
        "score": result,
    }
    summary["verdict"] = verdict(summary)
    return summary


def verdict(summary: dict[str, Any]) -> dict[str, Any]:
    """Each target as (value, target, met); a layout missing from the set is not met."""
    res = summary["score"]
    checks: dict[str, dict[str, Any]] = {}
    for layout, target in TARGET_MICRO.items():
        micro = res["per_layout"].get(layout, {}).get("micro")
        checks[f"micro {layout}"] = {
            "value": micro,
            "target": f">= {target}",
            "met": micro is not None and micro >= target,
        }
    conf = res["confident"]
    checks["confident precision"] = {
        "value": conf["precision"],
        "target": f">= {TARGET_PRECISION}",
        "met": conf["precision"] is not None and conf["precision"] >= TARGET_PRECISION,
    }
    checks["confident coverage"] = {
        "value": conf["coverage"],
        "target": f">= {TARGET_COVERAGE}",
        "met": conf["coverage"] >= TARGET_COVERAGE,
    }
    checks["median s/page"] = {
        "value": summary["median_s"],
        "target": f"<= {TARGET_MEDIAN_S}",
        "met": summary["median_s"] <= TARGET_MEDIAN_S,
    }
    return {"met": all(c["met"] for c in checks.values()), "checks": checks}


def fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def print_set(summary: dict[str, Any], kinds: dict[str, str]) -> None:
    res = summary["score"]
    print(f"\n== {summary['set']}: {summary['pages']} pages ({summary['dir']})")
    print(f"  {'field':24s} {'acc':>6s}  {'extra':10s} {'conf>=0.9':>9s} {'wrong':>5s}")
    for path, f in res["fields"].items():
        extra = ""
        if f["extra"] is not None:
            label = "F1" if kinds.get(path) in ("set", "med_names", "med_pairs") else "sim"
            extra = f"{label} {f['extra']:.3f}"
        print(
            f"  {path:24s} {f['accuracy']:6.3f}  {extra:10s} "
            f"{f['confident_n']:9d} {f['confident_wrong']:5d}"
        )
    print(
        f"  micro {res['micro']:.3f}   mean per-sample {res['mean_sample_accuracy']:.3f}"
        "   by layout: "
        + "  ".join(
            f"{k} {v['micro']:.3f} (n={v['samples']})" for k, v in res["per_layout"].items()
        )
    )
    c = res["confident"]
    print(
        f"  confidence >= {c['threshold']:g}: coverage {c['coverage']:.3f} ({c['n']}/{c['pairs']}),"
        f" precision {fmt(c['precision'])}, confident-wrong {c['wrong']}"
    )
    print(
        f"  speed: median {summary['median_s']:.2f} s/page, p90 {summary['p90_s']:.2f} s/page "
        f"(each page's own time); {summary['pages_per_s']:.2f} pages/s with "
        f"{summary['jobs']} process(es), {summary['wall_s']:.1f} s wall; "
        f"peak memory of a worker {summary['peak_rss_mb']} MB"
    )
    if summary["failed"]:
        codes: dict[str, int] = {}
        for f in summary["failed"]:
            codes[f["code"]] = codes.get(f["code"], 0) + 1
        print(f"  failed pages: {len(summary['failed'])} {codes}")


def verdict_line(summary: dict[str, Any]) -> str:
    v = summary["verdict"]
    parts = []
    for name, c in v["checks"].items():
        value = c["value"]
        shown = fmt(value, 2 if name.startswith("median") else 3)
        parts.append(f"{name} {shown} ({c['target']}) {'ok' if c['met'] else 'MISS'}")
    held_out = {
        "fresh": f", held-out seeds {FRESH_SEEDS}",
        "unseen": f", held-out seeds {UNSEEN_SEEDS}, other fonts",
    }.get(summary["set"], "")
    label = f"{summary['set']} ({summary['pages']} pages{held_out})"
    return f"verdict {label}: {'PASS' if v['met'] else 'FAIL'} | " + " | ".join(parts)


def environment() -> dict[str, Any]:
    def out(*cmd: str) -> str | None:
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=20, cwd=ROOT)
        except OSError:
            return None
        return (
            (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else None
        )

    return {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": out("git", "rev-parse", "--short", "HEAD"),
        "tesseract": out("tesseract", "--version"),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=("dev", "fresh", "both", "unseen"), default="both")
    parser.add_argument("--limit", type=int, help="only the first N photos of each set")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--json", type=Path, help="write the full results here")
    args = parser.parse_args()
    if args.jobs < 1 or (args.limit is not None and args.limit < 1):
        parser.error("--jobs and --limit must be at least 1")

    import django

    django.setup()
    scorer = load_scorer()
    kinds = dict(scorer.FIELDS)

    sets: list[tuple[str, Path]] = []
    if args.set in ("dev", "both"):
        sets.append(("dev", shared_dir() / "ocr-dev"))
    if args.set in ("fresh", "both"):
        sets.append(("fresh", ensure_fresh_set()))
    if args.set == "unseen":
        sets.append(("unseen", ensure_unseen_set()))

    summaries = [
        run_set(name, path, jobs=args.jobs, limit=args.limit, scorer=scorer) for name, path in sets
    ]
    for summary in summaries:
        print_set(summary, kinds)
    print()
    for summary in summaries:
        print(verdict_line(summary))

    if args.json:
        report = {
            "environment": environment(),
            "threshold": THRESHOLD,
            "targets": {
                "micro": TARGET_MICRO,
                "confident_precision": TARGET_PRECISION,
                "confident_coverage": TARGET_COVERAGE,
                "median_s_per_page": TARGET_MEDIAN_S,
            },
            "fresh": {"seeds": FRESH_SEEDS, "severity": FRESH_SEVERITY},
            "unseen": {"seeds": UNSEEN_SEEDS, "fonts": UNSEEN_FONTS},
            "sets": {s["set"]: s for s in summaries},
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"\nfull results: {args.json}")


if __name__ == "__main__":
    main()
