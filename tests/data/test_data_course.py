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
@pytest.mark.parametrize("pixels, colormap, file, line, says", [
    pytest.param("0 1 2 0\n1 1 0\n2 2 2 2", GOOD_COLORMAP, PIXELS_FILE, 2, ["expected 4 numbers", "found 3"],
                 id="a line with the wrong count of numbers"),
    pytest.param("0 1 2\n1 1 0", GOOD_COLORMAP, PIXELS_FILE, 1, [], id="a first line that is not a square sprite"),
    pytest.param("0 1 2 0\n1 1 0 0\n2 2 3 2", GOOD_COLORMAP, PIXELS_FILE, 3, ["3", "0..2"],
                 id="an index outside the palette"),
    pytest.param("0 1 2 0\n1 x 0 0\n2 2 2 2", GOOD_COLORMAP, PIXELS_FILE, 2, ["'x'"], id="a non-numeric token"),
    pytest.param("", GOOD_COLORMAP, PIXELS_FILE, None, ["no sprites"], id="an empty pixel file"),
    pytest.param(GOOD_PIXELS, None, COLORMAP_FILE, None, ["missing"], id="a missing colormap"),
    pytest.param(GOOD_PIXELS, "255 255 255\n0 0\n200 40 40", COLORMAP_FILE, 2, ["expected 3 numbers"],
                 id="a colormap line with the wrong count"),
    pytest.param(GOOD_PIXELS, "255 255 255\n0 0 0\n200 256 40", COLORMAP_FILE, 3, ["0..255"],
                 id="a colormap value above 255"),
    pytest.param(GOOD_PIXELS, "255 255 255\n0 zero 0\n200 40 40", COLORMAP_FILE, 2, ["'zero'"],
                 id="a non-numeric colormap value"),
])
def test_bad_input_is_one_error_naming_the_file_and_line(tmp_path, pixels, colormap, file, line, says):
    folder = write_course(tmp_path, pixels, colormap)
    err = load_error(folder)
    assert_names(err, folder / file, line=line)
    for piece in says:
        assert piece in str(err)


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
