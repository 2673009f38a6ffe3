"""One photo in, one PageResult out: load, prepare, recognise, extract."""

from __future__ import annotations

import time

from .image import load_photo
from .types import FIELD_PATHS, FieldValue, PageResult, Quality, empty_value


def extract_page(data: bytes) -> PageResult:
    """Run the whole OCR pipeline on one photo. Raises OcrFailed."""
    t0 = time.perf_counter()
    rgb = load_photo(data)
    h, w = rgb.shape[:2]
    # Placeholder until the extractor lands: every field empty and unsure.
    fields = {p: FieldValue(empty_value(p), 0.0) for p in FIELD_PATHS}
    return PageResult(
        fields=fields,
        quality=Quality(),
        photo_size=(w, h),
        timing_ms=int((time.perf_counter() - t0) * 1000),
    )
