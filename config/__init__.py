from __future__ import annotations

import os

# One OCR worker runs per core, each with one Tesseract (OMP_THREAD_LIMIT=1).
# OpenBLAS would add threads of its own to every larger numpy product (the
# glyph store's shape search), which spin while idle and fight Tesseract for
# the same cores: on seeds 1000-1079 with 2 workers, 1.74 s a page against
# 1.55 s with one BLAS thread. Set before anything imports numpy (every
# entry point, manage.py, Celery and the benchmarks, imports config first).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from .celery import app as celery_app

__all__ = ("celery_app",)
