"""Decode an uploaded photo safely: the format, EXIF orientation, size and mode.

``load_photo(bytes)`` returns an upright RGB array or raises ``OcrFailed``
with a Japanese message and one of these machine codes:

- ``empty``: zero bytes;
- ``unsupported``: a recognisable file that is not a photo format we read
  (PDF, GIF, TIFF, BMP, ...);
- ``unreadable``: not an image at all, or a corrupt one;
- ``truncated``: a photo whose data stops early (an interrupted transfer);
- ``too_large``: more pixels than ``settings.KAKEHASHI_PHOTO_MAX_PIXELS``
  (decided from the header, before any pixel is decoded);
- ``too_small``: shorter side under ``MIN_SHORT_SIDE`` pixels: too coarse for
  the sheet's small print.

Accepted: JPEG (and MPO, the multi-picture JPEG some phones write), PNG, WebP, HEIC/HEIF. The
photo is checked by content, never by file name.
"""

from __future__ import annotations

import io
import re
import warnings
from typing import Final

import numpy as np
from django.conf import settings
from PIL import Image, ImageCms, UnidentifiedImageError

from .errors import OcrFailed

try:  # HEIC from iPhones.
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - it is a declared dependency
    pass

# A sheet photographed whole needs roughly this much for its ~10 px glyphs to
# survive; phones send >= 1500 px (the web client shrinks to 2000 px).
MIN_SHORT_SIDE: Final = 600

# Only these decoders ever see the bytes: Image.open otherwise tries every
# plugin Pillow has, some of them large attack surfaces (EPS hands the file
# to Ghostscript, PSD/TIFF carry decades of parser bugs) and none of them
# formats that a phone sends. (The JPEG decoder also opens MPO, the
# multi-picture JPEG some phones write; "MPO" is not a separate opener.)
ALLOWED_FORMATS: Final = ("JPEG", "PNG", "WEBP", "HEIF")

# Files people send by mistake, recognised to say "wrong format" rather than
# "broken file". Checked only when no allowed decoder accepted the bytes.
_OTHER_FORMATS: Final = (
    (b"%PDF", "PDF"),
    (b"GIF8", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"8BPS", "PSD"),
    (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
    (b"%!PS", "PostScript"),
    (b"PK\x03\x04", "ZIP"),
)
_FTYP_OTHER: Final = (b"avif", b"avis", b"qt  ", b"isom", b"mp41", b"mp42", b"M4V ")

# Decoders report an early end of data in their own words.
_TRUNCATED = re.compile(r"truncat|end of file|premature|outside of file|not enough data", re.I)

# EXIF orientation -> the transpose that makes the image upright (what
# ImageOps.exif_transpose does, without rewriting the EXIF block, whose
# parsing fails on some phones' malformed maker notes).
_ORIENTATION: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

FORMATS_HINT: Final = "JPEG・PNG・HEIC・WebP の写真"


def _failed(code: str, message: str) -> OcrFailed:
    return OcrFailed(message, code=code)


def _too_large() -> OcrFailed:
    limit_mp = settings.KAKEHASHI_PHOTO_MAX_PIXELS / 1_000_000
    return _failed(
        "too_large",
        f"画像の画素数が大きすぎます（上限 {limit_mp:g} メガピクセル）。"
        "縮小するか、スマートフォンで撮り直してください。",
    )


def _unreadable() -> OcrFailed:
    return _failed(
        "unreadable",
        f"画像として読み取れませんでした（壊れているか画像ではありません）。{FORMATS_HINT}を送ってください。",
    )


def _truncated() -> OcrFailed:
    return _failed(
        "truncated",
        "画像のデータが途中で切れています（送信が中断された可能性があります）。もう一度送ってください。",
    )


def _other_format(data: bytes) -> str | None:
    for magic, name in _OTHER_FORMATS:
        if data.startswith(magic):
            return name
    if data[4:8] == b"ftyp" and data[8:12] in _FTYP_OTHER:
        return "AVIF/動画"
    return None


def _looks_like_allowed(data: bytes) -> bool:
    """The signature of a format we read: its failure is a broken file, not a wrong one."""
    return (
        data.startswith(b"\xff\xd8")
        or data.startswith(b"\x89PNG\r\n\x1a\n")
        or (data.startswith(b"RIFF") and data[8:12] == b"WEBP")
        or (data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"))
    )


def _orientation(img: Image.Image) -> int:
    try:
        value = img.getexif().get(0x0112, 1)
    except Exception:  # malformed EXIF must not cost the photo; assume upright
        return 1
    return value if isinstance(value, int) and value in _ORIENTATION else 1


def _to_rgb(img: Image.Image) -> Image.Image:
    """Any decoded mode as 8-bit RGB, as it would look printed on white paper."""
    mode = img.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        # Pillow's convert() clips 16-bit values at 255 (a 16-bit scan turns
        # almost white): scale the range down instead.
        a = np.asarray(img)
        if mode.startswith("I;16") or a.max(initial=0) > 255:
            a = a.astype(np.float64) / 257.0
        gray = np.clip(a, 0, 255).astype(np.uint8)
        return Image.fromarray(gray).convert("RGB")
    if mode == "CMYK":
        icc = img.info.get("icc_profile")
        if icc:
            try:
                converted = ImageCms.profileToProfile(
                    img,
                    ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                    ImageCms.createProfile("sRGB"),
                    outputMode="RGB",
                )
            except (ImageCms.PyCMSError, OSError, ValueError):
                converted = None  # a broken profile: the plain conversion below
            if converted is not None:
                return converted
        return img.convert("RGB")
    has_alpha = "A" in mode or "a" in mode or "transparency" in img.info
    if has_alpha:
        # Transparent pixels carry arbitrary (often black) colour: put them on
        # white paper, not on black.
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img if mode == "RGB" else img.convert("RGB")


def load_photo(data: bytes) -> np.ndarray:
    """The photo as an RGB uint8 array (height, width, 3), upright as the user saw it.

    Raises OcrFailed with a clear reason for anything that is not a sane photo.
    The pixel limit is checked on the header, before anything is decoded, so a
    decompression bomb never allocates its pixels. Animated or multi-image
    files give their first frame.
    """
    if not data:
        raise _failed("empty", "ファイルが空です。写真を撮り直して送ってください。")
    max_pixels = settings.KAKEHASHI_PHOTO_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice it; make that
            # an error too (our own limit is normally far below it anyway).
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as img:
                width, height = img.size
                if width * height > max_pixels:
                    raise _too_large()
                if min(width, height) < MIN_SHORT_SIDE:
                    raise _failed(
                        "too_small",
                        f"画像が小さすぎます（{width}×{height} 画素）。"
                        f"短い辺が {MIN_SHORT_SIDE} 画素以上になるように撮ってください。",
                    )
                img.seek(0)  # the first frame of an animation or burst
                img.load()
                # After load(): a PNG's eXIf chunk may follow the pixel data.
                orientation = _orientation(img)
                rgb = _to_rgb(img)
    except OcrFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise _too_large() from e
    except UnidentifiedImageError as e:
        other = _other_format(data)
        if other is not None:
            raise _failed(
                "unsupported",
                f"この形式（{other}）は読み取れません。{FORMATS_HINT}を送ってください。",
            ) from e
        if _looks_like_allowed(data) and len(data) < 1024:
            # A photo's signature but not even a whole header: cut short.
            raise _truncated() from e
        raise _unreadable() from e
    except (OSError, ValueError, SyntaxError, EOFError, RuntimeError) as e:
        # pillow-heif raises ValueError/RuntimeError from libheif.
        if _TRUNCATED.search(str(e)):
            raise _truncated() from e
        raise _unreadable() from e
    except MemoryError as e:  # a header we let through still did not fit
        raise _too_large() from e
    if orientation != 1:
        rgb = rgb.transpose(_ORIENTATION[orientation])
    # A copy: np.asarray over a PIL image is read-only, and the pipeline's
    # OpenCV steps work in place.
    return np.array(rgb, dtype=np.uint8)
