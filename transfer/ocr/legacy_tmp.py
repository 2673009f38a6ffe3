"""Raw OCR with Tesseract (Japanese). Structured extraction comes later."""

from __future__ import annotations

import io

import pytesseract
from django.conf import settings
from PIL import Image, ImageOps

from .errors import OcrFailed


def recognise(data: bytes) -> str:
    try:
        with Image.open(io.BytesIO(data)) as img:
            gray = ImageOps.exif_transpose(img).convert("L")
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise OcrFailed("画像を読み取れませんでした") from e
    try:
        text = pytesseract.image_to_string(
            gray,
            lang=settings.KAKEHASHI_OCR_LANG,
            config="--psm 4",
            timeout=settings.KAKEHASHI_OCR_TIMEOUT_SECONDS,
        )
    except RuntimeError as e:  # pytesseract raises RuntimeError on timeout
        raise OcrFailed("文字認識が時間内に終わりませんでした") from e
    except pytesseract.TesseractNotFoundError as e:
        raise OcrFailed("文字認識エンジンが見つかりません") from e
    except pytesseract.TesseractError as e:
        raise OcrFailed("文字認識に失敗しました") from e
    return text.strip()
