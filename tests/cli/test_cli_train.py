"""`studio train / runs / eval / sample` as a user runs them, headless."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from studio.cli import main
from studio.train.checkpoint import load_checkpoint
from studio.train.run import RunDir

TINY = ["--data", "builtin:n=48,seed=3", "--batch-size", "8", "--quiet"]


@pytest.fixture()
def tiny_gan_config(tmp_path) -> str:
    path = tmp_path / "tiny.toml"
    path.write_text("z_dim = 8\nwidth = 8\n")
    return str(path)


def last_json_line(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


@pytest.mark.slow
def test_train_then_resume_continues_the_same_run(tmp_path, tiny_gan_config, capsys):
    run = tmp_path / "run"
    assert main(["train", "gan", *TINY, "--config", tiny_gan_config, "--epochs", "3",
                 "--steps", "6", "--out", str(run)]) == 0
    first = last_json_line(capsys.readouterr().out)
    assert first["status"] == "stopped at max_steps" and first["step"] == 6

    assert main(["train", "gan", "--resume", str(run), "--quiet"]) == 0
    resumed = last_json_line(capsys.readouterr().out)
    assert resumed["status"] == "finished" and resumed["step"] == resumed["total"] == 15
    steps = [r["step"] for r in RunDir(run).metrics() if "d_loss" in r]
    assert steps == sorted(steps) and steps[-1] == 15 and len(steps) == len(set(steps))


@pytest.mark.slow
def test_runs_list_eval_and_sample(tmp_path, tiny_gan_config, capsys):
    run = tmp_path / "runs" / "gan-a"
    main(["train", "gan", *TINY, "--config", tiny_gan_config, "--steps", "4", "--out", str(run)])
    capsys.readouterr()

    assert main(["runs", "list", str(tmp_path / "runs")]) == 0
    listing = capsys.readouterr().out
    assert "gan-a" in listing and "gan" in listing

    assert main(["eval", str(run)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == "gan" and result["checkpoint"] == "step_0000004.pt"

    out = tmp_path / "grid.png"
    assert main(["sample", str(run), "-n", "16", "--scale", "2", "-o", str(out)]) == 0
    # 4 × 4 sprites of 20 px with a 1 px gap, doubled.
    assert Image.open(out).size == (2 * (4 * 21 + 1), 2 * (4 * 21 + 1))


def test_bad_input_is_one_clear_line(tmp_path, capsys):
    assert main(["train", "gan", "--config", "no-such-config", "--quiet"]) == 2
    assert "no-such-config" in capsys.readouterr().err
    assert main(["train", "gan", "--data", str(tmp_path / "missing"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "missing" in err and "Traceback" not in err
    assert main(["train", "gan", "--device", "warp-drive", "--quiet"]) == 2
    assert "warp-drive" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_writes_a_checkpoint_then_exits(tmp_path, tiny_gan_config):
    run = tmp_path / "run"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "studio", "train", "gan", *TINY, "--config", tiny_gan_config,
         "--epochs", "100000", "--out", str(run)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    metrics = RunDir(run).metrics_path
    deadline = time.monotonic() + 120
    while not (metrics.exists() and metrics.stat().st_size > 0):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    summary = last_json_line(out)
    assert summary["status"] == "stopped"
    state = load_checkpoint(Path(summary["checkpoint"]))
    assert state["step"] == summary["step"] > 0


@pytest.mark.slow
def test_the_same_command_under_torchrun_trains_one_run_with_two_processes(tmp_path, tiny_gan_config):
    run = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         "-m", "studio", "train", "gan", *TINY, "--config", tiny_gan_config, "--steps", "12",
         "--device", "cpu", "--out", str(run)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(RunDir(run).config_path.read_text())["world_size"] == 2
    steps = [r["step"] for r in RunDir(run).metrics() if "d_loss" in r]
    assert steps == [10, 12], "rank 0 alone logs (every 10 steps and the last), once each"
