"""Masked diffusion: the schedule, the ELBO, seeded sampling, completion, checkpoints, the race, the CLI."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import torch

from studio.cli import main as studio_main
from studio.data import open_dataset
from studio.models import diffusion, transformer
from studio.models.completion import centre_hole, random_pixels
from studio.models.inpainting import DiffusionCompletion, completer_for
from studio.models.race import race_frames
from studio.train.engine import Trainer, TrainSettings
from studio.train.trained import TrainedRun

TINY = diffusion.Config(n_layer=1, n_head=2, n_embd=16, steps=4)
DATA = "builtin:n=32,size=10,seed=3"  # 100 pixels, 25 patches


@pytest.fixture(scope="module")
def sprites():
    return open_dataset(DATA)


@pytest.fixture(scope="module")
def task(sprites):
    torch.manual_seed(0)
    task = diffusion.Task(TINY, sprites.palette.colors, (sprites.height, sprites.width), torch.device("cpu"))
    batch = torch.from_numpy(sprites.indices[:16]).long()
    for _ in range(3):
        task.train_step(task.modules(), batch)
    return task


# --- the forward process -------------------------------------------------------------------------
@pytest.mark.parametrize("schedule", ["cosine", "random"])
@pytest.mark.parametrize("hidden, steps", [(400, 16), (400, 1), (400, 400), (100, 8), (5, 16), (1, 3)])
def test_each_step_commits_at_least_one_pixel_and_the_last_commits_the_rest(schedule, hidden, steps):
    counts = diffusion.hidden_counts(hidden, steps, schedule)
    assert len(counts) == min(steps, hidden) and counts[-1] == 0
    assert all(a > b for a, b in zip([hidden, *counts], counts))


def test_cosine_commits_few_pixels_first_and_many_last_random_the_same_each_step():
    cosine = np.diff([400, *diffusion.hidden_counts(400, 16, "cosine")]) * -1
    assert list(diffusion.hidden_counts(400, 16, "cosine")[:2]) == [math.floor(400 * math.cos(math.pi / 32)),
                                                                   math.floor(400 * math.cos(math.pi / 16))]
    assert cosine[0] < cosine[-1] and list(cosine) == sorted(cosine)
    assert set(np.diff([400, *diffusion.hidden_counts(400, 16, "random")])) == {-25}
    with pytest.raises(ValueError, match="steps"):
        diffusion.hidden_counts(400, 401, "cosine")
    with pytest.raises(ValueError, match="schedule"):
        diffusion.hidden_counts(400, 4, "linear")


def test_a_noisy_sprite_hides_t_pixels_and_a_batch_covers_t_evenly():
    x = torch.zeros(8, 100, dtype=torch.long)
    hidden, t = diffusion.mask_sprites(x, torch.Generator().manual_seed(1))
    assert torch.equal(hidden.sum(1), t) and int(t.min()) >= 1 and int(t.max()) <= 100
    # Stratified: one t in each eighth of 1..100.
    assert sorted(((t - 1) * 8 // 100).tolist()) == list(range(8))


# --- the ELBO --------------------------------------------------------------------------------------
class _Guess(torch.nn.Module):
    """A stand-in network that gives colour 0 the probability 1/(1 + m), m = the pixels hidden."""

    num_colors = 2

    def forward(self, x):
        m = (x == self.num_colors).flatten(1).sum(1).float()  # [B]
        logits = torch.zeros(*x.flatten(1).shape, 2)
        logits[..., 1] = torch.log(m)[:, None]  # p(0) = 1 / (1 + m)
        return logits


def test_the_bound_weights_each_noise_level_by_one_over_t_as_computed_by_hand():
    # 2×2 sprites of colour 0: with t of 4 pixels hidden, each hidden pixel costs log(1 + t),
    # so the bound per pixel is (1/D) Σ_t (1/t) · t · log₂(1 + t) = (log₂2 + log₂3 + log₂4 + log₂5) / 4.
    sprites = torch.zeros(4, 2, 2, dtype=torch.long)
    expected = (1 + math.log2(3) + 2 + math.log2(5)) / 4  # 1.7267 bits
    assert diffusion.elbo_bits(_Guess(), sprites, draws=1) == pytest.approx(expected, abs=1e-5)
    assert diffusion.elbo_bits(_Guess(), sprites, draws=3) == pytest.approx(expected, abs=1e-5)
    # (An unweighted mean over every hidden pixel of the batch, MaskGIT's loss, would say 1.946.)


def test_the_training_loss_is_the_bound_and_an_untrained_model_pays_about_log2_k(task, sprites):
    fresh = diffusion.Task(TINY, sprites.palette.colors, task.size, torch.device("cpu"))
    held = torch.from_numpy(sprites.indices[16:]).long()
    bits = fresh.evaluate(held)["elbo_bits_per_pixel"]
    assert bits == pytest.approx(math.log2(sprites.num_colors), rel=0.1)
    assert fresh.evaluate(held) == fresh.evaluate(held)  # seeded: a checkpoint always scores the same
    metrics = fresh.train_step(fresh.modules(), held)
    assert float(metrics["elbo_bits_per_pixel"]) == pytest.approx(float(metrics["loss"]) / math.log(2))


# --- sampling and completing ---------------------------------------------------------------------
def test_the_same_seed_draws_the_same_sprites(task):
    a, b = task.draw(6, seed=3), task.draw(6, seed=3)
    assert a.shape == (6, *task.size) and a.dtype == np.uint8 and np.array_equal(a, b)
    assert not np.array_equal(a, task.draw(6, seed=4))
    assert np.array_equal(task.draw(6, seed=3, steps=8, schedule="random"),
                          task.draw(6, seed=3, steps=8, schedule="random"))
    assert int(a.max()) < task.num_colors  # no [MASK] left


@pytest.mark.parametrize("schedule", ["cosine", "random"])
def test_a_trajectory_records_when_each_pixel_was_committed_and_how_sure_the_model_was(task, schedule):
    h, w = task.size
    found = task.trajectory(np.zeros((h, w), np.uint8), np.ones((h, w), bool), n=3, seed=0, steps=5,
                            schedule=schedule, corrector=0)
    frames = found.frames()
    assert frames.shape == (6, 3, h, w) and found.steps == 5 and len(found.seconds) == 6
    assert (frames[0] == task.num_colors).all() and np.array_equal(frames[-1], found.sprites)
    hidden_left = (frames == task.num_colors).sum(axis=(2, 3))[:, 0]
    assert list(hidden_left[1:]) == diffusion.hidden_counts(h * w, 5, schedule)
    assert found.committed_at.min() == 1 and found.committed_at.max() == 5
    assert ((found.confidence > 0) & (found.confidence <= 1)).all()
    assert np.allclose(found.log_p, np.log(found.confidence).sum(axis=(1, 2)), rtol=1e-4)
    assert list(np.diff(found.seconds) >= 0) == [True] * 5


def test_corrector_passes_redraw_a_tenth_of_the_drawn_pixels_after_the_k_steps(task):
    h, w = task.size
    blank, everything = np.zeros((h, w), np.uint8), np.ones((h, w), bool)
    found = task.trajectory(blank, everything, n=3, seed=0, steps=5, corrector=6)
    assert found.draw_steps == 5 and found.steps == 11 and len(found.seconds) == 12
    assert found.redrawn.shape == found.recoloured.shape == (6, 3, round(diffusion.CORRECTOR_SHARE * h * w))
    frames = found.frames()
    assert np.array_equal(frames[5], found.drafted) and np.array_equal(frames[-1], found.sprites)
    assert (frames[5:] < task.num_colors).all()  # nothing hidden once the K steps are done
    for r in range(6):  # pass r changes the pixels it redrew and no other
        changed = (frames[6 + r] != frames[5 + r]).reshape(3, -1)
        for sprite in range(3):
            assert set(np.flatnonzero(changed[sprite])) <= set(found.redrawn[r, sprite].tolist())
    assert np.allclose(found.log_p, np.log(found.confidence).sum(axis=(1, 2)), rtol=1e-4)
    # The corrector changes sprites; the same seed, the same ones; none: the K steps' sprites.
    assert not np.array_equal(found.sprites, found.drafted)
    assert np.array_equal(found.sprites, task.trajectory(blank, everything, n=3, seed=0, steps=5, corrector=6).sprites)
    plain = task.trajectory(blank, everything, n=3, seed=0, steps=5, corrector=0)
    assert np.array_equal(plain.sprites, plain.drafted) and np.array_equal(plain.drafted, found.drafted)
    with pytest.raises(ValueError, match="corrector"):
        task.trajectory(blank, everything, corrector=401)


def test_the_logits_of_a_few_pixels_are_those_of_the_whole_pass(task, sprites):
    x = torch.from_numpy(sprites.indices[:3]).long()
    x[:, 2:5, 1:7] = task.num_colors
    at = torch.tensor([[0, 5, 99], [17, 18, 40], [3, 2, 1]])
    with torch.no_grad():
        assert torch.allclose(task.net(x, at=at), task.net(x).gather(1, at[..., None].expand(-1, -1, task.num_colors)),
                              atol=1e-5)


def test_one_step_commits_every_pixel_at_once_and_400_steps_one_at_a_time(task):
    h, w = task.size
    blank, everything = np.zeros((h, w), np.uint8), np.ones((h, w), bool)
    assert (task.trajectory(blank, everything, steps=1).committed_at == 1).all()
    one_by_one = task.trajectory(blank, everything, steps=400, schedule="random").committed_at
    assert sorted(one_by_one.reshape(-1).tolist()) == list(range(1, h * w + 1))  # K is capped at D


@pytest.mark.parametrize("make_mask", [lambda s: centre_hole(s, 0.3), lambda s: random_pixels(s, 0.5, seed=2),
                                       lambda s: np.ones(s, bool), lambda s: np.zeros(s, bool)],
                         ids=["hole", "random", "all", "none"])
def test_completion_never_changes_a_visible_pixel(task, sprites, make_mask):
    sprite, mask = sprites.indices[20], make_mask(task.size)
    variants = completer_for(task).complete(sprite, mask, n=4, seed=1)
    assert len(variants) == 4 and [v.score for v in variants] == sorted((v.score for v in variants), reverse=True)
    for v in variants:
        assert np.array_equal(v.sprite[~mask], sprite[~mask]) and int(v.sprite.max()) < task.num_colors
    again = completer_for(task).complete(sprite, mask, n=4, seed=1)
    assert all(np.array_equal(a.sprite, b.sprite) for a, b in zip(variants, again))
    found = task.trajectory(sprite, mask, n=2, seed=1)
    assert (found.committed_at[:, ~mask] == 0).all() and (found.committed_at[:, mask] >= 1).all()
    # A hole takes the run's K's share: as many pixels a step as a full draw; no corrector unless asked.
    assert found.steps == min(diffusion.share_of_steps(TINY.steps, int(mask.sum()), mask.size), int(mask.sum()))
    corrected = DiffusionCompletion(task, corrector=3).complete(sprite, mask, n=4, seed=1)
    assert all(np.array_equal(v.sprite[~mask], sprite[~mask]) for v in corrected)
    found = task.trajectory(sprite, mask, n=2, seed=1, corrector=3)
    assert found.steps - found.draw_steps == (3 if mask.any() else 0)
    assert mask.reshape(-1)[found.redrawn].all()  # the corrector redraws only pixels of the hole


# --- checkpoints, the engine -------------------------------------------------------------------------
def test_a_trained_run_reloads_and_draws_the_same_sprites(sprites, tmp_path):
    settings = TrainSettings(epochs=2, batch_size=16, log_every=1, sample_every=0, sample_count=4,
                             checkpoint_every=0)
    trainer = Trainer("diffusion", TINY, sprites, settings, tmp_path / "run")
    trainer.run_training()
    drawn = trainer.task.draw(5, seed=9)
    run = TrainedRun.open(tmp_path / "run", "last")
    assert run.model == "diffusion" and run.config["model_config"]["steps"] == 4
    assert np.array_equal(run.task.draw(5, seed=9), drawn)
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert any("val/elbo_bits_per_pixel" in r for r in records)
    assert (tmp_path / "run" / "checkpoints" / "best.pt").is_file()


# --- the race --------------------------------------------------------------------------------------
def test_the_race_shows_raster_order_pixel_by_pixel_and_diffusion_step_by_step(task, sprites):
    torch.manual_seed(0)
    raster = transformer.Task(transformer.Config(n_embd=16, n_head=2, n_layer=1), sprites.palette.colors,
                              task.size, torch.device("cpu"))
    sprite, mask = sprites.indices[7], centre_hole(task.size, 0.3)
    hidden = int(mask.sum())
    for frames, count in ((race_frames(raster, sprite, mask, n=4, seed=0), hidden),
                          (race_frames(task, sprite, mask, n=4, seed=0), TINY.steps)):
        count = count if frames.order == "raster" else diffusion.share_of_steps(count, hidden, sprite.size)
        assert frames.frames.shape == (count + 1, *task.size) and len(frames.seconds) == count + 1
        assert (np.diff(frames.seconds) >= 0).all()
        still = (frames.frames == frames.mask_token).sum(axis=(1, 2))
        assert still[0] == hidden and still[-1] == 0 and (np.diff(still) < 0).all()
        assert (frames.frames[:, ~mask] == sprite[~mask]).all()
        assert np.array_equal(frames.at(frames.seconds[-1] + 1), frames.sprite)
    raster_frames = race_frames(raster, sprite, mask, n=4, seed=0)
    first = np.flatnonzero(mask.reshape(-1))[0]
    assert raster_frames.order == "raster" and raster_frames.frames[1].reshape(-1)[first] != task.num_colors
    # The frame shown last is the variant the canvas ranks first.
    assert np.array_equal(race_frames(task, sprite, mask, n=4, seed=0).sprite,
                          completer_for(task).complete(sprite, mask, n=4, seed=0)[0].sprite)


def test_a_decaying_learning_rate_follows_its_cosine_and_a_resumed_run_goes_on_where_it_stopped(sprites):
    cfg = dataclasses.replace(TINY, lr=1e-2, lr_min=1e-3, lr_decay_steps=4)
    batch = torch.from_numpy(sprites.indices[:16]).long()
    cosine = [1e-3 + 9e-3 * 0.5 * (1 + math.cos(math.pi * k / 4)) for k in range(4)] + [1e-3, 1e-3]
    first = diffusion.Task(cfg, sprites.palette.colors, (sprites.height, sprites.width), torch.device("cpu"))
    lrs = [float(first.train_step(first.modules(), batch)["lr"]) for _ in range(3)]
    # What a checkpoint keeps of the task: its network and its optimiser's state.
    resumed = diffusion.Task(cfg, sprites.palette.colors, (sprites.height, sprites.width), torch.device("cpu"))
    resumed.net.load_state_dict(first.net.state_dict())
    resumed.opt.load_state_dict(first.opt.state_dict())
    lrs += [float(resumed.train_step(resumed.modules(), batch)["lr"]) for _ in range(3)]
    assert lrs == pytest.approx(cosine)
    constant = diffusion.Task(TINY, sprites.palette.colors, (sprites.height, sprites.width), torch.device("cpu"))
    assert "lr" not in constant.train_step(constant.modules(), batch)  # reported only when it decays
    assert constant.opt.param_groups[0]["lr"] == TINY.lr
    with pytest.raises(ValueError, match="lr_min"):
        dataclasses.replace(TINY, lr_min=1.0)


# --- the commands ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_the_commands_train_sample_complete_eval_and_score_a_diffusion_run(tmp_path, capsys):
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps({"n_layer": 1, "n_head": 2, "n_embd": 16, "steps": 4}))
    run = tmp_path / "run"
    assert studio_main(["train", "diffusion", "--data", "builtin:n=64,size=10,seed=3", "--config", str(config), "--epochs", "1",
                        "--out", str(run), "--quiet"]) == 0
    assert studio_main(["train", "diffusion", "--resume", str(run), "--epochs", "2", "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["step"] == 2  # 58 training sprites: one batch of 64 an epoch
    assert studio_main(["sample", str(run), "-n", "4", "-o", str(tmp_path / "s.png")]) == 0
    assert studio_main(["sample", str(run), "-n", "4", "--steps", "9", "--schedule", "random",
                        "-o", str(tmp_path / "s.npy")]) == 0
    assert np.load(tmp_path / "s.npy").shape == (4, 10, 10)
    # The run's corrector passes by default; --corrector 0 leaves the K steps' sprites as they are.
    for passes, name in ((None, "with.npy"), ("0", "without.npy"), ("0", "again.npy")):
        assert studio_main(["sample", str(run), "-n", "4", "-o", str(tmp_path / name)]
                           + (["--corrector", passes] if passes else [])) == 0
    assert np.array_equal(np.load(tmp_path / "without.npy"), np.load(tmp_path / "again.npy"))
    assert not np.array_equal(np.load(tmp_path / "with.npy"), np.load(tmp_path / "without.npy"))
    with pytest.raises(SystemExit):
        studio_main(["sample", str(run), "-n", "4", "--corrector", "401", "-o", str(tmp_path / "x.npy")])
    assert studio_main(["complete", str(run), "--index", "2", "--random", "0.5", "-n", "3", "--corrector", "2",
                        "-o", str(tmp_path / "c.txt")]) == 0
    assert studio_main(["complete", str(run), "--index", "2", "--hole", "0.3", "--steps", "2",
                        "-o", str(tmp_path / "c.png")]) == 0
    assert "log p(colours as committed)" in capsys.readouterr().out
    assert studio_main(["eval", str(run), "-n", "16"]) == 0
    assert "elbo_bits_per_pixel" in json.loads(capsys.readouterr().out)["held_out"]
    assert studio_main(["score", str(run), "-n", "32"]) == 0
    assert "c2st" in json.loads(capsys.readouterr().out)


def test_steps_are_refused_for_a_model_that_has_none(tmp_path, capsys, sprites):
    settings = TrainSettings(epochs=1, batch_size=16, sample_every=0, sample_count=0, eval_every=0)
    Trainer("transformer", transformer.Config(n_embd=16, n_head=2, n_layer=1), sprites, settings,
            tmp_path / "tf").run_training()
    assert studio_main(["sample", str(tmp_path / "tf"), "-n", "2", "--steps", "8",
                        "-o", str(tmp_path / "s.png")]) == 2
    assert "steps is for diffusion runs" in capsys.readouterr().err
    assert studio_main(["sample", str(tmp_path / "tf"), "-n", "2", "--corrector", "8",
                        "-o", str(tmp_path / "s.png")]) == 2
    assert "corrector is for diffusion runs" in capsys.readouterr().err
