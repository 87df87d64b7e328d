"""Image folders (framing, transparency, palettes) and the k-means palette."""

from __future__ import annotations


import numpy as np
import pytest
from PIL import Image

from studio.data import DatasetError, Palette, open_dataset
from studio.data.images import load_image_folder
from studio.data.kmeans import palette_by_kmeans
from studio.data.palette import lab_to_rgb, rgb_to_lab

WHITE, BLACK, RED, BLUE = (255, 255, 255), (0, 0, 0), (220, 30, 30), (30, 30, 220)
PALETTE = Palette(np.array([WHITE, BLACK, RED, BLUE]))
BG, _, R, B = range(4)  # indices into PALETTE


def creature_png(file, side=40, block=(15, 25), mode="P"):
    """A transparent ``side``² image with a red square at rows/cols ``block`` and a blue eye
    pixel at its top-left corner: palette mode with a transparent index, or RGBA."""
    canvas = np.zeros((side, side, 4), np.uint8)  # fully transparent
    lo, hi = block
    canvas[lo:hi, lo:hi] = (*RED, 255)
    canvas[lo, lo] = (*BLUE, 255)
    img = Image.fromarray(canvas, "RGBA")
    if mode == "P":
        img = img.quantize(colors=4)  # palette image; keep transparency through an explicit index
        alpha_index = img.getpixel((0, 0))
        img.info["transparency"] = alpha_index
        img.save(file, transparency=alpha_index)
    else:
        img.save(file)
    return file


def test_center_frame_takes_the_centre_half_like_the_course(tmp_path):
    creature_png(tmp_path / "a.png")  # red at 15..24 of 40 → 5..14 of the centre 20
    sprites = load_image_folder(tmp_path, palette=PALETTE)
    sprite = sprites.indices[0]
    assert sprites.indices.shape == (1, 20, 20)
    assert (sprite[6:15, 6:15] == R).all() and sprite[5, 5] == B
    assert (sprite[:5] == BG).all() and (sprite[15:] == BG).all()


def test_bbox_frame_fills_the_sprite_with_the_creature(tmp_path):
    creature_png(tmp_path / "a.png", block=(3, 13), mode="RGBA")  # off centre: bbox finds it
    sprite = load_image_folder(tmp_path, frame="bbox", palette=PALETTE).indices[0]
    assert (sprite[:2, :2] == B).all()  # the 1-pixel eye, doubled by the 10 → 20 enlargement
    assert (sprite[2:, 2:] == R).all()
    assert not (sprite == BG).any()


def test_none_frame_shrinks_the_whole_image(tmp_path):
    creature_png(tmp_path / "a.png", side=40, block=(0, 20), mode="RGBA")
    sprite = load_image_folder(tmp_path, frame="none", palette=PALETTE).indices[0]
    assert (sprite[1:10, 1:10] == R).all()
    assert (sprite[10:, :] == BG).all() and (sprite[:, 10:] == BG).all()


def test_transparency_is_composited_onto_the_palette_background(tmp_path):
    creature_png(tmp_path / "a.png", mode="RGBA")
    dark_background = Palette(np.array([BLACK, WHITE, RED, BLUE]))
    sprite = load_image_folder(tmp_path, palette=dark_background).indices[0]
    assert sprite[0, 0] == 0 and sprite[19, 19] == 0  # transparent → black, index 0
    assert sprite[10, 10] == 2


def test_various_sizes_and_formats_give_sorted_labelled_sprites(tmp_path):
    creature_png(tmp_path / "b.png", side=64, block=(28, 36), mode="RGBA")
    creature_png(tmp_path / "a.gif", side=40)
    Image.new("RGB", (30, 50), RED).save(tmp_path / "c.jpg", quality=95)
    Image.new("RGB", (8, 8), BLUE).save(tmp_path / "d.bmp")
    (tmp_path / "notes.txt").write_text("not an image")
    for frame in ("center", "bbox", "none"):
        sprites = load_image_folder(tmp_path, size=16, frame=frame, palette=PALETTE)
        assert sprites.indices.shape == (4, 16, 16)
        assert sprites.labels == ["a.gif", "b.png", "c.jpg", "d.bmp"]
        assert (sprites.indices[3] == B).all()  # enlarged with NEAREST: still pure blue
        jpg = sprites.indices[2]  # 30×50: the centre square is all red; the others pad the sides
        assert (jpg[:, 5:11] == R).all() and ((jpg == R).all() == (frame == "center"))


def test_without_a_palette_k_means_finds_one_with_white_first(tmp_path):
    creature_png(tmp_path / "a.png")
    creature_png(tmp_path / "b.png", block=(12, 28), mode="RGBA")
    sprites = open_dataset(tmp_path)  # an image folder, through the dispatcher
    assert sprites.palette.background == WHITE
    assert {tuple(c) for c in sprites.palette.colors.tolist()} == {WHITE, RED, BLUE}
    assert sprites.labels == ["a.png", "b.png"]


def test_an_unreadable_image_is_named(tmp_path):
    creature_png(tmp_path / "good.png")
    (tmp_path / "broken.png").write_bytes(b"this is not a png")
    with pytest.raises(DatasetError) as caught:
        load_image_folder(tmp_path, palette=PALETTE)
    assert str(tmp_path / "broken.png") in str(caught.value)


def test_an_empty_folder_is_named(tmp_path):
    (tmp_path / "readme.txt").write_text("no images here")
    with pytest.raises(DatasetError) as caught:
        load_image_folder(tmp_path)
    assert str(tmp_path) in str(caught.value) and "no images" in str(caught.value)


def test_open_dataset_names_a_path_that_is_no_dataset(tmp_path):
    for path in (tmp_path / "missing", tmp_path):
        with pytest.raises(DatasetError, match=str(path)):
            open_dataset(path)


# --- k-means ---------------------------------------------------------------------------------
def random_sprite_pixels(seed=0, n=20000):
    """Pixels like a sprite sheet: 40 % white background, the rest 500 random colours."""
    rng = np.random.default_rng(seed)
    colours = rng.integers(0, 256, (500, 3))
    pixels = colours[rng.integers(0, 500, n)]
    pixels[rng.random(n) < 0.4] = WHITE
    return pixels.astype(np.uint8)


def test_kmeans_is_deterministic_and_keeps_white_exactly_at_0():
    pixels = random_sprite_pixels()
    a, b = palette_by_kmeans(pixels, k=32, seed=1), palette_by_kmeans(pixels, k=32, seed=1)
    assert a == b and len(a) == 32
    assert a.background == WHITE
    assert (a.colors[1:] != WHITE).any(axis=1).all()  # white only once
    assert palette_by_kmeans(pixels, k=32, seed=2) != a


def test_kmeans_with_few_colours_returns_exactly_them():
    pixels = np.array([RED, RED, WHITE, BLUE, RED], np.uint8)
    assert palette_by_kmeans(pixels, k=167).colors.tolist() == [list(WHITE), list(RED), list(BLUE)]


def test_kmeans_on_the_course_images_gives_the_courses_palette_size(course_dir):
    from studio.data.images import load_framed_rgb

    rgb, _ = load_framed_rgb(course_dir / "images40")
    palette = palette_by_kmeans(rgb.reshape(-1, 3), k=167)
    assert len(palette) == 167 and palette.background == WHITE


def test_lab_to_rgb_inverts_rgb_to_lab():
    rgb = np.random.default_rng(0).integers(0, 256, (5000, 3)).astype(np.uint8)
    assert np.array_equal(lab_to_rgb(rgb_to_lab(rgb)), rgb)
