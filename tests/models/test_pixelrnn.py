"""PixelRNN: likelihood, O(n) sampling, masked completion (SMC), determinism, cancellation, CLI."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from studio.cli import main as studio_main
from studio.data import open_dataset
from studio.models import pixelrnn
from studio.models.completion import (Cancelled, centre_hole, complete, cover_bottom, draw, run_sampler)
from studio.train.run import RunDir

TINY = pixelrnn.Config(hidden=16, embed=8)
TINY_2D = pixelrnn.Config(hidden=16, embed=8, context="2d", position=True, dropout=0.1, mirror=True)
TINY_COPY = pixelrnn.Config(hidden=16, embed=8, context="2d-wide", position=True, dropout=0.1, mirror=True, copy=True)
DATA = "builtin:n=32,size=10,seed=3"  # 100 pixels: a quarter of the steps of 20×20


@pytest.fixture(scope="module")
def sprites():
    return open_dataset(DATA)


@pytest.fixture(scope="module", params=[TINY, TINY_2D, TINY_COPY],
                ids=["lecture-shape", "2d", "wide-copy"])
def task(request, sprites):
    torch.manual_seed(0)
    task = pixelrnn.Task(request.param, sprites.palette.colors, (sprites.height, sprites.width), torch.device("cpu"))
    batch = torch.from_numpy(sprites.indices[:16]).long()
    for _ in range(3):
        task.train_step(task.modules(), batch)
    return task


def test_bits_per_pixel_against_a_hand_computed_case():
    # A model that ignores its input: the head's bias alone sets p = (1/2, 1/4, 1/4).
    task = pixelrnn.Task(pixelrnn.Config(hidden=4, embed=2, lr=0.0), np.zeros((3, 3), np.uint8), (2, 2),
                         torch.device("cpu"))
    with torch.no_grad():
        task.net.head.weight.zero_()
        task.net.head.bias.copy_(torch.log(torch.tensor([0.5, 0.25, 0.25])))
    sprite = torch.tensor([[[0, 1], [2, 0]]])
    # -log2 of 1/2, 1/4, 1/4, 1/2 → 1 + 2 + 2 + 1 = 6 bits over 4 pixels.
    scores = task.evaluate(sprite)
    assert scores["bits_per_pixel"] == pytest.approx(1.5, abs=1e-5)
    assert scores["nll"] == pytest.approx(1.5 * math.log(2), abs=1e-5)
    assert float(task.log_likelihood(sprite)[0]) == pytest.approx(-6 * math.log(2), abs=1e-5)
    logged = task.train_step(task.modules(), sprite)
    assert float(logged["loss"]) == pytest.approx(1.5 * math.log(2), abs=1e-5)
    assert float(logged["bits_per_pixel"]) == pytest.approx(1.5, abs=1e-5)
    assert task.selection_metric == "bits_per_pixel"


def test_the_palette_size_comes_from_the_data(sprites):
    task = pixelrnn.Task(TINY, sprites.palette.colors[:7], (5, 6), torch.device("cpu"))
    assert task.net.head.out_features == 7
    assert task.draw(2, seed=0).shape == (2, 5, 6) and task.draw(2, seed=0).max() < 7


def test_drawing_is_one_step_per_pixel_for_the_whole_batch(task):
    h, w = task.size
    for n in (1, 16):
        task.net.steps = 0
        out = task.draw(n, seed=0)
        assert out.shape == (n, h, w) and out.dtype == np.uint8
        assert task.net.steps == h * w  # not H·W·(H·W+1)/2: the prefix is never re-run
    task.net.steps = 0
    complete(task, np.zeros((h, w), np.uint8), centre_hole(task.size, 0.25), n_variants=8, seed=0)
    assert task.net.steps == h * w


def test_a_step_by_step_pass_gives_the_same_likelihood_as_the_whole_sequence(task, sprites):
    # The sampler's hand-written LSTM cell must be the trained nn.LSTM, step for step.
    sprite = sprites.indices[5]
    result = run_sampler(task, sprite, np.ones(sprite.size, bool), 1, resample=False)
    replay = run_sampler(task, result.canvas[0].numpy().reshape(sprite.shape), np.zeros(sprite.size, bool), 1)
    expected = float(task.log_likelihood(result.canvas.reshape(1, *sprite.shape))[0])
    assert float(result.log_joint[0]) == pytest.approx(expected, abs=1e-3)
    assert float(replay.log_joint[0]) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize("layers", [1, 2])
def test_sampling_steps_of_any_length_give_the_whole_sequence_logits(sprites, layers):
    # The sampler calls step() on a visible run with the hidden pixel after it: short runs go
    # through the hand-written cell, long ones through nn.LSTM; both must be the trained model.
    torch.manual_seed(0)
    config = pixelrnn.Config(hidden=16, embed=8, layers=layers, context="2d", position=True, copy=True)
    net = pixelrnn.Task(config, sprites.palette.colors, (sprites.height, sprites.width), torch.device("cpu")).net.eval()
    canvas = net.pad(torch.from_numpy(sprites.indices[:3].reshape(3, -1)).long())
    with torch.no_grad():
        whole, _ = net(net.context(canvas, 0, net.num_pixels))
        tables, state, pieces, t = net.step_tables(), None, [], 0
        for length in [1, 2, pixelrnn.FEW_STEPS, pixelrnn.FEW_STEPS + 1, 1] * 100:
            stop = min(t + length, net.num_pixels)
            logits, state = net.step(net.context(canvas, t, stop), t, state, tables)
            pieces.append(logits)
            t = stop
            if t == net.num_pixels:
                break
    assert torch.allclose(torch.cat(pieces, 1), whole, atol=1e-4)


def brush_mask(size, seed=0) -> np.ndarray:
    """A wobbly diagonal stroke three pixels wide, the way a user would paint one."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(size, bool)
    for r in range(size[0]):
        c = int(np.clip(r + rng.integers(-1, 2), 0, size[1] - 1))
        mask[r, max(0, c - 1):c + 2] = True
    return mask


@pytest.mark.parametrize("kind", ["cover 50 %", "cover 75 %", "centre hole", "brush", "nothing", "everything"])
def test_completion_keeps_visible_pixels_and_fills_hidden_ones_with_palette_colours(task, sprites, kind):
    size = task.size
    mask = {"cover 50 %": cover_bottom(size, 0.5), "cover 75 %": cover_bottom(size, 0.75),
            "centre hole": centre_hole(size, 0.3), "brush": brush_mask(size),
            "nothing": np.zeros(size, bool), "everything": np.ones(size, bool)}[kind]
    sprite = sprites.indices[7]
    variants = complete(task, sprite, mask, n_variants=5, seed=1)
    assert len(variants) == 5
    for v in variants:
        assert v.sprite.shape == size and v.sprite.dtype == np.uint8
        assert np.array_equal(v.sprite[~mask], sprite[~mask])
        assert v.sprite[mask].max(initial=0) < task.num_colors
    likelihoods = [v.log_likelihood for v in variants]
    assert likelihoods == sorted(likelihoods, reverse=True)
    # The reported figure is log p of the whole completed sprite.
    best = torch.from_numpy(variants[0].sprite[None]).long()
    assert likelihoods[0] == pytest.approx(float(task.log_likelihood(best)[0]), abs=1e-3)
    if kind != "nothing":
        assert len({v.sprite.tobytes() for v in variants}) > 1  # a fresh model is unsure: variants differ


def test_mask_helpers_hide_what_the_lecture_hides():
    half, three_quarters = cover_bottom((20, 20), 0.5), cover_bottom((20, 20), 0.75)
    assert half[10:].all() and not half[:10].any()
    assert three_quarters[5:].all() and not three_quarters[:5].any()
    assert cover_bottom((4, 5), 0.5).sum() == 10 and cover_bottom((4, 5), 0.5)[1, 4] == 0
    hole = centre_hole((20, 20), 0.25)
    assert hole.sum() == 100 and hole[5:15, 5:15].all()
    with pytest.raises(ValueError):
        cover_bottom((20, 20), 1.5)


def test_a_seed_makes_draws_and_completions_repeatable(task, sprites):
    mask = brush_mask(task.size, seed=2)
    first = [v.sprite for v in complete(task, sprites.indices[3], mask, n_variants=4, seed=11)]
    again = [v.sprite for v in complete(task, sprites.indices[3], mask, n_variants=4, seed=11)]
    other = [v.sprite for v in complete(task, sprites.indices[3], mask, n_variants=4, seed=12)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))
    assert np.array_equal(task.draw(3, seed=5), task.draw(3, seed=5))
    assert not np.array_equal(task.draw(3, seed=5), task.draw(3, seed=6))


def test_temperature_and_top_k(task):
    # top-k = 1 is the argmax at every pixel: no randomness left.
    assert np.array_equal(draw(task, 2, seed=1, top_k=1), draw(task, 2, seed=2, top_k=1))
    assert np.array_equal(task.draw(2, seed=1, temperature=1e-4), draw(task, 2, seed=1, top_k=1))
    with pytest.raises(ValueError):
        task.draw(2, temperature=0)


def test_cancel_stops_between_steps_and_progress_is_reported(task, sprites):
    calls, seen = [], []

    def cancel():
        calls.append(1)
        return len(calls) > 30

    task.net.steps = 0
    task.net.train()
    with pytest.raises(Cancelled):
        complete(task, sprites.indices[0], cover_bottom(task.size, 0.75), n_variants=4,
                 progress=lambda done, total: seen.append((done, total)), cancel=cancel)
    h, w = task.size
    assert len(seen) == 30 and all(total == h * w for _, total in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert task.net.steps < h * w  # it stopped early
    assert task.net.training  # sampling ran in eval mode and gave training mode back
    done = []
    complete(task, sprites.indices[0], cover_bottom(task.size, 0.75), n_variants=2,
             progress=lambda d, t: done.append(d))
    assert done[-1] == h * w


def test_bad_input_is_refused_with_a_message(task):
    with pytest.raises(ValueError, match="must both be"):
        complete(task, np.zeros((3, 3), np.uint8), np.zeros((3, 3), bool))
    with pytest.raises(ValueError, match="colour indices"):
        complete(task, np.full(task.size, 255, np.uint8), np.zeros(task.size, bool))


def test_the_copy_mechanism_repeats_colours_it_never_saw_in_training():
    """Sprites [c, 0, c]: the third pixel repeats the first. Trained with colours 1–39 only,
    a model with ``copy`` still repeats colours 40–59; the plain head cannot (their logits
    were never trained). This is why copy generalises to rare palette entries."""
    colours, trained_on = 60, 40

    def sprites_of(c):
        return torch.stack([c, torch.zeros_like(c), c], 1)[:, None, :]

    p_repeat = {}
    for copy in (False, True):
        torch.manual_seed(0)
        task = pixelrnn.Task(pixelrnn.Config(hidden=16, embed=8, lr=1e-2, copy=copy),
                             np.zeros((colours, 3), np.uint8), (1, 3), torch.device("cpu"))
        for _ in range(300):
            task.train_step(task.modules(), sprites_of(torch.randint(1, trained_on, (64,))))
        task.net.eval()
        with torch.no_grad():
            p_repeat[copy] = task.net.log_probs(sprites_of(torch.arange(trained_on, colours)))[:, 2].exp()
    assert p_repeat[True].min() > 0.1, p_repeat[True]
    assert p_repeat[False].max() < 0.01, p_repeat[False]


@pytest.fixture(scope="module")
def tiny_run(train_tiny, sprites):
    return train_tiny("pixelrnn", TINY_2D, sprites)


def test_training_logs_bits_per_pixel_and_keeps_the_best_held_out_checkpoint(tiny_run):
    records = RunDir(tiny_run).metrics()
    assert any("loss" in r and "bits_per_pixel" in r for r in records)
    held = [r["val/bits_per_pixel"] for r in records if "val/bits_per_pixel" in r]
    assert len(held) == 2 and all(0 < b < math.log2(40) for b in held)
    assert RunDir(tiny_run).best_checkpoint.is_file()


def test_cli_complete_and_sample_write_pngs(tiny_run, tmp_path, sprites, capsys):
    out = tmp_path / "complete.png"
    assert studio_main(["complete", str(tiny_run), "--index", "3", "--cover", "0.5", "-n", "3",
                        "-o", str(out), "--seed", "1", "--scale", "2"]) == 0
    side = sprites.height
    width = (5 * (side + 1) + 1) * 2  # sprite, mask, 3 variants; 1 px gaps; scale 2
    assert Image.open(out).size == (width, (side + 2) * 2)
    assert "3 completions" in capsys.readouterr().out

    Image.fromarray(sprites.rgb(4)).save(tmp_path / "sprite.png")
    mask = np.zeros((side, side), np.uint8)
    mask[4:6, :] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    out2 = tmp_path / "from_image.png"
    assert studio_main(["complete", str(tiny_run), "--image", str(tmp_path / "sprite.png"),
                        "--mask", str(tmp_path / "mask.png"), "-n", "2", "-o", str(out2), "--scale", "1"]) == 0
    row = np.asarray(Image.open(out2))
    # Column 0 is the sprite itself, read back through the palette; rows outside the mask are kept.
    assert np.array_equal(row[1:side + 1, 1:side + 1], sprites.rgb(4))
    first_variant = row[1:side + 1, 2 * (side + 1) + 1:3 * (side + 1)]
    assert np.array_equal(first_variant[:4], sprites.rgb(4)[:4])
    assert np.array_equal(first_variant[6:], sprites.rgb(4)[6:])

    grid = tmp_path / "grid.png"
    assert studio_main(["sample", str(tiny_run), "-n", "4", "-o", str(grid), "--temperature", "0.8"]) == 0
    assert grid.is_file()
    assert studio_main(["complete", str(tiny_run), "--index", "0", "--mask", str(tmp_path / "nope.png"),
                        "-o", str(out)]) == 2


def test_the_default_preset_is_2d_copy_and_quick_stops_after_5_cpu_minutes():
    from studio.train.config import resolve_config
    from studio.train.settings import default_settings

    assert resolve_config("pixelrnn") == pixelrnn.CONFIGS["2d-copy"]  # what a user should pick
    assert default_settings("pixelrnn", "quick").cpu_budget == 300
    assert default_settings("pixelrnn", "lecture").epochs == 30


def test_runs_saved_before_the_input_and_copy_head_were_shared_still_load(sprites):
    torch.manual_seed(0)
    net = pixelrnn.PixelRNN(TINY_COPY, sprites.num_colors, (sprites.height, sprites.width)).eval()
    old_names = {"input.embed.": "embed.", "input.row_embed.": "row_embed.", "input.col_embed.": "col_embed.",
                 "copy_head.used_embed.": "used_embed.", "copy_head.gate.": "copy_gate."}
    saved = {}
    for key, value in net.state_dict().items():
        old = next((o + key[len(n):] for n, o in old_names.items() if key.startswith(n)), key)
        saved[old] = value
    assert "copy_gate.weight" in saved and "embed.weight" in saved
    reloaded = pixelrnn.PixelRNN(TINY_COPY, sprites.num_colors, (sprites.height, sprites.width)).eval()
    reloaded.load_state_dict(saved)
    x = torch.from_numpy(sprites.indices[:2]).long()
    assert torch.equal(net.log_probs(x), reloaded.log_probs(x))
