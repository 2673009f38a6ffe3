"""Ruled tables: OCR every cell on its own, in one Tesseract call.

Tesseract's page layout analysis merges neighbouring cells of a ruled form,
reads two-line cells out of order and loses values next to shaded label
cells. Cutting the cells out along the ruled lines and stacking them one
under another, with white space between, leaves it nothing to guess: each
cell's text comes back as its own lines, and we know which cell it was.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from django.conf import settings

from .recognise import Char, Segment, run_tesseract, segments_from_data, stack_images
from .stats import percentile

MIN_CELLS = 6  # fewer closed boxes than this is not a table
INSET = 3  # pixels trimmed inside a cell so its border does not print
GAP = 24  # white rows between stacked cells


@dataclass
class Cell:
    x: int
    y: int
    w: int
    h: int
    row: int = 0


def find_cells(lines: np.ndarray) -> list[Cell]:
    """Closed regions between ruled lines, in reading order."""
    height, width = lines.shape
    walls = cv2.dilate(lines, np.ones((5, 5), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(255 - walls, connectivity=4)
    cells = []
    for x, y, w, h, _area in stats[1:count]:
        # The page background around the table is one huge region; specks
        # between double lines are tiny. Neither is a cell.
        if w < 40 or h < 24 or w > 0.97 * width or h > 0.6 * height:
            continue
        cells.append(Cell(int(x), int(y), int(w), int(h)))
    if len(cells) < MIN_CELLS:
        return []
    # Rows: cells whose tops are close (half a typical cell height).
    cells.sort(key=lambda c: (c.y, c.x))
    typical = float(np.median([c.h for c in cells]))
    row, row_top = 0, cells[0].y
    for c in cells:
        if c.y - row_top > typical / 2:
            row += 1
            row_top = c.y
        c.row = row
    cells.sort(key=lambda c: (c.row, c.x))
    return cells


def _inked(
    img: np.ndarray, x: int, y: int, cell: int | None
) -> list[tuple[np.ndarray, int, int, int | None]]:
    """The part of a region that holds ink, with a margin; nothing if blank.

    Tesseract's time grows with the pixels it is given: most of a form is
    empty paper, so only the written part of each cell goes into the stack.
    """
    if img.size == 0:
        return []
    ink = img < 128
    if ink.sum() < 20:
        return []  # an empty cell or a blank margin
    rows = np.flatnonzero(ink.sum(axis=1) >= 2)
    cols = np.flatnonzero(ink.sum(axis=0) >= 2)
    if rows.size == 0 or cols.size == 0:
        return []
    margin = 8
    r0, r1 = max(0, rows[0] - margin), min(img.shape[0], rows[-1] + margin + 1)
    c0, c1 = max(0, cols[0] - margin), min(img.shape[1], cols[-1] + margin + 1)
    return [(img[r0:r1, c0:c1], x + int(c0), y + int(r0), cell)]


def _normalise(crop: np.ndarray) -> np.ndarray:
    """Shaded label cells: bring the cell's own paper level to white."""
    paper = percentile(crop, 90)
    if paper >= 250 or paper <= 60:
        return crop
    scaled = crop.astype(np.float32) * (255.0 / paper)
    return np.clip(scaled, 0, 255).astype(np.uint8)


def read_table(gray: np.ndarray, lines: np.ndarray) -> list[Segment] | None:
    """Segments of a ruled page read cell by cell, or None if it has no table."""
    cells = find_cells(lines)
    if not cells:
        return None
    height = gray.shape[0]
    top = min(c.y for c in cells)
    bottom = max(c.y + c.h for c in cells)
    pieces: list[tuple[np.ndarray, int, int, int | None]] = []  # image, page x, page y, cell
    # Text above and below the table (title, date, footnotes) goes in as a strip.
    if top > 30:
        pieces += _inked(gray[:top], 0, 0, None)
    for i, c in enumerate(cells):
        crop = gray[c.y + INSET : c.y + c.h - INSET, c.x + INSET : c.x + c.w - INSET]
        pieces += _inked(_normalise(crop), c.x + INSET, c.y + INSET, i)
    if height - bottom > 30:
        pieces += _inked(gray[bottom:], 0, bottom, None)
    if not pieces:
        return []
    stack, tops = stack_images([p[0] for p in pieces], gap=GAP, left=10)
    placed: list[tuple[int, int, int, int, int | None]] = [  # y0, y1, dx, dy, cell
        (y, y + img.shape[0], px - 10, py - y, cell)
        for y, (img, px, py, cell) in zip(tops, pieces, strict=True)
    ]
    segments = segments_from_data(
        run_tesseract(stack, psm=6, lang=settings.KAKEHASHI_OCR_CELL_LANG)
    )
    return _to_page(segments, placed, cells)


def _to_page(
    segments: list[Segment],
    placed: list[tuple[int, int, int, int, int | None]],
    cells: list[Cell],
) -> list[Segment]:
    """Move stacked segments back onto the page and order them by table row."""
    located: list[tuple[tuple[int, int, int], Segment]] = []
    table_top = min(c.y for c in cells)
    for seg in segments:
        cy = seg.box[1] + seg.box[3] / 2
        piece = next((p for p in placed if p[0] - GAP / 2 <= cy < p[1] + GAP / 2), None)
        if piece is None:
            continue
        _, _, dx, dy, cell = piece
        chars = [
            Char(c.ch, (c.box[0] + dx, c.box[1] + dy, c.box[2], c.box[3]), c.conf)
            for c in seg.chars
        ]
        moved = Segment(chars, seg.line)
        moved.cell = cell
        if cell is None:
            # A strip's place is where it lies on the page, above or below
            # the table (its offset in the stack says nothing about that).
            page_y = seg.box[1] + dy
            key = (-1 if page_y < table_top else 10_000, page_y, seg.box[0] + dx)
        else:
            key = (cells[cell].row, seg.box[1] + dy, cells[cell].x)
        located.append((key, moved))
    located.sort(key=lambda k: k[0])
    # Line numbers: the k-th text line of every cell in a table row shares
    # one number, so "label | value | label | value" reads as one row and a
    # cell's second line follows the row.
    out: list[Segment] = []
    line_of: dict[tuple[int, int], int] = {}
    per_cell_line: dict[int | None, int] = {}
    next_line = 0
    for key, seg in located:
        if seg.cell is None:
            line_key = (key[0], key[1])
        else:
            k = per_cell_line.get(seg.cell, 0)
            per_cell_line[seg.cell] = k + 1
            line_key = (key[0], k)
        if line_key not in line_of:
            line_of[line_key] = next_line
            next_line += 1
        seg.line = line_of[line_key]
        out.append(seg)
    out.sort(key=lambda s: (s.line, s.box[0]))
    return out
