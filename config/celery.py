from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("kakehashi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _load_ocr_dictionary(**_: object) -> None:
    """Each pool process loads the OCR's reading dictionary (pykakasi, ~1 s,
    ~200 MB) when it starts, not while the first patient's sheet waits."""
    from transfer.ocr import glyphs, reading

    reading.warm()
    glyphs.warm()


@worker_init.connect
def _build_glyph_store(**_: object) -> None:
    """The worker's main process draws the OCR's glyph store if this machine
    has none (a few seconds, once), before the pool processes fork and map it."""
    from transfer.ocr.glyphs import build_store

    build_store()
