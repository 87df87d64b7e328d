"""The one GIF writer (studio.data.save_gif): the VAE's walks between two sprites and the GAN's
walks through code space, palette-exact and written atomically."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from studio.data import Palette, open_dataset, save_gif
from studio.errors import OutputError


@pytest.fixture(scope="module")
def sprites():
    return open_dataset("builtin:n=48,seed=3")


def test_gif_has_one_exact_frame_per_distinct_sprite(tmp_path, sprites):
    path = save_gif(sprites.indices[:5], sprites.palette, tmp_path / "w.gif", scale=3)
    gif = Image.open(path)
    assert gif.n_frames == 5 and gif.size == (3 * sprites.width, 3 * sprites.height)
    gif.seek(2)
    assert np.array_equal(np.asarray(gif.convert("RGB"))[::3, ::3], sprites.rgb(2))


def test_save_gif_plays_forth_and_back(tmp_path):
    greys = Palette(np.repeat(np.array([0, 80, 160, 240], np.uint8)[:, None], 3, axis=1))
    frames = np.zeros((4, 2, 3), np.uint8)
    frames[:, 0, 0] = [0, 1, 2, 3]  # four different frames
    save_gif(frames, greys, tmp_path / "walk.gif", scale=2, forth_and_back=True)
    with Image.open(tmp_path / "walk.gif") as img:
        assert img.n_frames == 6 and img.size == (6, 4)  # 0 1 2 3 2 1, then it loops
        firsts = []
        for k in range(img.n_frames):
            img.seek(k)
            firsts.append(img.convert("RGB").getpixel((0, 0))[0])
        assert firsts == [0, 80, 160, 240, 160, 80]


def test_a_gif_that_cannot_be_written_leaves_the_old_file_and_says_where(tmp_path, sprites, monkeypatch):
    path = tmp_path / "walk.gif"
    path.write_bytes(b"the old walk")

    def full_disk(self, fp, *args, **kwargs):
        fp.write(b"GIF89a, half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", full_disk)
    with pytest.raises(OutputError, match="walk.gif"):
        save_gif(sprites.indices[:3], sprites.palette, path)
    assert path.read_bytes() == b"the old walk" and list(tmp_path.iterdir()) == [path]  # no half file, no *.tmp
