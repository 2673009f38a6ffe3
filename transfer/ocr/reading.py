"""Kanji names → their kana reading, to check a name against its furigana.

A sheet prints the patient's name twice: in kanji and in kana (ふりがな).
OCR reads the two independently, so when the kanji's usual reading is the
kana that was read, both are almost certainly right; when it is not, one of
them may be misread (和夫 read as 和大 reads カズヒロ, not カズオ), or the
name has an unusual reading. pykakasi gives the usual reading from the
SKK-derived kakasi dictionary: general Japanese, no list of our own.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Any


@cache
def _kakasi() -> Any:
    # Loaded once per process (about half a second: the dictionary).
    import pykakasi

    return pykakasi.kakasi()


def _plain(text: str) -> str:
    s = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in s if not ch.isspace())


def kana_reading(text: str) -> str:
    """The usual reading of ``text`` in katakana, spaces dropped."""
    return "".join(part["kana"] for part in _kakasi().convert(_plain(text)))


def reads_as(name: str, kana: str) -> bool:
    """Whether the kanji name's usual reading is the kana given for it."""
    expected = _plain(kana)
    if not expected or not _plain(name):
        return False
    # Furigana may be printed in hiragana or katakana.
    expected = "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in expected)
    return kana_reading(name) == expected
