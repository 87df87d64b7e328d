"""The benchmark script runs end to end (tiny settings); its numbers are not judged here."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_benchmark_runs_end_to_end_and_writes_its_table_as_json(tmp_path):
    out = tmp_path / "bench.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-m", "benchmarks.run", "--quick", "--json", str(out),
                           "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=600, env=env,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert [r["model"] for r in result["throughput"]] == ["diffusion", "gan", "pixelrnn", "transformer", "vae"]
    assert all(r["engine_sprites_per_s"] > 0 and r["plain_sprites_per_s"] > 0 for r in result["throughput"])
    assert all(r["ratio_min"] <= r["ratio"] <= r["ratio_max"] for r in result["throughput"])
    assert result["pixelrnn"]["complete_75_8_median_s"] > 0 and result["vae"]["decode_median_ms"] > 0
    assert result["gui"]["longest_stall_ms"] > 0, result["gui"]
    assert "engine sprites/s" in proc.stdout and "ratio" in proc.stdout
    # The lecture PixelRNN's epoch, the 5000-epoch projection and a profile naming real operators.
    epoch = result["epoch"]
    assert epoch["epoch_s"] > 0 and epoch["budget_minutes"] == pytest.approx(epoch["epoch_s"] * 5000 / 60)
    assert len(epoch["profile"]) > 3 and any("rnn" in op["op"] or "lstm" in op["op"] for op in epoch["profile"])
    assert 0 < sum(op["percent"] for op in epoch["profile"]) <= 100.001
    assert "5000 epochs would take" in proc.stdout and "where a training step's time goes" in proc.stdout
