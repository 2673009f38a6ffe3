"""Character error rate of the recognised text, against sheetgen's baseline.

    .venv/bin/python bench/ocr_cer.py [--data ../shared/ocr-dev] [--jobs 2]

The issue's reference: sheetgen's ocr_baseline.py with
``--pre crop+gray+flat+unline --psm 4`` measured mean CER 0.21 on the dev set
at ~1.1 s/page. This script runs both that baseline (its own code, from
../shared/sheetgen) and our pipeline (``extract_page(...).text``) over the same
photos, with the baseline's metrics (CER after NFKC and whitespace removal;
order-free character recall and precision), and prints mean figures per
layout and median seconds per page. CER is order-sensitive: a table read
cell by cell (label, value, label, value) follows the ground truth's row
order, so it is comparable.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["OMP_THREAD_LIMIT"] = "1"


def shared_dir() -> Path:
    candidate = ROOT.parent / "shared"
    return candidate if candidate.is_dir() else Path(os.environ["KAKEHASHI_SHARED_DIR"])


def load_baseline() -> Any:
    path = shared_dir() / "sheetgen" / "ocr_baseline.py"
    spec = importlib.util.spec_from_file_location("ocr_baseline", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ours(path: str) -> tuple[str, float]:
    import django

    django.setup()
    from transfer.ocr import extract_page

    t0 = time.perf_counter()
    text = extract_page(Path(path).read_bytes()).text
    return text, time.perf_counter() - t0


def baseline(path: str) -> tuple[str, float]:
    import cv2
    import pytesseract

    base = load_baseline()
    t0 = time.perf_counter()
    bgr = cv2.imread(path)
    assert bgr is not None, path
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    img = base.preprocess(rgb, "crop+gray+flat+unline")
    text = pytesseract.image_to_string(img, lang="jpn", config="--psm 4")
    return text, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(shared_dir() / "ocr-dev"))
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    base = load_baseline()
    photos = sorted(str(p) for p in Path(a.data).glob("*.jpg"))
    truths = [json.loads(Path(p).with_suffix(".json").read_text(encoding="utf-8")) for p in photos]
    for name, fn in (("baseline crop+gray+flat+unline psm 4", baseline), ("kakehashi", ours)):
        with ProcessPoolExecutor(a.jobs) as pool:
            results = list(pool.map(fn, photos))
        by_layout: dict[str, list[dict[str, float]]] = {}
        for (text, _), truth in zip(results, truths, strict=True):
            m = base.text_metrics(text, truth["text"])
            by_layout.setdefault(truth["meta"]["layout"], []).append(m)
            by_layout.setdefault("all", []).append(m)
        print(f"== {name} ({len(photos)} photos)")
        for layout in ("all", "table", "letter", "hand"):
            ms = by_layout.get(layout, [])
            if not ms:
                continue
            cer = statistics.mean(m["cer"] for m in ms)
            rec = statistics.mean(m["bag_recall"] for m in ms)
            prec = statistics.mean(m["bag_prec"] for m in ms)
            print(
                f"  {layout:7s} n={len(ms):3d}  CER {cer:.3f}  "
                f"recall {rec:.3f}  precision {prec:.3f}"
            )
        secs = statistics.median(s for _, s in results)
        print(f"  median {secs:.2f} s/page ({a.jobs} processes)")


if __name__ == "__main__":
    main()
