"""Photo → flat, evenly lit page without ruled lines, ready for Tesseract.

Steps (each measured on the dev set, see docs/benchmarks.md):
1. find the page (the largest bright convex quadrilateral) and warp it flat,
   keeping the homography so boxes can be mapped back onto the photo;
2. normalise light by dividing by a blurred background estimate;
3. find the ruled lines, keep their mask (table cells) and paint them white:
   Tesseract merges a ruled table into noise otherwise;
4. judge quality: page found, size, sharpness, light.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .stats import percentile
from .types import Box, Quality

# Working width of the flattened page. Tesseract's jpn model reads 25-40 px
# characters best; an A4 page 1600 px wide gives about that for 10-12 pt text.
PAGE_WIDTH = 1600
MIN_SHORT_SIDE = 600  # below this the characters are too small to read
# sharpness() below this: out of focus. Sharp phone photos measure 7-14; a
# 3 px blur, where small characters stop being readable, about 5.
BLUR_MIN = 5.0
# The paper's brightness (90th percentile of the page, 0-255) below which a
# photo is too dark. Light normalisation copes down to about 60 (a dev photo
# dimmed to 25 % of its light kept its fields), but at 38 one dimmed dev
# photo lost half of them while Tesseract stayed sure of itself (page
# confidence 0.90); generated photos, shadows included, measure 232 and up.
DARK_PAPER = 50


@dataclass
class Page:
    gray: np.ndarray  # flattened, light-normalised, lines removed (uint8, white paper)
    flat: np.ndarray  # the same page before line removal (boxes and circles intact)
    lines: np.ndarray  # mask of the ruled lines (uint8 0/255), same size
    vertical: np.ndarray  # the vertical ones only: cell borders within a row
    inverse: np.ndarray  # 3x3 homography from page coordinates to photo coordinates
    quality: Quality

    def to_photo_box(self, box: Box) -> Box:
        """Bounding box in the photo of a box on the flattened page."""
        x, y, w, h = box
        pts = np.array([[[x, y]], [[x + w, y]], [[x + w, y + h]], [[x, y + h]]], np.float32)
        mapped = cv2.perspectiveTransform(pts, self.inverse).reshape(4, 2)
        x0, y0 = mapped.min(0)
        x1, y1 = mapped.max(0)
        return (int(x0), int(y0), round(x1 - x0), round(y1 - y0))


def _order(quad: np.ndarray) -> np.ndarray:
    """Corners as top-left, top-right, bottom-right, bottom-left."""
    pts = quad.reshape(4, 2).astype(np.float32)
    s = pts.sum(1)
    d = np.diff(pts, axis=1).ravel()
    return np.array(
        [pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], np.float32
    )


def _edge_contrast(small: np.ndarray, quad: np.ndarray) -> tuple[float, int]:
    """How much brighter the quad's inner rim is than its outer rim, and on
    how many sides that could be judged (the others run off the photo).

    A real page edge is a step from paper to desk all the way round; a quad
    that cuts through the page or the desk has little contrast on some side.
    Scored by the weakest side so one good edge cannot carry a bad quad.
    """
    h, w = small.shape
    centre = quad.mean(0)
    sides = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        ts = np.linspace(0.1, 0.9, 24)
        pts = a[None, :] * (1 - ts[:, None]) + b[None, :] * ts[:, None]
        normal = centre - (a + b) / 2
        normal = normal / max(float(np.linalg.norm(normal)), 1e-6)
        inner = np.clip(np.rint(pts + normal * 6), 0, [w - 1, h - 1]).astype(int)
        outer = np.rint(pts - normal * 6).astype(int)
        inside = (outer[:, 0] >= 0) & (outer[:, 0] < w) & (outer[:, 1] >= 0) & (outer[:, 1] < h)
        if inside.sum() < 6:
            # The page runs off the photo on this side: no evidence either way.
            sides.append(float("nan"))
            continue
        vin = small[inner[inside, 1], inner[inside, 0]].astype(np.float32)
        vout = small[outer[inside, 1], outer[inside, 0]].astype(np.float32)
        sides.append(float(np.median(vin - vout)))
    seen = [v for v in sides if v == v]
    if len(seen) < 2:
        # Mostly off the photo: only believe it if what it holds looks like
        # paper (bright), not a desk or a wall filling the frame.
        mask = np.zeros(small.shape, np.uint8)
        cv2.fillConvexPoly(mask, quad.astype(np.int32), 255)
        return (20.0 if float(np.median(small[mask > 0])) >= 110 else 0.0), len(seen)
    return min(seen), len(seen)


def _brighter_inside(small: np.ndarray, quad: np.ndarray) -> bool:
    """Paper is brighter than the desk around it (when any desk shows)."""
    mask = np.zeros(small.shape, np.uint8)
    cv2.fillConvexPoly(mask, quad.astype(np.int32), 255)
    outside = small[mask == 0]
    if outside.size < 0.05 * small.size:
        return True  # the sheet fills the photo
    return float(np.median(small[mask > 0])) - float(np.median(outside)) >= 15


def sharpness(flat: np.ndarray) -> float:
    """Steepest edges relative to the page's contrast (blur flattens edges).

    Measured at half size after a median filter, so sensor noise and JPEG
    speckle (which a plain Laplacian variance mistakes for detail) do not
    count as sharpness.
    """
    small = cv2.resize(flat, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    small = cv2.medianBlur(small, 3)
    gx = cv2.Sobel(small, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(small, cv2.CV_32F, 0, 1)
    steepest = float(np.percentile(np.sqrt(gx * gx + gy * gy), 99.5))
    contrast = percentile(small, 95) - percentile(small, 5)
    return steepest / max(contrast, 1.0)


# Brightness step (0-255, the weakest side's median) from the desk into a
# quad seen on all four sides that marks it as the sheet even when the
# paper is no brighter than the desk overall (a shadow across a light desk).
CLEAR_EDGE = 12


def find_page(gray: np.ndarray) -> np.ndarray | None:
    """Corners of the sheet in the photo, or None when no page-like quad is seen."""
    scale = 800.0 / max(gray.shape)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (5, 5), 0)
    area = small.shape[0] * small.shape[1]
    masks = []
    otsu, bright = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    masks.append(bright)
    # Light desks and shadows move Otsu's threshold; try brighter cut-offs too.
    for q in (60, 75):
        cut = percentile(small, q)
        masks.append(np.where(small > max(cut, otsu) - 5, 255, 0).astype(np.uint8))
    masks = [cv2.morphologyEx(m, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8)) for m in masks]
    masks = [cv2.morphologyEx(m, cv2.MORPH_OPEN, np.ones((9, 9), np.uint8)) for m in masks]
    masks.append(cv2.dilate(cv2.Canny(small, 30, 90), np.ones((3, 3), np.uint8)))
    best: tuple[float, np.ndarray] | None = None
    for mask in masks:
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for c in sorted(contours, key=cv2.contourArea, reverse=True)[:4]:
            if cv2.contourArea(c) < 0.15 * area:
                break
            hull = cv2.convexHull(c)
            perimeter = cv2.arcLength(hull, True)
            for eps in (0.02, 0.03, 0.05, 0.08):
                approx = cv2.approxPolyDP(hull, eps * perimeter, True)
                if len(approx) == 4:
                    break
            else:
                continue
            quad = _order(approx.reshape(4, 2).astype(np.float32))
            a = cv2.contourArea(quad)
            # A page fills a good part of a deliberate photo; smaller quads
            # are boxes printed on the sheet.
            if a < 0.2 * area:
                continue
            contrast, seen = _edge_contrast(small, quad)
            if contrast < 8:
                continue
            if not _brighter_inside(small, quad) and not (seen == 4 and contrast >= CLEAR_EDGE):
                # Paper under a cast shadow, on a light desk, is not much
                # brighter than the desk overall; a step up into the quad
                # seen all round still tells it is the sheet.
                continue
            # A side off the photo is no evidence: a quad seen all round
            # outranks one that runs off the frame (a shadow's edge, say)
            # unless its edges are much weaker.
            score = contrast * (a / area) ** 0.5 * (seen / 4) ** 0.5
            if best is None or score > best[0]:
                best = (score, quad / scale)
    return None if best is None else best[1]


def flatten_light(gray: np.ndarray) -> np.ndarray:
    """Divide by the paper's brightness so shadows and vignettes disappear."""
    # The background varies slowly: estimate it at a quarter of the size
    # (16x fewer pixels for the closing and the blur), then scale it back.
    small = cv2.resize(gray, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    k = max(9, (max(small.shape) // 40) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, ((k // 3) | 1, (k // 3) | 1))
    # Closing removes the ink (dark, thin) and leaves the paper.
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    background = cv2.GaussianBlur(background, (0, 0), k / 4)
    background = cv2.resize(
        background, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR
    )
    # In place, step by step: the same float32 operations in the same order
    # as one expression, without a full-page temporary for each step.
    ratio = gray.astype(np.float32)
    ratio /= np.maximum(background.astype(np.float32), 1.0)
    ratio *= 255.0
    # One sample for both percentiles (the second partitions what the first
    # left half sorted; the order statistics are the same).
    sample = ratio[::4, ::4].flatten()
    lo = np.percentile(sample, 1, overwrite_input=True)
    hi = np.percentile(sample, 99.5, overwrite_input=True)
    ratio -= lo
    ratio *= 255.0
    ratio /= max(float(hi - lo), 1.0)  # float32 widened exactly, divided as float32
    return np.clip(ratio, 0, 255, out=ratio).astype(np.uint8)


def ruled_lines(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks of long horizontal and vertical strokes (table rules, boxes)."""
    h, w = gray.shape
    ink = cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY_INV, max(15, (w // 80) | 1), 10
    )
    horizontal = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(20, w // 40), 1))
    )
    vertical = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(20, h // 60)))
    )
    return horizontal, vertical


def prepare(rgb: np.ndarray) -> Page:
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    ph, pw = gray.shape
    quality = Quality()
    if min(ph, pw) < MIN_SHORT_SIDE:
        quality.problems.append("too_small")
    quad = find_page(gray)
    if quad is None:
        quality.problems.append("page_not_found")
        quad = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    else:
        quality.page_found = True
    top = float(np.linalg.norm(quad[1] - quad[0]))
    bottom = float(np.linalg.norm(quad[2] - quad[3]))
    left = float(np.linalg.norm(quad[3] - quad[0]))
    right = float(np.linalg.norm(quad[2] - quad[1]))
    aspect = max(left, right) / max(max(top, bottom), 1.0)
    width = PAGE_WIDTH
    height = round(width * aspect)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    forward = cv2.getPerspectiveTransform(quad, target)
    # Interpolate from the photo at its own scale; INTER_AREA is not
    # supported by warpPerspective, and cubic keeps strokes crisp.
    page = cv2.warpPerspective(
        gray, forward, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    if percentile(page, 90) < DARK_PAPER:
        quality.problems.append("too_dark")
    flat = flatten_light(page)
    quality.blur = round(sharpness(flat), 3)
    if quality.blur < BLUR_MIN:
        quality.problems.append("blurred")
    horizontal, vertical = ruled_lines(flat)
    lines = cv2.bitwise_or(horizontal, vertical)
    clean = flat.copy()
    clean[cv2.dilate(lines, np.ones((3, 3), np.uint8)) > 0] = 255
    quality.ok = not quality.problems
    return Page(
        gray=clean,
        flat=flat,
        lines=lines,
        vertical=vertical,
        inverse=np.linalg.inv(forward),
        quality=quality,
    )
