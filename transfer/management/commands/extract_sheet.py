"""Run the sheet extractor over photos on disk: one JSON per photo.

    python manage.py extract_sheet IMAGE_OR_DIR... --out DIR [--jobs N] [--quiet]

Writes ``DIR/<image stem>.json`` = ``PageResult.to_json()`` (record,
confidence, boxes, timing_ms, quality), the format sheetgen's ``score.py``
reads. A photo the extractor refuses (``OcrFailed``) gets an all-empty record
plus ``"error": {"code", "message"}``, so a scorer counts it as all-null
instead of skipping it; the command fails only when every photo failed.

Stdout carries per photo only its stem, time and how many fields are
confident: never patient values. No database is used (the command works with
the database down), so it also runs on a laptop or in a benchmark.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from transfer.ocr import glyphs
from transfer.ocr.types import FIELD_PATHS, record_from_flat

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".heic", ".heif", ".webp")
# The scorer's and the app's threshold for "no need to check this field".
CONFIDENT = 0.9


@dataclass
class Outcome:
    """One photo's result, as it travels back from a worker process."""

    path: str
    payload: dict[str, Any]  # what goes into <stem>.json
    timing_ms: int
    confident: int  # fields with confidence >= CONFIDENT
    error: dict[str, str] | None = None
    # Peak resident memory so far of the process that read it, or of one of
    # its Tesseract runs, whichever is larger (for the benchmark).
    peak_rss_mb: int = 0

    @property
    def stem(self) -> str:
        return Path(self.path).stem


def collect_images(args: Iterable[str]) -> list[Path]:
    """Files as given, and the images in given directories (sorted), in order."""
    found: list[Path] = []
    for arg in args:
        path = Path(arg)
        if path.is_dir():
            found.extend(
                sorted(
                    p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                )
            )
        elif path.is_file():
            found.append(path)
        else:
            raise CommandError(f"no such file or directory: {arg}")
    stems: dict[str, Path] = {}
    for p in found:
        if p.stem in stems:
            # Both would write <stem>.json; the second would silently win.
            raise CommandError(f"two images would write {p.stem}.json: {stems[p.stem]} and {p}")
        stems[p.stem] = p
    return found


def failed_payload(code: str, message: str, timing_ms: int) -> dict[str, Any]:
    conf = dict.fromkeys(FIELD_PATHS, 0.0)
    conf["medications_dose"] = 0.0
    return {
        "record": record_from_flat({}),
        "confidence": conf,
        "boxes": {},
        "timing_ms": timing_ms,
        "quality": {"ok": False, "problems": [], "page_found": False},
        "error": {"code": code, "message": message},
    }


def extract_file(path: str) -> Outcome:
    """Extract one photo. Runs in a worker process; never raises."""
    from transfer.ocr import OcrFailed, extract_page

    t0 = time.perf_counter()

    def elapsed_ms() -> int:
        return max(1, round((time.perf_counter() - t0) * 1000))

    try:
        data = Path(path).read_bytes()
        result = extract_page(data)
    except OcrFailed as e:
        error = {"code": e.code, "message": str(e)}
    except OSError as e:
        error = {"code": "io", "message": f"{type(e).__name__}: {e.strerror or ''}".strip()}
    except Exception as e:
        # An extractor bug must not stop the other photos; the type is enough
        # to find it, and the message could quote what was read.
        error = {"code": "internal", "message": f"internal error: {type(e).__name__}"}
    else:
        payload = result.to_json()
        # The extractor times itself; fall back to our clock if it did not.
        payload["timing_ms"] = int(result.timing_ms) or elapsed_ms()
        confident = sum(f.confidence >= CONFIDENT for f in result.fields.values())
        return Outcome(path, payload, payload["timing_ms"], confident, peak_rss_mb=_peak_rss_mb())
    ms = elapsed_ms()
    failed = failed_payload(error["code"], error["message"], ms)
    return Outcome(path, failed, ms, 0, error, peak_rss_mb=_peak_rss_mb())


def _peak_rss_mb() -> int:
    # ru_maxrss is in kB on Linux; RUSAGE_CHILDREN: the largest Tesseract run.
    return (
        max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        // 1024
    )


def extract_files(paths: Iterable[Path], jobs: int = 1) -> Iterator[Outcome]:
    """Outcomes in input order, from `jobs` worker processes.

    Tesseract is told to use one thread (OMP_THREAD_LIMIT=1, inherited by its
    processes): with N workers on N cores, OpenMP threads only fight over
    the same cores and every page gets slower.
    """
    os.environ["OMP_THREAD_LIMIT"] = "1"
    # Before the workers fork, so that they all map one store (and no
    # page's time includes drawing it).
    glyphs.build_store()
    names = [str(p) for p in paths]
    if jobs <= 1 or len(names) <= 1:
        yield from map(extract_file, names)
        return
    # fork: the workers inherit the configured Django settings (and any test
    # overrides) without setting Django up again.
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    # An executor, not multiprocessing.Pool: a worker that dies (a native
    # crash) raises BrokenProcessPool here instead of hanging forever.
    with ProcessPoolExecutor(
        min(jobs, len(names)), mp_context=ctx, initializer=_init_worker
    ) as pool:
        yield from pool.map(extract_file, names)


def _init_worker() -> None:
    import django
    from django.apps import apps

    if not apps.ready:  # spawned, not forked
        django.setup()
    from transfer.ocr import glyphs, reading

    reading.warm()
    glyphs.warm()


def write_outcome(out_dir: Path, outcome: Outcome) -> Path:
    target = out_dir / f"{outcome.stem}.json"
    tmp = target.with_suffix(".json.tmp")
    # Written whole then renamed: a scorer never reads half a file.
    tmp.write_text(json.dumps(outcome.payload, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(target)
    return target


class Command(BaseCommand):
    help = "Extract the structured record from sheet photos into DIR/<stem>.json (no database)."

    # The command must run with the database unreachable; system checks
    # would only slow a batch down.
    requires_system_checks: list[str] = []  # type: ignore[assignment]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "images",
            nargs="+",
            metavar="IMAGE",
            help="photos, or directories (their *.jpg, *.jpeg, *.png, *.heic, *.heif, *.webp)",
        )
        parser.add_argument("--out", required=True, help="directory for <stem>.json")
        parser.add_argument(
            "--jobs", type=int, default=1, help="worker processes (default 1; one per core)"
        )
        parser.add_argument("--quiet", action="store_true", help="print only warnings")

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = options["jobs"]
        if jobs < 1:
            raise CommandError("--jobs must be at least 1")
        paths = collect_images(options["images"])
        if not paths:
            raise CommandError("no images found")
        out_dir = Path(options["out"])
        out_dir.mkdir(parents=True, exist_ok=True)
        quiet = options["quiet"]
        store, built = glyphs.build_store()  # said here; extract_files would too
        if built and not quiet:
            self.stdout.write(f"drew the glyph store once for this machine: {store}")

        t0 = time.perf_counter()
        failed = 0
        for outcome in extract_files(paths, jobs):
            write_outcome(out_dir, outcome)
            if outcome.error is not None:
                failed += 1
                self.stderr.write(
                    f"warning: {outcome.stem}: {outcome.error['code']}: {outcome.error['message']}"
                )
            elif not quiet:
                self.stdout.write(
                    f"{outcome.stem}  {outcome.timing_ms:>6d} ms  "
                    f"confident {outcome.confident}/{len(FIELD_PATHS)}"
                )
        wall = time.perf_counter() - t0
        if not quiet:
            self.stdout.write(
                f"{len(paths)} images, {failed} failed, {wall:.1f} s wall with {jobs} process(es)"
                f" -> {out_dir}"
            )
        if failed == len(paths):
            raise CommandError(f"every image failed ({failed})")
