"""OCR of patient sheets: a photo becomes a structured record.

Public API: ``extract_page(bytes) -> PageResult`` and ``OcrFailed``.
"""

from __future__ import annotations

import os

# One thread per Tesseract: the worker already runs one OCR per process and
# OpenMP threads only fight each other on 2 cores.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from .errors import OcrFailed
from .pipeline import extract_page
from .types import FIELD_PATHS, FieldValue, PageResult, Quality

__all__ = [
    "FIELD_PATHS",
    "FieldValue",
    "OcrFailed",
    "PageResult",
    "Quality",
    "extract_page",
]
