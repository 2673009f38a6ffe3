"""One photo in, one PageResult out: load, prepare, recognise, extract."""

from __future__ import annotations

import time

from .calibrate import calibrated
from .cells import read_table
from .extract import extract
from .image import load_photo
from .marks import read_marks
from .preprocess import prepare
from .recognise import run_tesseract, segments_from_data
from .types import FIELD_PATHS, FieldValue, PageResult, empty_value


def extract_page(data: bytes) -> PageResult:
    """Run the whole OCR pipeline on one photo. Raises OcrFailed."""
    t0 = time.perf_counter()
    rgb = load_photo(data)
    h, w = rgb.shape[:2]
    page = prepare(rgb)
    segments = read_table(page.gray, page.lines)
    layout = "table"
    if segments is None:
        layout = "text"
        segments = segments_from_data(run_tesseract(page.gray, psm=4), vertical=page.vertical)
    found = extract(segments, marks=read_marks(page, segments))
    fields: dict[str, FieldValue] = {}
    raw: dict[str, float | None] = {}
    for path in FIELD_PATHS:
        f = found.get(path)
        raw[path] = None if f is None else f.score
        confidence = calibrated(path, raw[path], layout=layout, quality=page.quality)
        if f is None:
            fields[path] = FieldValue(empty_value(path), confidence)
        else:
            box = page.to_photo_box(f.box) if f.box else None
            fields[path] = FieldValue(f.value, confidence, box)
    text = "\n".join(s.text for s in segments)
    return PageResult(
        fields=fields,
        quality=page.quality,
        photo_size=(w, h),
        text=text,
        timing_ms=int((time.perf_counter() - t0) * 1000),
        layout=layout,
        raw_scores=raw,
    )
