"""Shared fixtures. Kept small: add fixtures only when several test files need them."""

from __future__ import annotations

import pytest

from studio.data import find_course_data
from studio.data.builtin import builtin_creatures


@pytest.fixture(scope="session")
def course_dir():
    """The real course data folder (pixel_color.txt + colormap.txt); skips when it is absent."""
    folder = find_course_data()
    if folder is None:
        pytest.skip("course data not found: set STUDIO_POKEMON_DIR or put it at ../shared/data/pokemon")
    return folder


@pytest.fixture(scope="session")
def builtin_set():
    """64 built-in creatures: a small, fast, always-available SpriteSet."""
    return builtin_creatures(n=64)
