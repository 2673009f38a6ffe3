"""Kanji names against their kana reading (furigana).

A sheet prints the patient's name twice: in kanji and in kana (ふりがな).
OCR reads the two independently, so when the kana is one of the ways the
kanji can be read, both are almost certainly right; when it is not, one of
them is misread (和夫 read as 和大 cannot be read カズオ) or, rarely, the name
has a reading no dictionary holds. The readings come from pykakasi's kanwa
dictionary (derived from SKK's): general Japanese, no list of our own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import cache, lru_cache
from typing import Any


@cache
def _kanwa() -> Any:
    # pykakasi's dictionary of words and their readings, keyed by the first
    # character (loaded once per process: about a second and 200 MB).
    # pykakasi is pinned: Kanwa is its lookup class, not a documented API.
    from pykakasi.kanji import Kanwa

    return Kanwa()


def warm() -> None:
    """Load the dictionary now (a worker starting), not on the first sheet."""
    _kanwa()
    _by_second()


def _katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


def _plain(text: str) -> str:
    s = unicodedata.normalize("NFKC", text)
    return _katakana("".join(ch for ch in s if not ch.isspace()))


def _table(ch: str) -> dict[str, Any]:
    """The dictionary's words that begin with ch, with their entries."""
    return _kanwa().load(ch) or {}


def _words_at(text: str, i: int) -> list[tuple[str, Any]]:
    """(word, its dictionary entries) for every dictionary word at text[i:].

    Looked up by prefix: the table of a first character can hold thousands
    of words, the text at i only a few prefixes."""
    table = _table(text[i])
    return [
        (text[i:j], table[text[i:j]]) for j in range(i + 1, len(text) + 1) if text[i:j] in table
    ]


@lru_cache(maxsize=4096)
def _readings_at(name: str, i: int) -> frozenset[tuple[int, str]]:
    """(length, reading in katakana) of every dictionary word at name[i:]."""
    return frozenset(
        (len(word), _katakana(yomi))
        for word, entries in _words_at(name, i)
        for yomi, context in entries
        # Readings that depend on okurigana are for verbs; one ending in っ
        # (平松 ひらまっ) is a form taken only before another word.
        if context is None and not yomi.endswith("っ")
    )


_SMALL = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")


def _loose(ch: str) -> str:
    """A kana as OCR confuses it: small and full size, ゛ and ゜ alike."""
    return unicodedata.normalize("NFD", ch.translate(_SMALL))[:1]


def _exact(ch: str) -> str:
    return ch


def _fit(name: str, kana: str, same: Callable[[str], str]) -> str | None:
    """A dictionary reading of ``name`` that equals ``kana`` character by
    character once both pass through ``same``; None if there is none."""
    name, plain = _plain(name), _plain(kana)
    if not name or not plain:
        return None
    target = "".join(same(ch) for ch in plain)

    @cache
    def fit(i: int, j: int) -> str | None:
        if i == len(name):
            return "" if j == len(target) else None
        ch = name[i]
        if "ァ" <= ch <= "ヺ" or ch == "ー":
            options = [(1, ch)]
        else:
            # The reading closest to the kana as read goes first (ハセガワ,
            # not the ハセカワ that also fits loosely; サブロウ for サプロウ).
            options = sorted(
                _readings_at(name, i),
                key=lambda o: (-sum(a == b for a, b in zip(o[1], plain[j:], strict=False)), o),
            )
        for n, yomi in options:
            shape = "".join(same(c) for c in yomi)
            if target.startswith(shape, j) and (rest := fit(i + n, j + len(shape))) is not None:
                return yomi + rest
        return None

    return fit(0, 0)


def reading_like(name: str, kana: str) -> str | None:
    """A reading of the name in kanji that differs from ``kana`` only where
    OCR confuses kana (ッ/ツ, ョ/ヨ, プ/ブ), with its spaces; None if there
    is none. ``reads_as`` is the exact test."""
    found = _fit(name, kana, _loose)
    if found is None:
        return None
    # Put the reading back where the OCR kana had its spaces (family | given).
    out, k = [], 0
    for ch in _katakana(unicodedata.normalize("NFKC", kana).strip()):
        if ch.isspace():
            out.append(" ")
        elif k < len(found):
            out.append(found[k])
            k += 1
    return "".join(out)


def reads_as(name: str, kana: str) -> bool:
    """Whether ``kana`` is a reading of the name in kanji: the name splits
    into dictionary words and kana whose readings make up the kana exactly
    (長谷川|実 → ハセガワ|ミノル; 橋本|ト|シ|子 → ハシモト|ト|シ|コ)."""
    return _fit(name, kana, _exact) is not None


KANJI_RUN = re.compile(r"[\u4e00-\u9fff々]{2,}")
_SUFFIXES = frozenset("性的型化")


def word_breaks(text: str) -> tuple[int, int, int]:
    """(kanji inside runs, kanji at the ends of runs, that no dictionary word
    accounts for; kanji in runs).

    Only kanji in runs of two or more count: a run is made of words. A
    character inside a run that forms a word with neither neighbour
    (骨粗明症: 粗, 明; 誤嘆性肺炎: 嘆, 性) is most often a misread one; at the
    ends of a run stand prefixes and suffixes of one kanji (右|股関節,
    狭窄|症) as well as misread ones. A lone kanji between kana (朝より) says
    nothing either way.
    """
    inside = ends = in_runs = 0
    for m in KANJI_RUN.finditer(unicodedata.normalize("NFKC", text)):
        run = m.group()
        orphans = uncovered(run)
        at_ends = sum(i in (0, len(run) - 1) for i in orphans)
        ends += at_ends
        inside += len(orphans) - at_ends
        in_runs += len(run)
    return inside, ends, in_runs


def words_from(ch: str) -> Iterable[str]:
    """The dictionary's words that begin with ch."""
    return _table(ch).keys()


def is_word(text: str) -> bool:
    """Whether the dictionary lists ``text`` as a word (妹尾, 夫婦)."""
    return bool(text) and text in _table(text[0])


def by_second(ch: str) -> tuple[str, ...]:
    """The dictionary's words of two to five characters whose second is ch."""
    return _by_second().get(ch, ())


@cache
def _by_second() -> dict[str, tuple[str, ...]]:
    """Words of two to five characters by their second character: the
    candidates for a first character OCR misread (腎臓 read as 答臓)."""
    index: dict[str, list[str]] = {}
    for table in _kanwa()._jisyo_table.values():
        for word in table:
            if 2 <= len(word) <= 5:
                index.setdefault(word[1], []).append(word)
    return {ch: tuple(words) for ch, words in index.items()}


def uncovered(run: str) -> list[int]:
    """Positions in a run of kanji that no dictionary word of two or more
    characters covers (the suffixes 性, 的, 型, 化 after a word count as
    covered): word_breaks' orphans, by position."""
    covered = [False] * len(run)
    for i in range(len(run)):
        for word, _ in _words_at(run, i):
            if len(word) >= 2:
                covered[i : i + len(word)] = [True] * len(word)
    for i in range(1, len(run)):
        # 性, 的, 型, 化 make a new word of any word before them
        # (閉塞|性, 小体|型): the dictionary lists few such compounds.
        if run[i] in _SUFFIXES and covered[i - 1]:
            covered[i] = True
    return [i for i, c in enumerate(covered) if not c]


def substitutes(run: str, i: int) -> dict[str, int]:
    """Characters that, put at run[i], make a dictionary word with the run's
    characters around it, each with the length of the longest such word
    (誤嘆性, 1 → {嚥: 2, 解: 2, …}; 帯状交疹, 2 → {疱: 4})."""
    # The words are found through indexes rather than by reading tables of
    # thousands of words for each character, and taken in the order the
    # dictionary lists them, which is the order of the result.
    out: dict[str, int] = {}
    for start in range(max(0, i - 4), i + 1):
        k = i - start
        if k >= 2:
            # Few words share the run's two characters at start: check each.
            for word in _starting(run[start])[0].get(run[start : start + 2], ()):
                end = start + len(word)
                if end <= i or end > len(run):
                    continue
                ch = word[k]
                if ch == run[i] or word[:k] != run[start:i] or word[k + 1 :] != run[i + 1 : end]:
                    continue
                if not _kanji(ch):
                    continue
                out[ch] = max(out.get(ch, 0), len(word))
            continue
        if k == 1:
            after = _starting(run[start])[1]
        elif i + 1 < len(run):
            after = _second_of(run[i + 1])
        else:
            continue
        # Every word listed under the run's characters after i, up to some
        # end, fits (each at one end only): (its place in its list, the
        # kanji it puts at i, its length), back in list order.
        hits = sorted(
            (n, ch, end - start)
            for end in range(i + 1, len(run) + 1)
            for n, ch in after.get(run[i + 1 : end], ())
        )
        for _, ch, length in hits:
            if ch != run[i]:
                out[ch] = max(out.get(ch, 0), length)
    return out


# Word lists of the dictionary keyed by the characters after a gap, with
# (the word's place in its list, the kanji in the gap), in list order.
_Gapped = dict[str, tuple[tuple[int, str], ...]]


def _kanji(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


# Bounded: a table's index holds two entries per word; a page looks into a
# few dozen tables, a worker over time into more.
@lru_cache(maxsize=1024)
def _starting(first: str) -> tuple[dict[str, tuple[str, ...]], _Gapped]:
    """The words beginning with ``first`` (words_from), by their first two
    characters; and, where their second is a kanji, by what follows it:
    {"性": ((n, "嘆"), …)} for 誤嘆性, the n-th word."""
    by_two: dict[str, list[str]] = {}
    after: dict[str, list[tuple[int, str]]] = {}
    for n, word in enumerate(_table(first)):
        if len(word) >= 2 and word[0] == first:
            by_two.setdefault(word[:2], []).append(word)
            if _kanji(word[1]):
                after.setdefault(word[2:], []).append((n, word[1]))
    return {key: tuple(v) for key, v in by_two.items()}, {key: tuple(v) for key, v in after.items()}


def words_by_rest(first: str) -> _Gapped:
    """The words beginning with ``first`` whose second character is a
    kanji, by what follows that character: {rest: ((n, second), …)}, n
    being the word's place in words_from(first), in that order."""
    return _starting(first)[1]


@lru_cache(maxsize=1024)
def _second_of(second: str) -> _Gapped:
    """The words of _by_second()[second] that begin with a kanji, by what
    follows it."""
    index: dict[str, list[tuple[int, str]]] = {}
    for n, word in enumerate(_by_second().get(second, ())):
        if _kanji(word[0]):
            index.setdefault(word[1:], []).append((n, word[0]))
    return {key: tuple(v) for key, v in index.items()}
