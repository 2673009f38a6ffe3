"""One printed character told among a few candidates by its shape.

Tesseract's fast Japanese models know rare kanji poorly: 甥 and 姪 (nephew,
niece) come out as 張, 細, 妊 or 姫, or are dropped at the start of a line,
even on a sharp photo where a person reads them at once. Where the
candidates are few (a key person's relation, a closed set; the characters
the dictionary proposes for a misread kanji, respell.py), each is drawn in
the system's Japanese fonts (a gothic and a mincho) and compared with the
character in the photo; the closest shape wins, if it wins clearly.

Drawing a candidate costs about half a millisecond, and a page asks for a
few hundred new ones (the dictionary's proposals are many and varied), a
tenth of a page's time. So the characters of JIS X 0208, the set Japanese
documents are written in and the only one respell proposes from, are drawn
once per machine into a store on disk (``build_store``: a few seconds; `make
run`, the Celery worker and extract_sheet build it when it is missing),
which every process maps read-only. Other characters are drawn on demand.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import cv2
import numpy as np
from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

from .types import Box

SIZE = 32  # side of the normalised glyph image
BLUR = 1.2  # tolerance for stroke weight and small shifts between fonts
DRAWN = 96  # font size the candidates are drawn at (then normalised to SIZE)
STORE_FORMAT = 1  # bump when the drawing or normalising changes

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Match:
    ch: str
    score: float  # cosine similarity of the normalised shapes, -1..1
    margin: float  # over the best other candidate


def _normalise(ink: np.ndarray) -> np.ndarray | None:
    """Ink mask (1 = ink) → centred, square, blurred, zero-mean unit vector."""
    ys, xs = np.nonzero(ink)
    if len(xs) < 4:
        return None
    crop = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32)
    h, w = crop.shape
    side = max(h, w)
    square = np.zeros((side, side), np.float32)
    square[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = crop
    small = cv2.resize(square, (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), BLUR)
    small -= small.mean()
    norm = float(np.linalg.norm(small))
    return small / norm if norm > 1e-6 else None


def photo_glyph(gray: np.ndarray, box: Box) -> np.ndarray | None:
    """The character inside box of the (flattened, light-normalised) page."""
    x, y, w, h = box
    crop = gray[max(0, y) : y + h, max(0, x) : x + w]
    if crop.size == 0 or min(crop.shape) < 6:
        return None
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return _normalise(ink)


@cache
def _fonts() -> tuple[ImageFont.FreeTypeFont, ...]:
    fonts = []
    for path in settings.KAKEHASHI_GLYPH_FONTS:
        if Path(path).exists():
            fonts.append(ImageFont.truetype(path, DRAWN))
    return tuple(fonts)


def available() -> bool:
    return bool(_fonts())


def templates(ch: str) -> np.ndarray:
    """The character as each font draws it, normalised: one row per font (a
    row of zeros where the font has no such character)."""
    store = _store()
    if store is not None:
        index, rows = store
        at = index.get(ch)
        if at is not None:
            return rows[at]
    return _drawn(ch)


# Up to 32 MB: characters outside the store, and all of them without one.
@lru_cache(maxsize=4096)
def _drawn(ch: str) -> np.ndarray:
    rows = np.zeros((len(_fonts()), SIZE * SIZE), np.float32)
    for i, font in enumerate(_fonts()):
        img = Image.new("L", (DRAWN * 4 // 3, DRAWN * 4 // 3), 255)
        ImageDraw.Draw(img).text((DRAWN // 6, 0), ch, font=font, fill=0)
        glyph = _normalise(np.asarray(img) < 128)
        if glyph is not None:
            rows[i] = glyph.ravel()
    return rows


@cache
def store_chars() -> tuple[str, ...]:
    """Every character of JIS X 0208, in code order (rows 1-84 of EUC-JP)."""
    chars = []
    for first in range(0xA1, 0xF5):
        for second in range(0xA1, 0xFF):
            try:
                chars.append(bytes((first, second)).decode("euc_jp"))
            except UnicodeDecodeError:
                continue  # an unassigned cell
    return tuple(chars)


def store_path() -> Path:
    """Where the store for the configured fonts lives. Its name carries a
    digest of the fonts (path, size, time) and of how glyphs are drawn, so
    a new font or a new drawing never reads an old store."""
    digest = hashlib.sha256()
    for path in settings.KAKEHASHI_GLYPH_FONTS:
        stat = os.stat(path) if os.path.exists(path) else None
        digest.update(f"{path}|{stat and stat.st_size}|{stat and stat.st_mtime_ns}\n".encode())
    digest.update(f"{STORE_FORMAT}|{SIZE}|{BLUR}|{DRAWN}|{len(store_chars())}".encode())
    return Path(settings.KAKEHASHI_GLYPH_STORE_DIR) / f"glyphs-{digest.hexdigest()[:16]}.npy"


@cache
def _store() -> tuple[dict[str, int], np.ndarray] | None:
    """The store, mapped read-only (its pages are shared by every process
    on the machine), or None if it has not been built."""
    path = store_path()
    if not available() or not path.is_file():
        return None
    # A plain ndarray over the mapping (np.asarray makes no copy): indexing
    # a np.memmap goes through its Python __getitem__, which cost more than
    # the comparisons themselves (a page indexes the store thousands of times).
    rows = np.asarray(np.load(path, mmap_mode="r"))
    chars = store_chars()
    if rows.shape != (len(chars), len(_fonts()), SIZE * SIZE):
        logger.warning("glyph store %s has the wrong shape; drawing on demand", path.name)
        return None
    return {ch: i for i, ch in enumerate(chars)}, rows


def build_store() -> tuple[Path, bool]:
    """Draw the store if it is missing. Returns its path and whether it was
    built now."""
    path = store_path()
    if not available() or path.is_file():
        return path, False
    try:
        return path, _build(path)
    except OSError as e:
        # A read-only or full disk: every character is drawn on demand
        # instead, as before there was a store. Slower, never wrong.
        logger.warning("glyph store not built (%s); drawing on demand", type(e).__name__)
        return path, False


def _build(path: Path) -> bool:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Why a lock: a Celery worker and an extract_sheet batch (or two
    # workers) can start at once; one draws while the others wait, then
    # find the file there.
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.is_file():
            return False
        t0 = time.perf_counter()
        chars = store_chars()
        rows = np.zeros((len(chars), len(_fonts()), SIZE * SIZE), np.float32)
        for i, ch in enumerate(chars):
            rows[i] = _drawn.__wrapped__(ch)
        # Written whole under another name, then renamed: a reader never
        # maps half a store.
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npy", delete=False) as tmp:
            try:
                np.save(tmp, rows)
            except BaseException:
                os.unlink(tmp.name)
                raise
        # Readable by every user's worker (a temporary file starts private).
        os.chmod(tmp.name, 0o644)
        os.replace(tmp.name, path)
        logger.info(
            "glyph store: %d characters drawn in %.1f s", len(chars), time.perf_counter() - t0
        )
    _store.cache_clear()
    _screen.cache_clear()
    return True


def warm() -> None:
    """Build the store if needed and map it (a worker starting)."""
    build_store()
    _screen()


def similarities(glyph: np.ndarray, chars: list[str]) -> np.ndarray:
    """How closely the glyph matches each character's closest drawing."""
    if not chars:
        return np.zeros(0, np.float32)
    store = _store()
    index = store[0] if store is not None else {}
    at = [index.get(c, -1) for c in chars]
    if store is not None and -1 not in at:
        # All in the store: one gather instead of a stack of single rows
        # (the same values, laid out the same, so the same scores).
        stacked = store[1][at]
    else:
        stacked = np.stack([templates(c) for c in chars])
    scores: np.ndarray = stacked @ glyph.ravel()
    return scores.max(axis=1)


def nearest(glyph: np.ndarray, k: int) -> dict[str, float]:
    """The k kanji of the store whose shapes match the glyph best, with
    their similarity (empty without a store: drawing all would take seconds).

    Screened at half resolution first: comparing with every kanji at full
    size read the whole 56 MB store per character, and two workers doing
    that at once slowed each other's pages by a tenth. The SCREEN best at
    16x16 are then compared at full size."""
    store = _store()
    screen = _screen()
    if store is None or screen is None:
        return {}
    _, rows = store
    at, small = screen
    fonts = rows.shape[1]
    coarse = (small @ _pooled(glyph)).reshape(len(at), fonts).max(axis=1)
    picked = np.sort(at if len(at) <= SCREEN else at[np.argpartition(-coarse, SCREEN)[:SCREEN]])
    sims = (rows[picked] @ glyph.ravel()).max(axis=1)
    chars = store_chars()
    return {chars[picked[j]]: float(sims[j]) for j in np.argsort(-sims)[:k]}


SCREEN = 96  # kanji kept by the half-resolution screen


def _pooled(glyph: np.ndarray) -> np.ndarray:
    """A normalised glyph (or rows of them) at half resolution, normalised again."""
    g = np.asarray(glyph, np.float32).reshape(-1, SIZE // 2, 2, SIZE // 2, 2).mean(axis=(2, 4))
    g = g.reshape(g.shape[0], -1)
    g -= g.mean(axis=1, keepdims=True)
    g /= np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-6)
    return g.squeeze(0) if g.shape[0] == 1 else g


@cache
def _screen() -> tuple[np.ndarray, np.ndarray] | None:
    """The store's kanji (their rows) and their shapes at half resolution,
    one row per kanji and font (about 13 MB, in memory)."""
    store = _store()
    if store is None:
        return None
    _, rows = store
    at = np.flatnonzero([("\u4e00" <= ch <= "\u9fff") for ch in store_chars()])
    return at, _pooled(np.asarray(rows[at]).reshape(-1, SIZE * SIZE))


def similarity(glyph: np.ndarray, ch: str) -> float:
    return float(similarities(glyph, [ch])[0])


def best_of(glyph: np.ndarray, candidates: tuple[str, ...]) -> Match | None:
    scores = similarities(glyph, list(candidates))
    scored = sorted(zip(scores.tolist(), candidates, strict=True), reverse=True)
    if not scored:
        return None
    second = scored[1][0] if len(scored) > 1 else -1.0
    return Match(scored[0][1], scored[0][0], scored[0][0] - second)


def glyph_left_of(gray: np.ndarray, chars: list[Box]) -> Box | None:
    """The box of one character printed just left of a line's first
    character that OCR did not read (a dropped 甥 before a name), or None
    when the space there is blank or holds more or less than a character.

    chars are the boxes of the line's first characters; the lowest of them
    gives the text band (Tesseract's word boxes can reach into the line
    above, and a character's box is its word's, cut evenly)."""
    if not chars:
        return None
    tight = min(chars, key=lambda b: b[3])
    height = tight[3]
    middle = tight[1] + height // 2
    if height < 8:
        return None
    y0, y1 = max(0, middle - int(0.65 * height)), middle + int(0.65 * height)
    x_start = chars[0][0]
    x0 = max(0, x_start - int(2.2 * height))
    band = gray[y0:y1, x0 : x_start + sum(b[2] for b in chars)]
    if band.size == 0 or band.shape[1] <= x_start - x0:
        return None
    # The threshold comes from the band with the line's own text in it, so
    # a blank margin does not turn its grain into ink.
    ink = band[:, : max(0, x_start - x0 - 1)] < _ink_level(band)
    # Group the inked columns into characters: strokes of one character
    # stand less than a fifth of the height apart.
    runs = _column_runs(ink, least=2, gap=max(2, height // 5))
    if not runs:
        return None
    edge = ink.shape[1] - 1
    if runs[-1][1] >= edge - 3 and runs[-1][1] - runs[-1][0] < 0.5 * height:
        # The first character's own left strokes: its box from OCR, being
        # a share of its word's box, can start a little inside it.
        runs.pop()
    if not runs:
        return None
    left, right = runs[-1]
    width = right - left + 1
    if not 0.45 * height <= width <= 1.3 * height or edge - right > 1.2 * height:
        return None
    top, bottom = _row_extent(ink, left, right)
    if bottom - top + 1 < 0.45 * height:
        return None
    return (x0 + left, y0 + top, width, bottom - top + 1)


def refine(gray: np.ndarray, box: Box) -> Box | None:
    """The ink of the one character OCR boxed roughly (a character's box is
    its word's box cut evenly, so "(姪)" in "久美子(姪)090-…" is boxed a
    little off): the run of inked columns nearest the box's middle, grown
    by the runs beside it while they still make one square-ish character
    and are not a bracket."""
    x, y, w, h = box
    x0, x1 = max(0, x - h), min(gray.shape[1], x + w + h)
    region = gray[max(0, y) : y + h, x0:x1]
    if region.size == 0 or h < 8:
        return None
    ink = region < _ink_level(region)
    runs = _column_runs(ink, least=1, gap=1)
    if not runs:
        return None
    middle = x + w / 2 - x0
    i = min(range(len(runs)), key=lambda k: abs((runs[k][0] + runs[k][1]) / 2 - middle))
    lo, hi = i, i
    top, bottom = _row_extent(ink, *runs[i])
    while True:
        height = bottom - top + 1
        grown = False
        for j in (lo - 1, hi + 1):
            if not 0 <= j < len(runs):
                continue
            a, b = runs[j]
            t, u = _row_extent(ink, a, b)
            narrow_tall = b - a + 1 < 0.3 * height and u - t + 1 >= 0.95 * height
            left, right = min(a, runs[lo][0]), max(b, runs[hi][1])
            gap = runs[lo][0] - b if j < lo else a - runs[hi][1]
            too_wide = right - left + 1 > 1.15 * max(height, u - t + 1)
            if narrow_tall or gap > 0.25 * height or too_wide:
                continue
            lo, hi = min(lo, j), max(hi, j)
            top, bottom = min(top, t), max(bottom, u)
            grown = True
            break
        if not grown:
            break
    left, right = runs[lo][0], runs[hi][1]
    height = bottom - top + 1
    if right - left + 1 < 0.45 * height:
        return None
    return (x0 + left, max(0, y) + top, right - left + 1, height)


def _ink_level(region: np.ndarray) -> float:
    """The grey level below which a pixel of the region is ink: Otsu's, but
    never above 160 (a blank region's grain is no ink)."""
    level, _ = cv2.threshold(region, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return min(float(level), 160.0)


def _column_runs(ink: np.ndarray, *, least: int, gap: int) -> list[tuple[int, int]]:
    """Spans (first, last) of the columns holding at least ``least`` ink
    pixels, split where more than ``gap`` columns apart."""
    cols = np.flatnonzero(ink.sum(axis=0) >= least)
    if cols.size == 0:
        return []
    return [
        (int(r[0]), int(r[-1])) for r in np.split(cols, np.flatnonzero(np.diff(cols) > gap) + 1)
    ]


def _row_extent(ink: np.ndarray, left: int, right: int) -> tuple[int, int]:
    """First and last rows with ink between columns left and right (which
    hold some)."""
    rows = np.flatnonzero(ink[:, left : right + 1].any(axis=1))
    return int(rows[0]), int(rows[-1])
