"""The training engine, through the GAN: runs, events, checkpoints, resume, faults, DDP."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import pickle
import socket
import threading

import pytest
import torch
import torch.multiprocessing as mp

from studio.data.builtin import builtin_creatures
from studio.models import gan
from studio.errors import CheckpointError, TrainingError
from studio.train.checkpoint import load_checkpoint, save_checkpoint
from studio.train.engine import Trainer, TrainingControl, TrainingListener, TrainSettings
from studio.train.run import MetricsFollower, RunDir

TINY_GAN = dataclasses.replace(gan.DCGAN, z_dim=8, width=8)


@pytest.fixture(scope="module")
def sprites():
    return builtin_creatures(n=48, seed=3)


def settings(**kw) -> TrainSettings:
    base = dict(epochs=2, batch_size=8, log_every=1, sample_every=0, sample_count=8, checkpoint_every=1)
    base.update(kw)
    return TrainSettings(**base)


class Recorder(TrainingListener):
    def __init__(self):
        self.metrics, self.samples, self.progress, self.finished, self.failed = [], [], [], [], []

    def on_metrics(self, record): self.metrics.append(record)
    def on_samples(self, step, grid): self.samples.append((step, grid))
    def on_progress(self, progress): self.progress.append(progress)
    def on_finished(self, summary): self.finished.append(summary)
    def on_failed(self, error): self.failed.append(error)


def weights(trainer: Trainer) -> dict:
    return {f"{m}.{k}": v.clone() for m, mod in trainer.task.modules().items() for k, v in mod.state_dict().items()}


def test_a_run_is_a_folder_with_config_metrics_samples_and_checkpoints(tmp_path, sprites):
    recorder = Recorder()
    trainer = Trainer("gan", TINY_GAN, sprites, settings(), tmp_path / "run", [recorder])
    summary = trainer.run_training()

    run = RunDir(tmp_path / "run")
    config = run.config()
    assert config["model"] == "gan" and config["model_config"]["z_dim"] == 8
    assert config["data"]["num_colors"] == sprites.num_colors and config["train"]["batch_size"] == 8
    records = run.metrics()
    steps = [r["step"] for r in records if "d_loss" in r]
    assert steps == list(range(1, trainer.total_steps + 1))
    for key in ("d_loss", "g_loss", "d_real", "d_fake", "epoch", "time"):
        assert key in records[0]
    assert summary["status"] == "finished" and summary["step"] == trainer.total_steps == 10
    assert run.sample_grids() and run.latest_checkpoint() is not None
    # Events mirror the folder: every metrics line reached the listener, progress counts up to the end.
    assert [r["step"] for r in recorder.metrics] == [r["step"] for r in records]
    assert recorder.progress[-1].step == recorder.progress[-1].total == 10
    assert recorder.samples[-1][1].ndim == 3 and recorder.finished == [summary]


@pytest.mark.slow
def test_resume_is_exact_on_cpu(tmp_path, sprites):
    straight = Trainer("gan", TINY_GAN, sprites, settings(epochs=3), tmp_path / "a")
    straight.run_training()

    first = Trainer("gan", TINY_GAN, sprites, settings(epochs=3, max_steps=7), tmp_path / "b")
    assert first.run_training()["status"] == "stopped at max_steps"
    resumed = Trainer.resume(tmp_path / "b")
    assert resumed.state.step == 7
    resumed.run_training()
    assert resumed.state.step == straight.state.step == 15
    a, b = weights(straight), weights(resumed)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


@pytest.mark.slow
def test_a_cpu_budget_stops_the_run_with_a_checkpoint_and_counts_over_resumes(tmp_path, sprites):
    trainer = Trainer("gan", TINY_GAN, sprites, settings(epochs=1000, cpu_budget=0.5), tmp_path / "r")
    summary = trainer.run_training()
    assert summary["status"] == "stopped at the CPU budget"
    assert 0 < summary["step"] < trainer.total_steps
    records = RunDir(tmp_path / "r").metrics()
    assert records[-1]["cpu"] >= 0.5 and all(r["cpu"] >= 0 for r in records)
    spent = resumed_from = records[-1]["cpu"]
    resumed = Trainer.resume(tmp_path / "r", cpu_budget=spent + 0.5)
    assert resumed.state.cpu_seconds == pytest.approx(resumed_from, abs=1e-3)  # the run's budget, not the session's
    assert resumed.run_training()["step"] > summary["step"]
    assert resumed.state.cpu_seconds >= spent + 0.5


def test_stop_pause_and_resume_are_honoured_between_steps(tmp_path, sprites):
    control = TrainingControl()
    seen = []

    class PauseThenStop(TrainingListener):
        def on_metrics(self, record):
            seen.append(record["step"])
            if record["step"] == 3:
                control.pause()
                # Resume from another thread after the loop has had time to block.
                threading.Timer(0.3, control.resume).start()
            if record["step"] == 5:
                control.stop()

    trainer = Trainer("gan", TINY_GAN, sprites, settings(epochs=50), tmp_path / "run", [PauseThenStop()], control)
    summary = trainer.run_training()
    assert summary["status"] == "stopped" and summary["step"] == 5
    # Stopping keeps a checkpoint of exactly where it stopped.
    state = load_checkpoint(RunDir(tmp_path / "run").latest_checkpoint())
    assert state["step"] == 5


def test_a_nan_loss_stops_with_a_clear_message_and_keeps_the_last_good_checkpoint(tmp_path, sprites):
    trainer = Trainer("gan", TINY_GAN, sprites, settings(epochs=4), tmp_path / "run")
    real_step = trainer.task.train_step

    def diverging_step(nets, batch):
        out = real_step(nets, batch)
        if trainer.state.step >= 7:  # the 8th step blows up
            out["d_loss"] = torch.tensor(math.nan)
        return out

    trainer.task.train_step = diverging_step
    with pytest.raises(TrainingError, match=r"d_loss became nan at step 8.*last good checkpoint"):
        trainer.run_training()
    run = RunDir(tmp_path / "run")
    kept = run.latest_checkpoint()
    assert load_checkpoint(kept)["step"] == 5  # the epoch-end checkpoint before the blow-up
    assert all(math.isfinite(r.get("d_loss", 0.0)) for r in run.metrics())


def test_a_crafted_checkpoint_is_refused_without_running_code(tmp_path):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.pt"
    torch.save({"format": "pokemon-studio/1", "payload": Exploit()}, path, pickle_module=pickle)
    with pytest.raises(CheckpointError, match="evil.pt.*refused"):
        load_checkpoint(path)
    assert not marker.exists()


def test_truncated_and_foreign_checkpoints_name_the_file(tmp_path):
    good = save_checkpoint({"format": "pokemon-studio/1", "w": torch.ones(1000)}, tmp_path / "good.pt")
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[:300])
    with pytest.raises(CheckpointError, match="truncated.pt.*not a readable checkpoint"):
        load_checkpoint(truncated)
    foreign = save_checkpoint({"weights": torch.ones(3)}, tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="foreign.pt.*not a Pokémon Studio checkpoint"):
        load_checkpoint(foreign)


@pytest.mark.slow
def test_checkpoint_writes_are_atomic_and_only_the_last_few_are_kept(tmp_path, sprites):
    trainer = Trainer("gan", TINY_GAN, sprites, settings(epochs=6, keep_checkpoints=2), tmp_path / "run")
    trainer.run_training()
    run = RunDir(tmp_path / "run")
    assert [p.name for p in run.step_checkpoints()] == ["step_0000025.pt", "step_0000030.pt"]
    assert not list(run.checkpoints_dir.glob("*.tmp"))


def test_metrics_follower_reads_only_complete_lines(tmp_path):
    path = tmp_path / "metrics.jsonl"
    follower = MetricsFollower(path)
    assert follower.poll() == []
    path.write_text('{"step": 1, "d_loss": 0.5}\n{"step": 2, "d_lo')
    assert follower.poll() == [{"step": 1, "d_loss": 0.5}]
    with path.open("a") as f:
        f.write('ss": NaN}\n')
    second = follower.poll()
    assert second[0]["step"] == 2 and math.isnan(second[0]["d_loss"])


def _ddp_worker(rank: int, world: int, port: int, out: str) -> None:
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    sprites = builtin_creatures(n=48, seed=3)
    trainer = Trainer("gan", TINY_GAN, sprites, settings(epochs=1, device="cpu"), os.path.join(out, "run"))
    trainer.run_training()
    torch.save(weights(trainer), os.path.join(out, f"rank{rank}.pt"))
    torch.distributed.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_ddp_on_two_cpu_processes_keeps_weights_identical_and_writes_the_run_once(tmp_path):
    mp.spawn(_ddp_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True)
    a = torch.load(tmp_path / "rank0.pt", weights_only=True)
    b = torch.load(tmp_path / "rank1.pt", weights_only=True)
    for k in a:
        if k.startswith(("g.", "d.")) and "num_batches" not in k and "running" not in k:
            assert torch.allclose(a[k], b[k]), k
    run = RunDir(tmp_path / "run")
    lines = run.metrics_path.read_text().splitlines()
    steps = [json.loads(line)["step"] for line in lines if "d_loss" in line]
    assert steps == sorted(set(steps)), "each step is logged once, by rank 0 alone"
    assert json.loads(run.config_path.read_text())["world_size"] == 2


@pytest.mark.slow
def test_the_yardstick_is_logged_at_its_interval_and_changes_nothing_in_training(tmp_path, sprites):
    scored = Trainer("gan", TINY_GAN, sprites, settings(epochs=4, score_every=2, score_count=16), tmp_path / "a")
    scored.run_training()
    evaluations = [r for r in RunDir(tmp_path / "a").metrics() if "val/mmd" in r]
    with_scores = [r["epoch"] for r in evaluations if "val/c2st" in r]
    assert with_scores == [2, 4]
    for key in ("val/c2st", "val/precision", "val/recall", "val/copy_rate", "val/mmd2"):
        assert 0 <= evaluations[-1][key] <= 1, key
    plain = Trainer("gan", TINY_GAN, sprites, settings(epochs=4, score_every=0), tmp_path / "b")
    plain.run_training()
    assert not any("val/c2st" in r for r in RunDir(tmp_path / "b").metrics())
    a, b = weights(scored), weights(plain)  # scoring draws from its own seeds, not training's RNG
    for k in a:
        assert torch.equal(a[k], b[k]), k
