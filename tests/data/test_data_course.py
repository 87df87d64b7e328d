"""The course's text format: the real data, a round trip, and one test per kind of bad input."""

from __future__ import annotations

import numpy as np
import pytest

from studio.data import DatasetError, Palette, SpriteSet, open_dataset
from studio.data.course import COLORMAP_FILE, PIXELS_FILE, load_course, save_course

GOOD_COLORMAP = "255 255 255\n0 0 0\n200 40 40"
GOOD_PIXELS = "0 1 2 0\n1 1 0 0\n2 2 2 2"  # three 2×2 sprites


def write_course(folder, pixels=GOOD_PIXELS, colormap=GOOD_COLORMAP):
    folder.mkdir(exist_ok=True)
    (folder / PIXELS_FILE).write_text(pixels)
    if colormap is not None:
        (folder / COLORMAP_FILE).write_text(colormap)
    return folder


def load_error(path) -> DatasetError:
    with pytest.raises(DatasetError) as caught:
        load_course(path)
    return caught.value


def assert_names(err: DatasetError, file, line=None):
    assert str(file) in str(err)
    assert err.path == file
    if line is not None:
        assert f"line {line}" in str(err)
        assert err.line == line


# --- the real data ----------------------------------------------------------------------------
def test_real_course_data_is_792_sprites_of_20x20_with_167_colours(course_dir):
    sprites = load_course(course_dir)
    assert sprites.indices.shape == (792, 20, 20)
    assert sprites.num_colors == 167
    assert sprites.palette.background == (255, 255, 255)
    assert (sprites.color_usage() > 0).all()
    assert 0.36 < (sprites.indices == 0).mean() < 0.40


def test_real_course_data_opens_from_its_pixel_file_too(course_dir):
    by_file = open_dataset(course_dir / PIXELS_FILE)
    assert np.array_equal(by_file.indices, open_dataset(course_dir).indices)


# --- format -----------------------------------------------------------------------------------
def test_reads_a_small_course_folder_with_or_without_final_newline(tmp_path):
    for name, pixels in (("plain", GOOD_PIXELS), ("newline", GOOD_PIXELS + "\n")):
        sprites = load_course(write_course(tmp_path / name, pixels))
        assert sprites.indices.shape == (3, 2, 2)
        assert sprites.indices[0].tolist() == [[0, 1], [2, 0]]
        assert sprites.palette.colors[2].tolist() == [200, 40, 40]


def test_save_then_load_gives_the_same_sprites(tmp_path, builtin_set):
    folder = save_course(builtin_set, tmp_path / "saved")
    again = load_course(folder)
    assert np.array_equal(again.indices, builtin_set.indices)
    assert again.palette == builtin_set.palette
    assert not (folder / PIXELS_FILE).read_text().endswith("\n")  # like the course's files


# --- bad input: each names the file and the line ---------------------------------------------
def test_a_line_with_the_wrong_count_of_numbers(tmp_path):
    folder = write_course(tmp_path, "0 1 2 0\n1 1 0\n2 2 2 2")
    err = load_error(folder)
    assert_names(err, folder / PIXELS_FILE, line=2)
    assert "expected 4 numbers" in str(err) and "found 3" in str(err)


def test_a_first_line_that_is_not_a_square_sprite(tmp_path):
    folder = write_course(tmp_path, "0 1 2\n1 1 0")
    assert_names(load_error(folder), folder / PIXELS_FILE, line=1)


def test_an_index_outside_the_palette(tmp_path):
    folder = write_course(tmp_path, "0 1 2 0\n1 1 0 0\n2 2 3 2")
    err = load_error(folder)
    assert_names(err, folder / PIXELS_FILE, line=3)
    assert "3" in str(err) and "0..2" in str(err)


def test_a_non_numeric_token(tmp_path):
    folder = write_course(tmp_path, "0 1 2 0\n1 x 0 0\n2 2 2 2")
    err = load_error(folder)
    assert_names(err, folder / PIXELS_FILE, line=2)
    assert "'x'" in str(err)


def test_an_empty_pixel_file(tmp_path):
    folder = write_course(tmp_path, "")
    err = load_error(folder)
    assert_names(err, folder / PIXELS_FILE)
    assert "no sprites" in str(err)


def test_a_missing_colormap(tmp_path):
    folder = write_course(tmp_path, colormap=None)
    err = load_error(folder)
    assert_names(err, folder / COLORMAP_FILE)
    assert "missing" in str(err)


def test_a_colormap_line_with_the_wrong_count(tmp_path):
    folder = write_course(tmp_path, colormap="255 255 255\n0 0\n200 40 40")
    err = load_error(folder)
    assert_names(err, folder / COLORMAP_FILE, line=2)
    assert "expected 3 numbers" in str(err)


def test_a_colormap_value_above_255(tmp_path):
    folder = write_course(tmp_path, colormap="255 255 255\n0 0 0\n200 256 40")
    err = load_error(folder)
    assert_names(err, folder / COLORMAP_FILE, line=3)
    assert "0..255" in str(err)


def test_a_non_numeric_colormap_value(tmp_path):
    folder = write_course(tmp_path, colormap="255 255 255\n0 zero 0\n200 40 40")
    err = load_error(folder)
    assert_names(err, folder / COLORMAP_FILE, line=2)
    assert "'zero'" in str(err)


def test_a_folder_without_pixel_file(tmp_path):
    assert_names(load_error(tmp_path), tmp_path / PIXELS_FILE)


def test_a_bad_last_line_fails_the_whole_load(tmp_path):
    # No partial dataset: 999 good sprites and one bad line is still an error, not 999 sprites.
    lines = ["0 1 2 0"] * 999 + ["0 1 2 7"]
    folder = write_course(tmp_path, "\n".join(lines))
    assert_names(load_error(folder), folder / PIXELS_FILE, line=1000)


def test_a_palette_of_more_than_256_colours(tmp_path):
    folder = write_course(tmp_path, colormap="\n".join(["1 2 3"] * 257))
    assert_names(load_error(folder), folder / COLORMAP_FILE)


def test_spriteset_round_trips_through_text_for_a_custom_palette(tmp_path):
    palette = Palette(np.array([[255, 255, 255], [10, 20, 30]]))
    sprites = SpriteSet(np.eye(3, dtype=np.uint8)[None], palette)
    assert np.array_equal(load_course(save_course(sprites, tmp_path)).indices, sprites.indices)
