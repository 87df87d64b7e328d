"""benchmarks/quality_table.py end to end on tiny runs: a row per run plus the reference rows,
a grid per row, and the command that makes each run."""

import json
from pathlib import Path

import pytest

from studio.cli import main

DATA = "builtin:n=64,seed=3"


def load_script():
    from benchmarks import quality_table
    return quality_table


@pytest.mark.slow
def test_quality_table_scores_runs_of_two_models_against_one_pair_of_reference_rows(tmp_path, capsys):
    (tmp_path / "gan.toml").write_text("z_dim = 8\nwidth = 8\n")
    assert main(["train", "gan", "--data", DATA, "--config", str(tmp_path / "gan.toml"), "--epochs", "1",
                 "--batch-size", "8", "--quiet", "--out", str(tmp_path / "gan")]) == 0
    assert main(["train", "vae", "--data", DATA, "--steps", "4", "--batch-size", "8", "--quiet",
                 "--out", str(tmp_path / "vae")]) == 0
    capsys.readouterr()
    out = tmp_path / "rows.json"
    assert load_script().main([str(tmp_path / "gan"), str(tmp_path / "vae"), "-n", "24",
                               "--grids", str(tmp_path / "grids"), "--json", str(out)]) == 0
    table = capsys.readouterr().out
    rows = json.loads(out.read_text())
    assert [r["model"] for r in rows] == ["reference: real", "reference: shuffled", "gan", "vae"]
    assert rows[2]["bits_per_pixel"] is None and rows[3]["bits_per_pixel"] > 0  # the VAE's −ELBO
    assert rows[2]["command"] == f"studio train gan --data {DATA} --epochs 1 --batch-size 8"
    assert rows[3]["command"].startswith(f"studio train vae --data {DATA} --config ")
    assert all(Path(r["grid"]).is_file() for r in rows) and rows[2]["cpu_minutes"] > 0
    assert sum(line.startswith("| ") for line in table.splitlines()) == 1 + 4 and "| gan | custom |" in table
