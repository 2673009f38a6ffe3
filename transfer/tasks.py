from __future__ import annotations

from celery import shared_task

from .services import inquiries_expire, ocr_job_run, ocr_jobs_expire


@shared_task(acks_late=True, time_limit=180, soft_time_limit=150)
def ocr_photo_task(job_id: int) -> None:
    # Idempotent: ocr_job_run claims the job with a conditional UPDATE, so a
    # redelivered task finds it taken and does nothing.
    ocr_job_run(job_id=job_id)


@shared_task(ignore_result=True)
def inquiries_expire_task() -> int:
    return inquiries_expire()


@shared_task(ignore_result=True)
def ocr_jobs_expire_task() -> int:
    return ocr_jobs_expire()
