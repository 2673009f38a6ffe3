"""Percentiles of 8-bit images from a histogram: the very floats numpy gives."""

from __future__ import annotations

import numpy as np
import pytest

from transfer.ocr.stats import percentile

QS = (0, 1, 5, 33.3, 50, 60, 75, 90, 95, 99.5, 100)


@pytest.mark.parametrize("seed", range(40))
def test_it_gives_numpys_percentile_bit_for_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    h, w = (int(v) for v in rng.integers(1, 50, 2))
    images = [
        rng.integers(0, 256, (h, w), dtype=np.uint8),
        rng.integers(200, 203, (h, w), dtype=np.uint8),  # few values: many ties
        np.full((h, w), int(rng.integers(0, 256)), np.uint8),
        rng.normal(180, 60, (h, w)).clip(0, 255).astype(np.uint8),
    ]
    for img in images:
        for view in (img, img[:, 1:], img[::2, ::3], img.T, img.ravel()):
            if view.size == 0:
                continue  # numpy raises; so does percentile (it is numpy's call)
            for q in QS:
                assert percentile(view, q) == float(np.percentile(view, q))


def test_it_leaves_other_images_to_numpy() -> None:
    ratio = np.random.default_rng(0).random((30, 20), dtype=np.float32)
    assert percentile(ratio, 99.5) == float(np.percentile(ratio, 99.5))
