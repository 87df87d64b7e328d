"""The benchmark script runs end to end (tiny settings); its numbers are not judged here."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_runs_end_to_end_and_writes_its_table_as_json(tmp_path):
    out = tmp_path / "bench.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--json", str(out),
                           "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert [r["model"] for r in result["throughput"]] == ["gan", "pixelrnn", "vae"]
    assert all(r["engine_sprites_per_s"] > 0 and r["plain_sprites_per_s"] > 0 for r in result["throughput"])
    assert result["pixelrnn"]["complete_75_8_median_s"] > 0 and result["vae"]["decode_median_ms"] > 0
    assert result["gui"]["longest_stall_ms"] > 0, result["gui"]
    assert "engine sprites/s" in proc.stdout and "ratio" in proc.stdout
