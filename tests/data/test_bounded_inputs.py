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


def test_builtin_sprites_over_256_and_no_creature_are_refused_before_anything_is_drawn(capsys):
    from studio.cli import main

    tracemalloc.start()
    with pytest.raises(DatasetError, match=r"builtin:size=257: built-in creatures are at least 8×8 and at most 256×256"):
        open_dataset("builtin:size=257")
    with pytest.raises(DatasetError, match="at least 1 creature"):
        open_dataset("builtin:n=0")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2**20  # nothing was drawn (size=257 used to take 3 GB and a minute)
    assert main(["data", "info", "builtin:n=0"]) == 2
    out, err = capsys.readouterr()
    assert "nan" not in out + err and "Warning" not in err
    assert err.strip() == "studio: builtin:n=0: a built-in dataset holds at least 1 creature (n=1 or more)"


def test_large_builtin_sets_are_drawn_in_blocks_of_bounded_memory(monkeypatch):
    import studio.data.builtin as builtin

    small = builtin_creatures(n=24, size=32, seed=1)
    tracemalloc.start()
    builtin_creatures(n=24, size=32, seed=1)
    whole = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    monkeypatch.setattr(builtin, "BLOCK_PIXELS", 4 * 32 * 32)  # blocks of 4 creatures
    tracemalloc.start()
    blocked = builtin_creatures(n=24, size=32, seed=1)
    in_blocks = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert in_blocks < whole / 3
    assert np.array_equal(blocked.indices, builtin_creatures(n=24, size=32, seed=1).indices), "the same seed, the same set"
    assert not np.array_equal(blocked.indices, small.indices)  # (a set over one block is drawn anew)
    assert (blocked.indices[:, :, :16] == blocked.indices[:, :, ::-1][:, :, :16]).mean() > 0.5  # still creatures


def test_an_image_folder_at_the_size_limit_maps_colours_without_float64_copies(tmp_path):
    """`data info IMAGES --frame bbox --size 256`: each image is enlarged to 256×256; the pixels
    are mapped to the palette in chunks of distinct colours, not converted to float64 Lab at once."""
    sprites = builtin_creatures(n=48)
    for i, sprite in enumerate(sprites.indices):
        Image.fromarray(sprites.palette.to_rgb(sprite)).save(tmp_path / f"{i:02d}.png")
    tracemalloc.start()
    loaded = open_dataset(tmp_path, size=256, frame="bbox")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    pixels = 48 * 256 * 256  # 3 Mi: 9 MiB of RGB uint8
    assert loaded.indices.shape == (48, 256, 256) and loaded.indices.dtype == np.uint8
    # RGB and indices (4 bytes a pixel) plus a fixed amount for the chunk under way; float64 Lab
    # of every pixel alone would be 24 bytes a pixel (72 MiB here), with its temporaries 200+.
    assert peak < 8 * pixels + 64 * 2**20, f"{peak / 2**20:.0f} MiB"


def test_palette_nearest_is_exact_and_bounded(monkeypatch):
    import studio.data.palette as palette_module

    sprites = builtin_creatures(n=8)
    rgb = sprites.palette.to_rgb(sprites.indices)
    monkeypatch.setattr(palette_module, "_NEAREST_CHUNK", 1000)  # many chunks, some colours in several
    assert np.array_equal(sprites.palette.nearest(rgb), sprites.indices)


@pytest.mark.parametrize("target, kind", [("/dev/zero", "a device"), ("/dev/null", "a device")])
def test_a_palette_linked_to_a_device_is_named_as_one(tmp_path, target, kind):
    save_course(builtin_creatures(n=4), tmp_path)
    (tmp_path / COLORMAP_FILE).unlink()
    (tmp_path / COLORMAP_FILE).symlink_to(target)
    with pytest.raises(DatasetError, match=f"colormap.txt: a link to {target}, {kind}, not a text file"):
        open_dataset(tmp_path)


def test_a_course_file_that_is_a_pipe_or_a_dangling_link_is_named_as_such(tmp_path):
    import os

    save_course(builtin_creatures(n=4), tmp_path)
    (tmp_path / PIXELS_FILE).unlink()
    os.mkfifo(tmp_path / PIXELS_FILE)
    with pytest.raises(DatasetError, match="pixel_color.txt: a pipe, not a text file"):
        open_dataset(tmp_path)  # not read: a pipe nobody writes to would wait forever
    (tmp_path / PIXELS_FILE).unlink()
    (tmp_path / PIXELS_FILE).symlink_to(tmp_path / "gone.txt")
    with pytest.raises(DatasetError, match="pixel_color.txt: a link to .*gone.txt, which does not exist"):
        open_dataset(tmp_path)
