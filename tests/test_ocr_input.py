"""What the OCR step accepts as a photo, and how it refuses the rest.

Every input is made here with Pillow / pillow-heif (no binary fixtures). A
photo is either an upright RGB array or an OcrFailed with a machine code and a
Japanese reason; a job whose photo is refused ends `failed` with that reason.
"""

from __future__ import annotations

import hashlib
import io
import random
import re
import struct
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageFile

from transfer import services
from transfer.models import OcrJob, TransferPhoto
from transfer.ocr import OcrFailed
from transfer.ocr.image import MIN_SHORT_SIDE, load_photo
from transfer.tasks import ocr_photo_task

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
DARK = 60  # mean value under which a corner counts as the dark marker


# --- makers ------------------------------------------------------------------


def encode(img: Image.Image, fmt: str, **params: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **params)
    return buf.getvalue()


def marked(size: tuple[int, int] = (900, 700)) -> Image.Image:
    """White, with a black square in the stored top-left corner: shows where
    that corner ends up once the photo is upright."""
    img = Image.new("RGB", size, "white")
    img.paste((0, 0, 0), (0, 0, 120, 120))
    return img


def with_orientation(img: Image.Image, fmt: str, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(img, fmt, exif=exif.tobytes())


def corners(a: np.ndarray) -> dict[str, float]:
    k = 60
    return {
        "top_left": float(a[:k, :k].mean()),
        "top_right": float(a[:k, -k:].mean()),
        "bottom_left": float(a[-k:, :k].mean()),
        "bottom_right": float(a[-k:, -k:].mean()),
    }


def dark_corner(a: np.ndarray) -> str:
    dark = [name for name, mean in corners(a).items() if mean < DARK]
    assert len(dark) == 1, corners(a)
    return dark[0]


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_1bit(width: int, height: int, *, pixels: bool = True) -> bytes:
    """A valid 1-bit PNG of width x height, built by hand so the test never
    holds the pixels: all-zero rows compress to almost nothing. Without
    `pixels`, only the header (a file that claims a size it does not have)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    body = b""
    if pixels:
        row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
        z = zlib.compressobj(9)
        block = row * 100
        idat = b"".join(z.compress(block) for _ in range(height // 100))
        idat += z.compress(row * (height % 100)) + z.flush()
        body = png_chunk(b"IDAT", idat)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + body + png_chunk(b"IEND", b"")


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) claims width x height."""
    data = bytearray(encode(Image.new("L", (16, 16), 255), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def photo_jpeg(size: tuple[int, int] = (1200, 900)) -> bytes:
    # Noise so that the JPEG is big enough to be cut in the middle of its data.
    return encode(Image.effect_noise(size, 60).convert("RGB"), "JPEG", quality=85)


def truncated_jpeg() -> bytes:
    data = photo_jpeg()
    return data[: len(data) // 2]


def truncated_heic() -> bytes:
    data = encode(Image.effect_noise((1200, 900), 60).convert("RGB"), "HEIF")
    return data[: len(data) // 2]


def refused(data: bytes, code: str) -> OcrFailed:
    with pytest.raises(OcrFailed) as caught:
        load_photo(data)
    assert caught.value.code == code, (caught.value.code, str(caught.value))
    assert JAPANESE.search(str(caught.value)), str(caught.value)
    return caught.value


# --- formats that work -------------------------------------------------------


def test_it_reads_a_jpeg_as_a_writeable_upright_rgb_array() -> None:
    a = load_photo(encode(marked(), "JPEG", quality=90))

    assert a.shape == (700, 900, 3)
    assert a.dtype == np.uint8
    assert a.flags.writeable and a.flags.c_contiguous  # OpenCV works on it in place
    assert dark_corner(a) == "top_left"


def test_it_reads_a_heic_photo_round_trip() -> None:
    data = encode(marked(), "HEIF", quality=90)
    assert data[4:12] == b"ftypheic"  # really HEIC, as an iPhone sends it

    a = load_photo(data)

    assert a.shape == (700, 900, 3)
    assert dark_corner(a) == "top_left"
    assert corners(a)["bottom_right"] > 230


def test_it_turns_a_heic_with_orientation_6_upright_once() -> None:
    # libheif applies the rotation while decoding; rotating again from the
    # EXIF tag would turn the page on its side.
    a = load_photo(with_orientation(marked(), "HEIF", 6))

    assert a.shape == (900, 700, 3)
    assert dark_corner(a) == "top_right"


@pytest.mark.parametrize(
    ("orientation", "corner"),
    [(1, "top_left"), (3, "bottom_right"), (6, "top_right"), (8, "bottom_left")],
)
def test_it_honours_the_exif_orientation_of_a_jpeg(orientation: int, corner: str) -> None:
    """A phone held upright stores the landscape sensor image plus a tag:
    6 = turn 90° clockwise to view, 8 = 90° counter-clockwise."""
    a = load_photo(with_orientation(marked(), "JPEG", orientation))

    turned = orientation in (6, 8)
    assert a.shape == ((900, 700, 3) if turned else (700, 900, 3))
    assert dark_corner(a) == corner


def test_it_reads_a_webp() -> None:
    a = load_photo(encode(marked(), "WEBP", quality=90))

    assert a.shape == (700, 900, 3)
    assert dark_corner(a) == "top_left"


def test_it_converts_a_cmyk_jpeg_to_rgb() -> None:
    img = Image.new("CMYK", (800, 700), (0, 0, 0, 0))  # no ink: white paper
    img.paste((0, 0, 0, 255), (0, 0, 120, 120))  # black ink

    a = load_photo(encode(img, "JPEG", quality=95))

    assert a.shape == (700, 800, 3)
    assert dark_corner(a) == "top_left"
    assert corners(a)["bottom_right"] > 240


def test_it_scales_a_16_bit_grayscale_png_instead_of_clipping_it_to_white() -> None:
    levels = np.full((700, 800), 32768, dtype=np.uint16)  # mid grey
    levels[:120, :120] = 0
    levels[-120:, -120:] = 65535
    data = encode(Image.fromarray(levels), "PNG")
    with Image.open(io.BytesIO(data)) as probe:
        assert probe.mode.startswith("I;16")

    a = load_photo(data)

    assert a.shape == (700, 800, 3)
    assert abs(int(a[350, 400, 0]) - 128) <= 1
    assert a[0, 0].tolist() == [0, 0, 0]
    assert a[-1, -1].tolist() == [255, 255, 255]


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P", "PA-transparency"])
def test_it_puts_transparent_pixels_on_white_paper(mode: str) -> None:
    """Transparent pixels usually store black; shown as black, a scanned page
    with a transparent background would be black on black."""
    size = (800, 700)
    if mode == "P":
        img = Image.new("P", size, 0)
        img.putpalette([0, 0, 0, 0, 0, 0])  # both palette entries black
        img.info["transparency"] = 0
        img.paste(1, (0, 0, 120, 120))
    elif mode == "PA-transparency":
        img = Image.new("L", size, 0)
        img.paste(1, (0, 0, 120, 120))
        img.info["transparency"] = 0  # a tRNS chunk on a grey image
    else:
        img = Image.new(mode, size, (0, 0, 0, 0) if mode == "RGBA" else (0, 0))
        img.paste((0, 0, 0, 255) if mode == "RGBA" else (0, 255), (0, 0, 120, 120))
    data = encode(img, "PNG", **({"transparency": 0} if "transparency" in img.info else {}))

    a = load_photo(data)

    assert a.shape == (700, 800, 3)
    assert dark_corner(a) == "top_left"  # the opaque black square
    assert a[-1, -1].tolist() == [255, 255, 255]  # transparent -> white


def test_it_reads_a_palette_png() -> None:
    a = load_photo(encode(marked().convert("P"), "PNG"))

    assert a.shape == (700, 900, 3)
    assert dark_corner(a) == "top_left"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_it_takes_the_first_frame_of_an_animation(fmt: str) -> None:
    frames = [marked(), Image.new("RGB", (900, 700), (0, 0, 0))]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)
    with Image.open(io.BytesIO(data)) as probe:
        assert getattr(probe, "n_frames", 1) == 2

    a = load_photo(data)

    assert a.shape == (700, 900, 3)
    assert dark_corner(a) == "top_left"


# --- inputs refused ----------------------------------------------------------


def test_it_refuses_an_empty_file() -> None:
    refused(b"", "empty")


def test_it_refuses_random_bytes_as_unreadable() -> None:
    refused(random.Random(1).randbytes(5000), "unreadable")


def test_it_refuses_text_as_unreadable() -> None:
    refused("患者情報 氏名 山田 花子\n".encode() * 100, "unreadable")


def test_it_refuses_a_pdf_as_an_unsupported_format_and_names_it() -> None:
    pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"

    error = refused(pdf, "unsupported")

    assert "PDF" in str(error)


def test_it_refuses_a_gif_as_an_unsupported_format() -> None:
    refused(encode(marked(), "GIF"), "unsupported")


@pytest.mark.parametrize(
    "make",
    [truncated_jpeg, lambda: photo_jpeg()[:300], truncated_heic],
    ids=["jpeg-half", "jpeg-header-only", "heic-half"],
)
def test_it_refuses_a_truncated_photo(make: Callable[[], bytes]) -> None:
    refused(make(), "truncated")


def test_it_refuses_a_50_megapixel_photo_from_its_header_before_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """50 MP (default limit 40 MP): a real, highly compressible PNG (~40 KB)
    and a JPEG whose header claims 8000 x 6250. Decoding is forbidden here, so
    the refusal can only come from the header."""
    big_png = png_1bit(10_000, 5_000)
    assert len(big_png) < 200_000

    def no_decoding(self: ImageFile.ImageFile) -> Any:
        raise AssertionError("decoded the pixels of an oversized image")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)

    for data in (big_png, jpeg_claiming(8000, 6250), png_1bit(10_000, 5_000, pixels=False)):
        error = refused(data, "too_large")
        assert "40" in str(error)  # states the limit


def test_it_refuses_a_decompression_bomb_as_too_large() -> None:
    # 400 M pixels in ~50 KB: past Pillow's own bomb limit, too.
    refused(png_1bit(20_000, 20_000), "too_large")
    refused(jpeg_claiming(65_000, 65_000), "too_large")


def test_it_applies_the_pixel_limit_from_settings(settings: Any) -> None:
    settings.KAKEHASHI_PHOTO_MAX_PIXELS = 500_000

    error = refused(encode(marked((900, 700)), "JPEG"), "too_large")

    assert "0.5" in str(error)


def test_it_refuses_a_photo_too_small_to_read() -> None:
    refused(encode(marked((400, 300)), "JPEG"), "too_small")
    refused(encode(marked((2000, MIN_SHORT_SIDE - 1)), "PNG"), "too_small")

    assert load_photo(encode(marked((MIN_SHORT_SIDE, 800)), "PNG")).shape == (800, 600, 3)


# --- through the OCR job -----------------------------------------------------


def job_for(town: Any, data: bytes) -> OcrJob:
    """A stored photo and its queued job, written directly: the upload check
    (which refuses most of these files itself) is bypassed on purpose, as a
    file on disk can go bad or a limit can change after the upload."""
    transfer = services.transfer_create(care_home=town.home_a, by=town.nurse, patient_name="試験")
    photo = TransferPhoto(
        transfer=transfer,
        page=1,
        content_type="image/jpeg",
        size_bytes=len(data),
        width=1200,
        height=900,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=town.nurse,
    )
    photo.image.save("upload", ContentFile(data), save=False)
    photo.save()
    return OcrJob.objects.create(photo=photo)


def reason(data: bytes) -> str:
    with pytest.raises(OcrFailed) as caught:
        load_photo(data)
    return str(caught.value)


@pytest.mark.parametrize(
    "make", [truncated_jpeg, lambda: png_1bit(10_000, 5_000)], ids=["truncated", "50MP"]
)
def test_it_fails_the_job_with_the_reason_when_the_stored_photo_is_refused(
    town: Any, make: Callable[[], bytes]
) -> None:
    data = make()
    job = job_for(town, data)

    # The real task, run eagerly; eager_propagates is on in tests, so any
    # exception escaping the worker would fail this line.
    ocr_photo_task.delay(job.pk)

    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error == reason(data)
    assert JAPANESE.search(job.error)
    assert job.finished_at is not None
