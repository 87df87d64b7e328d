"""PixelRNN against the transformer at the same CPU budget: the autoregressive table of docs/models.md.

Every row is one training with the real engine on the course data (713 train / 79 held out),
one torch thread, stopped by the engine's CPU-seconds budget (``TrainSettings.cpu_budget``:
process CPU time, evaluation included, so a noisy shared machine does not decide the result).
The engine evaluates every epoch on the 79 held-out sprites and keeps the best as best.pt; a
row is that best evaluation within its CPU budget:

  bits/px 400   −log2 p(x) per pixel over all 400 pixels (the model's chain rule);
  bits/px 160   over the last 160 pixels given the first 240: HW4's task ("given the first
                60 %, draw the rest"), exact for an autoregressive model (teacher forcing);
  CPU min       CPU-minutes to that best epoch.

    python -m benchmarks.autoregressive_table --train 2d-copy tf-2d-copy   # one training after another
    python -m benchmarks.autoregressive_table                              # the table of the runs made

Runs go to --runs (default runs/autoregressive/NAME); RUNS below says what each trains, ROWS
which budget of which run each row of the table reads. Completion speed is
benchmarks/completion_speed.py --model transformer.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path


from benchmarks.common import add_arguments, one_thread, train_row, write_json
from studio.data import find_course_data, open_dataset
from studio.train.config import resolve_config
from studio.train.run import RunDir


@dataclasses.dataclass(frozen=True)
class Run:
    """One training: a model's named config, perhaps changed, stopped by the CPU budget."""

    model: str
    config: str
    cpu_minutes: float
    changes: dict = dataclasses.field(default_factory=dict)  # Config fields changed (ablations)


ABLATION_MINUTES = 1.5

RUNS = {
    "lecture": Run("pixelrnn", "lecture", 6),
    "2d-copy": Run("pixelrnn", "2d-copy", 6),
    "tf-2d-copy": Run("transformer", "2d-copy", 6),
    "tf-hw4": Run("transformer", "hw4", 6),
    # One change at a time from the transformer's 2d-copy, at a smaller budget:
    "tf-2d-copy-absolute": Run("transformer", "2d-copy", ABLATION_MINUTES, {"position": "absolute"}),
    "tf-2d-copy-no-copy": Run("transformer", "2d-copy", ABLATION_MINUTES, {"copy": False}),
    "tf-2d-copy-previous": Run("transformer", "2d-copy", ABLATION_MINUTES, {"context": "previous"}),
    "tf-quick": Run("transformer", "quick", 2),  # = 2d-copy without mirror and dropout
}

# The table's rows: (label, run, CPU-minutes read off that run's log, what it shows). A run's
# state at CPU-minute m is exactly that of the same run stopped there (training is
# deterministic and the budget only ends it), so one run gives its rows at smaller budgets too.
ROWS = [
    ("PixelRNN `lecture`", "lecture", 6, "the lecture's LSTM-512, previous pixel"),
    ("PixelRNN `2d-copy`", "2d-copy", 6, "LSTM-256; pixels above, row+column position, mirror, copy, dropout 0.25"),
    ("PixelRNN `quick`", "2d-copy", 5, "`2d-copy` with a 5 CPU-minute budget"),
    ("transformer `hw4`", "tf-hw4", 6, "HW4's GPT-2: 2 layers, 2 heads, n_embd 64, 400 positions, dropout 0.1"),
    ("transformer `2d-copy`", "tf-2d-copy", 6, "`hw4` + pixels above, row+column position, copy, mirror; lr 2e-3"),
    ("transformer `quick`", "tf-quick", 2, "`2d-copy` without mirror and dropout, 2 CPU-minutes"),
    ("PixelRNN `2d-copy`", "2d-copy", 3, "at half the budget"),
    ("transformer `2d-copy`", "tf-2d-copy", 3, "at half the budget"),
    ("transformer `hw4`", "tf-hw4", 3, "at half the budget"),
    ("transformer `2d-copy`", "tf-2d-copy", ABLATION_MINUTES, "ablation: the base"),
    ("… position absolute", "tf-2d-copy-absolute", ABLATION_MINUTES, "GPT-2's embedding per position, not row + column"),
    ("… no copy head", "tf-2d-copy-no-copy", ABLATION_MINUTES, "without the copy head"),
    ("… previous pixel only", "tf-2d-copy-previous", ABLATION_MINUTES, "input: the previous pixel, not also the 3 above"),
    ("… no mirror, no dropout", "tf-quick", ABLATION_MINUTES, "without the regularisers (= `quick`)"),
    ("transformer `hw4`", "tf-hw4", ABLATION_MINUTES, "ablation: all of `2d-copy`'s changes undone"),
]


def train(name: str, run: Run, sprites, runs: Path, device: str = "cpu") -> None:
    if (runs / name).exists():  # a second training would append to the first one's log
        raise SystemExit(f"{runs / name} exists already; delete it to train {name} again")
    # The preset's settings (batch size…), then no epoch cap: the CPU budget ends the run.
    # No sample grids: drawing would spend the budget differently per model.
    train_row(run.model, resolve_config(run.model, run.config, **run.changes), sprites, runs / name,
              preset=run.config, cpu_minutes=run.cpu_minutes, device=device, epochs=100_000,
              sample_every=0, sample_count=0, log_every=10, checkpoint_every=10)


def at_budget(run_dir: Path, cpu_minutes: float) -> dict | None:
    """The best held-out evaluation of a run within its first ``cpu_minutes`` (what best.pt
    was at that moment), or None if the run has no evaluation that early."""
    records = RunDir(run_dir).metrics()
    evals = [r for r in records if "val/bits_per_pixel" in r and r["cpu"] <= cpu_minutes * 60]
    if not evals or records[-1]["cpu"] < cpu_minutes * 60:  # not trained that long (yet)
        return None
    best = min(evals, key=lambda r: r["val/bits_per_pixel"])
    saved = RunDir(run_dir).config()
    return {"bpp_400": best["val/bits_per_pixel"], "bpp_160": best["val/bits_per_pixel_after_60pct"],
            "epoch": best["epoch"], "cpu_min_best": best["cpu"] / 60, "cpu_min_run": records[-1]["cpu"] / 60,
            "batch_size": saved["train"]["batch_size"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", nargs="+", default=[], metavar="RUN", help=f"runs to make: {', '.join(RUNS)}")
    parser.add_argument("--runs", type=Path, default=Path("runs/autoregressive"))
    add_arguments(parser, data=None)
    args = parser.parse_args()
    one_thread()
    data = args.data or find_course_data()
    if data is None:
        parser.error("course data not found: set STUDIO_POKEMON_DIR or pass --data")
    sprites = open_dataset(str(data))
    for name in args.train:
        if name not in RUNS:
            parser.error(f"unknown run {name!r}; choose from {', '.join(RUNS)}")
        train(name, RUNS[name], sprites, args.runs, args.device or "cpu")
        print(json.dumps({"run": name, **at_budget(args.runs / name, RUNS[name].cpu_minutes)}), flush=True)
    if args.train:
        return 0
    rows = [(label, run, minutes, what, at_budget(args.runs / run, minutes))
            for label, run, minutes, what in ROWS if (args.runs / run / "metrics.jsonl").is_file()]
    rows = [r for r in rows if r[-1] is not None]
    write_json(args.json, [{"row": label, "run": run, "cpu_minutes": m, **s} for label, run, m, _, s in rows])
    print("| config | what | CPU budget (min) | held-out bits/px, 400 px | last 160 given 240 "
          "| best at epoch (batch) | CPU min to best |")
    print("|---|---|---|---|---|---|---|")
    for label, run, minutes, what, s in rows:
        print(f"| {label} | {what} | {minutes:g} | {s['bpp_400']:.3f} | {s['bpp_160']:.3f} "
              f"| {s['epoch']:.0f} ({s['batch_size']}) | {s['cpu_min_best']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
