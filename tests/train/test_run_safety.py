"""Runs never mix or lose data: one writer per run, resume falls back past bad checkpoints, the
log is cut back to the checkpoint, a full disk leaves the last good checkpoint, paths are absolute."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from benchmarks.bad_inputs import tmpfs_prefix
from studio.data.builtin import builtin_creatures
from studio.data.course import save_course
from studio.errors import OutputError
from studio.models import gan, vae
from studio.errors import CheckpointError, RunInUseError, TrainingError
from studio.train.checkpoint import CHECKPOINT_FORMAT, load_checkpoint, save_checkpoint
from studio.train.engine import Trainer, TrainSettings
from studio.train.run import RunDir, RunLock

TINY_GAN = dataclasses.replace(gan.DCGAN, z_dim=8, width=8)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sprites():
    return builtin_creatures(n=40, seed=3)


def settings(**kw) -> TrainSettings:
    # 36 training sprites / 8 = 4 steps an epoch; a checkpoint every epoch, all kept.
    base = dict(epochs=3, batch_size=8, log_every=1, sample_every=0, sample_count=0, checkpoint_every=1,
                keep_checkpoints=10, device="cpu")
    base.update(kw)
    return TrainSettings(**base)


def trained_run(path, sprites, **kw) -> RunDir:
    Trainer("gan", TINY_GAN, sprites, settings(**kw), path).run_training()
    return RunDir(path)


def steps(run: RunDir) -> list[int]:
    return [r["step"] for r in run.metrics() if not any(k.startswith("val/") for k in r)]


# --- one run, one writer ------------------------------------------------------------------------
def test_a_second_writer_is_refused_with_the_holders_pid(tmp_path, sprites):
    first = Trainer("gan", TINY_GAN, sprites, settings(), tmp_path / "run")
    with pytest.raises(RunInUseError, match=f"PID {os.getpid()}"):
        Trainer("gan", TINY_GAN, sprites, settings(), tmp_path / "run")
    first.run_training()  # the lock goes with the end of training...
    assert not first.lock.held
    Trainer.resume(tmp_path / "run").release()  # ...so the next writer may take it


def test_a_second_process_is_refused_while_the_first_writes(tmp_path):
    folder = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from studio.train.run import RunLock; RunLock(sys.argv[1]).acquire(); "
        "print('locked', flush=True); time.sleep(60)"), str(folder)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunInUseError, match=f"PID {holder.pid}"):
            RunLock(folder).acquire()
        holder.send_signal(signal.SIGKILL)  # kill -9: no clean-up runs in the holder
        holder.wait(10)
        lock = RunLock(folder).acquire()  # the OS dropped the dead process's lock: taken over
        assert lock.took_over == f"PID {holder.pid}"
        lock.release()
    finally:
        holder.kill()
        holder.wait(10)


def test_a_stale_lock_file_is_taken_over_and_said_so(tmp_path, sprites):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / ".writer.lock").write_text("4194000 somehost\n")  # a PID from a process long gone
    trainer = Trainer("gan", TINY_GAN, sprites, settings(), folder)
    assert any("took over the lock of PID 4194000" in n for n in trainer.notices)
    trainer.release()


def test_out_into_an_existing_run_is_refused(tmp_path, sprites):
    run = trained_run(tmp_path / "run", sprites, epochs=1)
    before = run.config_path.read_bytes()
    with pytest.raises(TrainingError, match="already holds a run.*--resume"):
        Trainer("vae", dataclasses.replace(vae.LECTURE, latent_dim=2, width=4, hidden=8), sprites, settings(),
                run.path)
    assert run.config_path.read_bytes() == before  # the GAN's config.json is untouched


# --- checkpoints: checksum and fallback ---------------------------------------------------------------
def test_a_flipped_bit_in_a_checkpoint_is_an_error_not_other_weights(tmp_path):
    weights = torch.arange(1000, dtype=torch.float32)
    path = save_checkpoint({"format": CHECKPOINT_FORMAT, "w": weights}, tmp_path / "c.pt")
    data = bytearray(path.read_bytes())
    data[data.find(weights.numpy().tobytes()) + 100] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="checksum"):
        load_checkpoint(path)


def test_resume_falls_back_to_the_newest_checkpoint_that_loads(tmp_path, sprites):
    run = trained_run(tmp_path / "run", sprites, epochs=3)  # checkpoints at steps 4, 8 and 12
    assert [p.name for p in run.step_checkpoints()] == ["step_0000004.pt", "step_0000008.pt", "step_0000012.pt"]
    newest = run.step_checkpoints()[-1]
    newest.write_bytes(newest.read_bytes()[:5000])  # truncated
    # ... and one of another model, newer still
    save_checkpoint({"format": CHECKPOINT_FORMAT, "model": "vae", "modules": {}}, run.step_checkpoint(13))
    trainer = Trainer.resume(run.path, epochs=4)
    assert trainer.state.step == 8
    assert any("a vae checkpoint" in n for n in trainer.notices)
    assert any("truncated or corrupt" in n and "step_0000008.pt" in n for n in trainer.notices)
    assert [p.name for p in run.step_checkpoints()] == ["step_0000004.pt", "step_0000008.pt"]
    assert sorted(p.name for p in run.checkpoints_dir.glob("*.unusable")) == \
        ["step_0000012.pt.unusable", "step_0000013.pt.unusable"]
    trainer.run_training()
    assert steps(run) == list(range(1, 17))  # steps 9..12 retrained once, no step twice


def test_resume_with_another_batch_size_is_refused(tmp_path, sprites):
    run = trained_run(tmp_path / "run", sprites, epochs=1)
    with pytest.raises(TrainingError, match="batch size 8; resuming with 4"):
        Trainer.resume(run.path, batch_size=4)
    Trainer.resume(run.path, batch_size=8).release()  # the same size is fine


# --- the log stays true ---------------------------------------------------------------------------------
def test_resume_cuts_a_torn_tail_and_records_past_the_checkpoint(tmp_path, sprites):
    run = trained_run(tmp_path / "run", sprites, epochs=2)  # last checkpoint at step 8
    with run.metrics_path.open("a") as f:  # what a kill -9 after step 10's log line leaves
        f.write(json.dumps({"step": 9, "epoch": 2.25, "loss_d": 1.0}) + "\n")
        f.write(json.dumps({"step": 10, "epoch": 2.5, "loss_d": 1.0}) + "\n")
        f.write('{"step": 11, "epoch": 2.7')  # torn mid-line
    trainer = Trainer.resume(run.path, epochs=3)
    assert any("cut back to step 8" in n and "2 later record(s) and 1 torn" in n for n in trainer.notices)
    assert all(json.loads(line) for line in run.metrics_path.read_text().splitlines())
    trainer.run_training()
    assert steps(run) == list(range(1, 13))


@pytest.mark.slow
def test_kill_9_then_resume_logs_no_step_twice(tmp_path):
    """A real `studio train` killed with SIGKILL between checkpoints, then resumed."""
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "studio", "train", "gan", "--data", "builtin:n=40", "--batch-size", "8",
           "--epochs", "1000", "--quiet", "--out", str(out), "--device", "cpu"]
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    run = RunDir(out)
    try:
        deadline = time.monotonic() + 120
        # GAN defaults: a checkpoint every 5 epochs (20 steps), a record every 10 steps.
        while time.monotonic() < deadline and not (run.step_checkpoints() and steps(run)
                                                   and steps(run)[-1] % 20 == 10):
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    logged, saved = steps(run), int(run.latest_checkpoint().stem.split("_")[1])
    assert logged[-1] > saved  # the kill left records the checkpoint does not have
    done = subprocess.run(cmd[:5] + ["--resume", str(out), "--steps", str(logged[-1] + 20), "--quiet"],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"cut back to step {saved}" in done.stderr
    final = steps(run)
    assert final == sorted(set(final)) and final[-1] == logged[-1] + 20


# --- a full disk ----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_full_disk_mid_checkpoint_is_one_error_and_keeps_the_last_good_one(tmp_path):
    prefix = tmpfs_prefix()
    if prefix is None:
        pytest.skip("needs Linux with unprivileged user and mount namespaces (unshare -rm) for a small tmpfs")
    script = tmp_path / "fill.py"
    script.write_text(
        "import sys, torch\n"
        "from pathlib import Path\n"
        "from studio.errors import OutputError\n"
        "from studio.train.checkpoint import CHECKPOINT_FORMAT, save_checkpoint, load_checkpoint\n"
        "folder = Path(sys.argv[1])\n"
        "save_checkpoint({'format': CHECKPOINT_FORMAT, 'w': torch.zeros(10_000)}, folder / 'step_1.pt')\n"
        "try:\n"
        "    save_checkpoint({'format': CHECKPOINT_FORMAT, 'w': torch.zeros(1_000_000)}, folder / 'step_2.pt')\n"
        "except OutputError as err:\n"
        "    print('ERROR', err)\n"
        "print('FILES', sorted(p.name for p in folder.iterdir()))\n"
        "print('LOADS', load_checkpoint(folder / 'step_1.pt')['w'].shape[0])\n")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    done = subprocess.run(prefix + [f'mount -t tmpfs -o size=1m tmpfs "{mnt}" && '
                                    f'"{sys.executable}" "{script}" "{mnt}"'],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert "step_2.pt: no space left on device (the disk is full" in lines["ERROR"]
    assert lines["FILES"] == "['step_1.pt']"  # no *.tmp left behind
    assert lines["LOADS"] == "10000"


def test_a_failed_checkpoint_write_names_the_last_good_one(tmp_path, sprites, monkeypatch):
    trainer = Trainer("gan", TINY_GAN, sprites, settings(epochs=2), tmp_path / "run")
    real = save_checkpoint

    def full_disk_after_the_first(state, path):
        if state["step"] > 4:
            raise OutputError("no space left on device", path, hint="the disk is full: free some space")
        return real(state, path)

    monkeypatch.setattr("studio.train.engine.save_checkpoint", full_disk_after_the_first)
    with pytest.raises(OutputError, match="last good checkpoint, step_0000004.pt, is kept.*then resume"):
        trainer.run_training()
    assert not trainer.lock.held
    assert load_checkpoint(RunDir(tmp_path / "run").latest_checkpoint())["step"] == 4


# --- paths ----------------------------------------------------------------------------------------------
def test_a_relative_data_path_is_saved_absolute(tmp_path, sprites, monkeypatch):
    save_course(sprites, tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    from studio.data import open_dataset

    trainer = Trainer("gan", TINY_GAN, open_dataset("data"), settings(epochs=1), "run")
    trainer.run_training()
    assert RunDir(tmp_path / "run").config()["data"]["source"] == str(tmp_path / "data")
    monkeypatch.chdir("/")  # resume works from any folder
    Trainer.resume(tmp_path / "run").release()


def test_a_follower_continues_after_a_resume_cut_the_log_back(tmp_path):
    from studio.train.run import MetricsFollower

    run = RunDir(tmp_path)
    for step in (10, 20, 30, 40):
        run.append_metrics({"step": step, "loss": 1.0})
    follower = MetricsFollower(run.metrics_path)
    assert [r["step"] for r in follower.poll()] == [10, 20, 30, 40]
    assert run.truncate_metrics(20) == (0, 2)  # a resume from the checkpoint at step 20
    assert follower.poll() == []
    run.append_metrics({"step": 30, "loss": 0.5})
    assert follower.poll() == [{"step": 30, "loss": 0.5}]
