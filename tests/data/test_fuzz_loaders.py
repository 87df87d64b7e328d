"""Property-based: whatever bytes the course loader or the image-folder loader gets, it returns
a SpriteSet or raises DatasetError naming the file, never anything else."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from studio.data import DatasetError, SpriteSet, open_dataset
from studio.data.course import COLORMAP_FILE, PIXELS_FILE, load_course

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _png(mode: str, side: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(side).integers(0, 255, (side, side, 4), np.uint8), "RGBA") \
        .convert(mode).save(buffer, format="PNG")
    return buffer.getvalue()


VALID_PNGS = [_png("RGBA", 40), _png("P", 20), _png("L", 8)]

# Text that looks like the course format often enough to get past the first checks.
course_text = st.lists(
    st.lists(st.one_of(st.integers(-3, 300).map(str), st.sampled_from(["x", "1.5", "", "٣", "\ufeff"])),
             max_size=20).map(" ".join), max_size=6).map("\n".join)


def mutated(data: bytes):
    """``data`` with a few bytes changed, and maybe cut short."""
    return st.tuples(st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(0, 255)), max_size=6),
                     st.integers(1, len(data))).map(lambda edits: _apply(data, *edits))


def _apply(data: bytes, edits, cut) -> bytes:
    out = bytearray(data)
    for i, value in edits:
        out[i] = value
    return bytes(out[:cut])


def _check(load, folder: Path):
    try:
        result = load()
    except DatasetError as err:
        assert err.path is not None and str(err.path).startswith(str(folder))
        return
    assert isinstance(result, SpriteSet)


@FUZZ
@given(pixels=st.one_of(course_text.map(str.encode), st.binary(max_size=300)),
       colormap=st.one_of(st.just(b"255 255 255\n0 0 0\n10 20 30"), course_text.map(str.encode),
                          st.binary(max_size=100)))
def test_the_course_loader_returns_sprites_or_a_dataset_error(pixels, colormap):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / PIXELS_FILE).write_bytes(pixels)
        (folder / COLORMAP_FILE).write_bytes(colormap)
        _check(lambda: load_course(folder), folder)


@FUZZ
@given(data=st.one_of(st.binary(max_size=400), *(mutated(png) for png in VALID_PNGS)),
       suffix=st.sampled_from([".png", ".gif", ".jpg", ".bmp"]))
def test_the_image_folder_loader_returns_sprites_or_a_dataset_error(data, suffix):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / f"sprite{suffix}").write_bytes(data)
        _check(lambda: open_dataset(folder), folder)
