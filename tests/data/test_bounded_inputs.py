"""Loaders stay within memory and read what editors write: a huge image is refused from its
header, 16-bit PNGs are scaled to 8 bits, a UTF-8 byte-order mark is accepted."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from PIL import Image

from studio.data import DatasetError, open_dataset
from studio.data.builtin import builtin_creatures
from studio.data.course import COLORMAP_FILE, PIXELS_FILE, load_course, save_course
from studio.data.images import MAX_IMAGE_PIXELS, load_framed_rgb


def test_a_huge_image_is_refused_by_name_before_it_is_decoded(tmp_path):
    # 10000×10000 1-bit: about 12 KB on disk, 400 MB as RGBA uint8 (9.5 GB as float64 RGBA).
    Image.new("1", (10_000, 10_000)).save(tmp_path / "bomb.png")
    assert (tmp_path / "bomb.png").stat().st_size < 50_000
    tracemalloc.start()
    with pytest.raises(DatasetError, match=r"bomb\.png: the image is 10000×10000 pixels, more than the "):
        open_dataset(tmp_path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20 * 2**20


def test_an_image_at_the_limit_decodes_in_uint8(tmp_path):
    side = int(MAX_IMAGE_PIXELS ** 0.5) // 4  # a 1024² image: 4 MiB of RGBA, not 32 MiB of float64
    Image.new("RGBA", (side, side), (10, 20, 30, 128)).save(tmp_path / "a.png")
    tracemalloc.start()
    rgb, _ = load_framed_rgb(tmp_path, size=20)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5 * side * side * 4  # a few uint8/uint16 copies of RGBA, never float64 ones
    # Half-transparent (10, 20, 30) over white, rounded: (c·128 + 255·127) / 255.
    assert tuple(rgb[0, 0, 0]) == tuple(round((c * 128 + 255 * 127) / 255) for c in (10, 20, 30))


def test_a_16_bit_grey_png_is_scaled_to_8_bits_not_clipped(tmp_path):
    grey16 = np.full((40, 40), 0x8080, np.uint16)  # mid grey in 16 bits
    Image.fromarray(grey16).save(tmp_path / "grey16.png")
    with Image.open(tmp_path / "grey16.png") as img:
        assert img.mode.startswith("I")  # PIL keeps it 16-bit; convert("RGB") alone would clip to white
    rgb, _ = load_framed_rgb(tmp_path, size=20)
    assert np.all(rgb == 128)


def test_a_course_file_with_a_byte_order_mark_loads(tmp_path):
    sprites = builtin_creatures(n=4)
    save_course(sprites, tmp_path)
    for name in (PIXELS_FILE, COLORMAP_FILE):
        (tmp_path / name).write_bytes(b"\xef\xbb\xbf" + (tmp_path / name).read_bytes())
    loaded = load_course(tmp_path)
    assert np.array_equal(loaded.indices, sprites.indices) and loaded.palette == sprites.palette


def test_oversized_specs_are_refused_before_allocating(tmp_path):
    with pytest.raises(DatasetError, match="more than the 67,108,864 pixels"):
        open_dataset("builtin:n=100000000")
    (tmp_path / COLORMAP_FILE).write_text("255 255 255")
    (tmp_path / PIXELS_FILE).write_text(" ".join(["0"] * 300 ** 2))
    with pytest.raises(DatasetError, match=r"line 1: .*(too long|larger than 256×256)"):
        load_course(tmp_path)
