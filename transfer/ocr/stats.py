"""Percentiles of 8-bit images, counted instead of sorted.

np.percentile partitions a copy of its input: on a page of 3.6 million
pixels, and on each of a table's cells, that cost a tenth of a page's
Python time. An 8-bit image has only 256 values, so its order statistics
come from a histogram; the interpolation between them is numpy's own
("linear", done the way numpy does it), so every result is the very float
np.percentile returns and nothing downstream moves.
"""

from __future__ import annotations

import math

import cv2
import numpy as np


def percentile(values: np.ndarray, q: float) -> float:
    """float(np.percentile(values, q)), bit for bit, for one percentile."""
    if values.dtype != np.uint8 or values.size == 0 or values.ndim > 2:
        return float(np.percentile(values, q))
    n = values.size
    # numpy: q / 100 as a float64, times (n - 1), both rounded as here.
    virtual = (n - 1) * (q / 100)
    counts = cv2.calcHist([values], [0], None, [256], [0, 256]).ravel()
    # Exact: counts never exceed 2**24, where float32 stops counting by one.
    ends = np.cumsum(counts.astype(np.int64))
    if virtual >= n - 1:
        return float(np.flatnonzero(counts)[-1])  # numpy takes the largest value
    below = math.floor(virtual)
    gamma = virtual - below
    # The values at sorted positions below and below + 1.
    a, b = (int(v) for v in np.searchsorted(ends, [below, below + 1], side="right"))
    diff = b - a
    # numpy's _lerp: from the lower value, or back from the upper one when
    # gamma >= 0.5 (for monotonicity), both in float64.
    if gamma >= 0.5:
        return b - diff * (1 - gamma)
    return a + diff * gamma
