"""Drawing test images with a Japanese font (bootstrap installs the fonts)."""

from __future__ import annotations

from pathlib import Path

from PIL import ImageFont


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
        "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    ):
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def mincho(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A mincho that is not among the fonts transfer/ocr/glyphs.py draws its
    candidates in (those are Noto), so a shape test is not a font's match
    with itself."""
    path = "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf"
    return ImageFont.truetype(path, size) if Path(path).exists() else font(size)
