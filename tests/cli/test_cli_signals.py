"""SIGTERM and SIGHUP stop `studio train` as Ctrl-C does: the step under way finishes, a
checkpoint is written at the last logged step, the command exits 0. A second signal aborts at
once; copies of one signal (the process group's and the process's) count as one. Real signals
to real processes."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from studio.train.checkpoint import load_checkpoint
from studio.train.run import RunDir, writer_of
from studio.train.signals import GRACE_SECONDS, SignalAbort, SignalStop

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

TINY = ["--data", "builtin:n=48,seed=3", "--batch-size", "8", "--device", "cpu"]
ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}


@pytest.fixture()
def spawn():
    """subprocess.Popen, with every process still running at the test's end killed."""
    started = []

    def start(*args, **kwargs):
        started.append(subprocess.Popen(*args, **kwargs))
        return started[-1]

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture()
def tiny_gan_config(tmp_path) -> str:
    path = tmp_path / "tiny.toml"
    path.write_text("z_dim = 8\nwidth = 8\n")
    return str(path)


def train_argv(run, config, quiet=True):
    return [sys.executable, "-m", "studio", "train", "gan", *TINY, "--config", config, "--epochs", "100000",
            "--out", str(run), *(["--quiet"] if quiet else [])]


def wait_for_records(proc, run, count=2, timeout=120):
    """Until the run has logged ``count`` training records (so it is mid-run, past step 10)."""
    deadline = time.monotonic() + timeout
    while len(logged_steps(run)) < count:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run logged nothing in time"
        time.sleep(0.05)


def logged_steps(run) -> list[int]:
    return [r["step"] for r in RunDir(run).metrics() if "d_loss" in r]


def assert_saved_at_the_last_logged_step(run) -> int:
    state = load_checkpoint(RunDir(run).latest_checkpoint())
    steps = logged_steps(run)
    assert state["step"] == steps[-1] > 10 and steps == sorted(set(steps))
    assert not list(Path(run).rglob("*.tmp")) and writer_of(run) is None
    return state["step"]


@pytest.mark.slow  # a real process: ~3 s to start on an idle machine, more on a busy one
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_with_a_checkpoint_at_the_last_logged_step(tmp_path, tiny_gan_config, spawn, signum):
    run = tmp_path / "run"
    proc = spawn(train_argv(run, tiny_gan_config), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ENV)
    wait_for_records(proc, run)
    # `timeout` and Slurm signal the process and then its process group: two copies at once.
    proc.send_signal(signum)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["status"] == "stopped" and "Traceback" not in err
    assert f"{signal.Signals(signum).name}: stopping after this step and writing a checkpoint" in err
    assert assert_saved_at_the_last_logged_step(run) == summary["step"]
    assert load_checkpoint(Path(summary["checkpoint"]))["step"] == summary["step"]


@pytest.mark.slow  # a real process: ~3 s to start on an idle machine, more on a busy one
def test_sighup_from_a_closed_terminal_still_saves_the_run(tmp_path, tiny_gan_config, spawn):
    """The terminal is gone (every write to it fails) when SIGHUP arrives: the progress bar and the
    last lines are dropped, the checkpoint is not."""
    run = tmp_path / "run"
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))  # a window: a bar is drawn
    proc = spawn(train_argv(run, tiny_gan_config, quiet=False), stdin=secondary, stdout=secondary,
                            stderr=secondary, env=ENV, start_new_session=True)
    os.close(secondary)
    shown = b""
    try:
        deadline = time.monotonic() + 120
        while len(logged_steps(run)) < 2 or b"step/s" not in shown:  # read it, as a terminal does
            assert proc.poll() is None and time.monotonic() < deadline, shown
            if select.select([primary], [], [], 0.1)[0]:
                shown += os.read(primary, 65536)
    finally:
        os.close(primary)  # the terminal window closes: every later write to it fails
    proc.send_signal(signal.SIGHUP)
    assert proc.wait(timeout=120) == 0
    assert_saved_at_the_last_logged_step(run)


SLOW_SAVE = """
import sys, time
from studio.cli import main
from studio.train import engine

save = engine.Trainer._save
def slow_save(self, path=None):
    if self.control.stop_requested:  # the stop's checkpoint hangs (a stalled network disk, say)
        print("saving", file=sys.stderr, flush=True)
        time.sleep(60)
    return save(self, path)
engine.Trainer._save = slow_save
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow  # a real process: ~3 s to start on an idle machine, more on a busy one
def test_a_second_signal_aborts_at_once(tmp_path, tiny_gan_config, spawn):
    run = tmp_path / "run"
    argv = train_argv(run, tiny_gan_config)[3:]
    proc = spawn([sys.executable, "-c", SLOW_SAVE, *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV)
    wait_for_records(proc, run)
    proc.send_signal(signal.SIGTERM)
    said = [proc.stderr.readline()]
    while said[-1] and "saving" not in said[-1]:  # until the stop's checkpoint has begun
        said.append(proc.stderr.readline())
    assert any(line.startswith("studio: SIGTERM: stopping after this step") for line in said), said
    time.sleep(GRACE_SECONDS + 0.2)
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 10 and proc.returncode == 128 + signal.SIGTERM, err
    assert "SIGTERM again: quitting at once" in err and "Traceback" not in err
    assert not list(run.rglob("*.tmp"))


class _Control:
    def __init__(self):
        self.stops = 0

    def stop(self):
        self.stops += 1


def test_copies_of_a_signal_count_once_and_a_later_one_aborts(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("studio.train.signals.time.monotonic", lambda: clock[0])
    first, aborted = [], []
    control, late = _Control(), _Control()
    stop = SignalStop([control], on_first=first.append, abort=aborted.append, message=False)
    stop._handle(signal.SIGTERM, None)
    clock[0] += GRACE_SECONDS / 2
    stop._handle(signal.SIGTERM, None)  # the process group's copy
    assert (control.stops, first, aborted) == (1, [signal.SIGTERM], [])
    stop.watch(late)  # a training that starts after the signal stops at once
    assert late.stops == 1
    clock[0] += GRACE_SECONDS
    stop._handle(signal.SIGHUP, None)
    assert aborted == [signal.SIGHUP] and control.stops == 1


def test_the_cli_abort_is_an_interrupt_with_the_shells_exit_status():
    err = SignalAbort(signal.SIGTERM)
    assert isinstance(err, KeyboardInterrupt) and err.exit_code == 143


def test_installing_takes_the_signals_and_uninstalling_gives_them_back():
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    with SignalStop() as stop:
        assert all(signal.getsignal(s) == stop._handle for s in before)
    assert {s: signal.getsignal(s) for s in before} == before


@pytest.mark.slow
def test_sigterm_to_torchrun_stops_every_rank_after_the_same_step(tmp_path, tiny_gan_config, spawn):
    """torchrun forwards its SIGTERM to each rank (a rank may also get the process group's copy):
    every rank leaves the loop after the same step, rank 0 writes the checkpoint, and all end on
    their own, before torchrun's 30 s would kill them. (torchrun itself then reports the signal
    with a traceback of its own and a non-zero status: that is torchrun's, not the studio's.)"""
    run = tmp_path / "run"
    proc = spawn(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "studio",
         "train", "gan", *TINY, "--config", tiny_gan_config, "--epochs", "100000", "--quiet", "--out", str(run)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    wait_for_records(proc, run, timeout=240)
    proc.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    out, err = proc.communicate(timeout=120)
    assert time.monotonic() - sent < 25, "a rank hung and was killed"
    summaries = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [s["status"] for s in summaries] == ["stopped"], out + err  # rank 0 alone reports
    assert err.count("SIGTERM: stopping after this step") == 1 and "/studio/" not in err, err
    assert assert_saved_at_the_last_logged_step(run) == summaries[0]["step"]
    assert json.loads(RunDir(run).config_path.read_text())["world_size"] == 2
