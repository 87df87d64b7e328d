"""benchmarks/gpu_check.sh, the one command a session with a GPU runs, works end to end: its dry
run (the same steps on the CPU, tiny) writes every file the GPU run will, and they parse."""

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
FILES = {"gpu_check.log", "steps.tsv", "pytest.xml", "gpu.json", "epoch.json", "compile.json", "summary.md"}


@pytest.mark.slow
def test_the_gpu_checks_dry_run_writes_its_logs_tables_and_json(tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "PYTHON": sys.executable, "OMP_NUM_THREADS": "1", "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), "--dry-run", str(out)],
                          capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # What a device run brings back: at most 8 plain files with plain names.
    names = {p.name for p in out.iterdir()}
    assert names == FILES and all(re.fullmatch(r"[A-Za-z0-9._-]+", n) for n in names)

    steps = [line.split("\t") for line in (out / "steps.tsv").read_text().splitlines()]
    assert [s[0] for s in steps] == ["pytest -m gpu", "benchmark table", "PixelRNN epoch", "compiled throughput"]
    assert all(s[1] == "0" for s in steps)

    cases = list(ET.parse(out / "pytest.xml").getroot().iter("testcase"))
    assert len(cases) >= 10
    if not torch.cuda.is_available():  # each gpu test says why it did not run
        assert all(c.find("skipped") is not None and "needs a CUDA GPU" in c.find("skipped").get("message")
                   for c in cases)

    table = json.loads((out / "gpu.json").read_text())
    assert table["throughput"] and all(r["engine_sprites_per_s"] > 0 for r in table["throughput"])
    epoch = json.loads((out / "epoch.json").read_text())
    assert epoch["epoch"]["epoch_s"] > 0 and epoch["epoch"]["wall_epoch_s"] > 0 and epoch["epoch"]["profile"]
    assert [r["batch"] for r in epoch["sweep"]] == [8, 86]
    assert all(r["epoch_s"] > 0 and 0 < r["val_bits_per_pixel"] < 10 for r in epoch["sweep"])
    assert epoch["sweep"][1]["lr"] > epoch["sweep"][0]["lr"], "a larger batch trains at a scaled-up rate"
    assert json.loads((out / "compile.json").read_text())["throughput"]

    summary = (out / "summary.md").read_text()
    assert "| pytest -m gpu | ok |" in summary and "engine sprites/s" in summary
    assert "PixelRNN epoch levers" in summary and "where a training step's time goes" in summary
