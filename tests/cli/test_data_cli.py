"""`studio data ...` through studio.cli.main, as a user would type it."""

from __future__ import annotations

import numpy as np
from PIL import Image

from studio.cli import main
from studio.data import grid_image
from studio.data.builtin import builtin_creatures
from studio.data.course import COLORMAP_FILE, PIXELS_FILE, load_course


def test_info_on_builtin(capsys):
    assert main(["data", "info", "builtin"]) == 0
    out = capsys.readouterr().out
    assert "792 sprites" in out and "20×20" in out and "colours" in out
    assert "713 train, 79 held out" in out


def test_info_on_the_course_data(course_dir, capsys):
    assert main(["data", "info", str(course_dir)]) == 0
    out = capsys.readouterr().out
    assert "792 sprites" in out and "20×20" in out and "167 colours" in out
    assert "background" in out and "#ffffff" in out


def test_preview_writes_a_png_of_the_expected_size(tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert main(["data", "preview", "builtin", "-o", str(out), "--scale", "3", "--count", "10"]) == 0
    expected = grid_image(np.zeros((10, 20, 20), np.uint8), builtin_creatures(n=1).palette, scale=3)
    with Image.open(out) as img:
        assert img.size == expected.size == (4 * 21 * 3 + 3, 3 * 21 * 3 + 3)


def test_palette_writes_a_colormap_that_load_course_reads(tmp_path, capsys):
    images, course = tmp_path / "images", tmp_path / "course"
    images.mkdir(), course.mkdir()
    creatures = builtin_creatures(n=6)
    for i in range(len(creatures)):
        creatures.image(i, scale=2).save(images / f"{i:03d}.png")
    assert main(["data", "palette", str(images), "-k", "12", "-o", str(course / COLORMAP_FILE),
                 "--frame", "none", "--seed", "1"]) == 0
    (course / PIXELS_FILE).write_text(" ".join(str(i) for i in [*range(12), 0, 0, 0, 0]))
    sprites = load_course(course)
    assert sprites.num_colors == 12 and sprites.palette.background == (255, 255, 255)


def test_a_bad_path_is_one_line_and_exit_code_2(tmp_path, capsys):
    assert main(["data", "info", str(tmp_path / "nowhere")]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and str(tmp_path / "nowhere") in captured.err
    assert "Traceback" not in captured.err


def test_a_bad_course_file_is_one_line_naming_the_line(tmp_path, capsys):
    (tmp_path / PIXELS_FILE).write_text("0 0 0 0\n0 9 0 0")
    (tmp_path / COLORMAP_FILE).write_text("255 255 255\n0 0 0")
    assert main(["data", "preview", str(tmp_path), "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "line 2" in err and PIXELS_FILE in err
