"""Decode an uploaded photo safely: the format, EXIF orientation and size."""

from __future__ import annotations

import io
import warnings

import numpy as np
from django.conf import settings
from PIL import Image, ImageOps

from .errors import OcrFailed

try:  # HEIC from iPhones.
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - it is a declared dependency
    pass


def load_photo(data: bytes) -> np.ndarray:
    """The photo as an RGB array, upright as the user saw it.

    Raises OcrFailed with a clear reason for anything that is not a sane photo.
    """
    max_pixels = settings.KAKEHASHI_PHOTO_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > max_pixels:
                    raise OcrFailed(
                        "画像の画素数が大きすぎます。撮り直すか縮小してください", code="too_large"
                    )
                img.load()
                upright = ImageOps.exif_transpose(img).convert("RGB")
    except OcrFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise OcrFailed("画像の画素数が大きすぎます", code="too_large") from e
    except (OSError, ValueError, SyntaxError) as e:
        raise OcrFailed(
            "画像として読み取れませんでした(壊れているか対応していない形式です)", code="unreadable"
        ) from e
    return np.asarray(upright)
