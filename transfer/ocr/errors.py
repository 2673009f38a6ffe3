from __future__ import annotations


class OcrFailed(Exception):
    """OCR could not run on this image.

    ``code`` is a machine code for clients; the message (Japanese) is shown to
    users as the reason the job failed.
    """

    def __init__(self, message: str, *, code: str = "ocr_failed") -> None:
        super().__init__(message)
        self.code = code
