"""What does each change to the lecture's VAE buy? One change at a time, at a fixed CPU budget.

Every row trains with the real engine on the course data (the studio's 713/79 split), one
thread, until its epochs are done or its CPU budget is spent, and reports the best held-out
−ELBO in bits per pixel (the engine's best.pt), split into its reconstruction and KL parts,
the dimensions the code uses (mean KL over the held-out sprites > 0.1 nats) and the CPU
minutes. Where studio/models/scores.py exists, the row also has the yardstick of the best
checkpoint's samples (c2st, precision, recall, copy rate). Each run stays under --runs/NAME;
results are kept in --runs/results.json, so rows can be run one at a time and the table
printed once all are in.

    python benchmarks/vae_ablation.py --rows lecture +resize          # train these two
    python benchmarks/vae_ablation.py --report                        # the table of rows run so far
    python benchmarks/vae_ablation.py --pictures RUN_DIR --out DIR    # its reconstructions and samples
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not
from studio.data import find_course_data, open_dataset
from studio.models import vae
from studio.train.engine import Trainer, TrainSettings
from studio.train.evaluate import evaluate_run
from studio.train.run import RunDir

LECTURE = vae.CONFIGS["lecture"]

# Each row adds one change to the row before it (name: config, training settings); the CPU
# budget is the same for all, so a costlier network is paid for with fewer epochs.
_resize = dataclasses.replace(LECTURE, upsample="resize")
_deep = dataclasses.replace(_resize, blocks=1, width=32)
# +residual overfits (train −ELBO falls, held-out rises after epoch ~20): regularise, one way at a time.
_mirror = dataclasses.replace(_deep, mirror=True)
_dropout = dataclasses.replace(_mirror, dropout=0.1)
# The cosine reaches lr_min where the 3 CPU-minutes end (~1500 steps of 16 sprites).
_cosine = dataclasses.replace(_dropout, lr=2e-3, lr_decay_steps=1500, lr_min=1e-4)
ROWS = {
    "lecture": (LECTURE, {"epochs": 150}),
    "+resize": (_resize, {"epochs": 150}),
    "+residual": (_deep, {"epochs": 150}),
    "+mirror": (_mirror, {"epochs": 150}),
    "+dropout": (_dropout, {"epochs": 150}),
    "+batch-16": (_dropout, {"epochs": 150, "batch_size": 16}),  # 4× the steps for the same CPU
    "+cosine-lr": (_cosine, {"epochs": 35, "batch_size": 16}),
}


def summarise(run_dir: Path, sprites) -> dict:
    records = RunDir(run_dir).metrics()
    held = [r for r in records if "val/elbo_bits_per_pixel" in r]
    best = min(held, key=lambda r: r["val/elbo_bits_per_pixel"])
    from studio.models.latent import LatentExplorer

    explorer = LatentExplorer.from_run(run_dir, sprites=sprites)
    _, held_idx = sprites.split()
    m, log_var = explorer.task.encode(sprites.indices[held_idx])
    used = int((vae.kl_divergence(m, log_var).mean(0) > 0.1).sum())
    row = {"held_out_elbo": best["val/elbo_bits_per_pixel"], "recon": best["val/recon_bits_per_pixel"],
           "kl": best["val/kl_bits_per_pixel"], "dims_used": used, "best_epoch": best["epoch"],
           "epochs_run": held[-1]["epoch"], "cpu_minutes": records[-1]["cpu"] / 60,
           "train_elbo": evaluate_run(run_dir)["train"]["elbo_bits_per_pixel"]}
    try:
        from studio.models.scores import score_samples
    except ImportError:
        return row
    scores = score_samples(explorer.task.draw(512, seed=0), sprites)  # the yardstick, where it exists
    row.update({k: scores[k] for k in ("c2st", "precision", "recall", "copy_rate") if k in scores})
    return row


def train_row(name: str, runs: Path, cpu_minutes: float, sprites) -> dict:
    config, train = ROWS[name]
    settings = TrainSettings(**train, cpu_budget=cpu_minutes * 60, sample_every=0, seed=0,
                             checkpoint_every=10 ** 6, device="cpu")
    out = runs / name.replace("+", "plus-")
    if not (out / "checkpoints" / "best.pt").exists():  # a row already trained is only summarised
        Trainer("vae", config, sprites, settings, out).run_training()
    return {"row": name, **summarise(out, sprites)}


# (key, width, decimals); None: a text or integer column
COLUMNS = (("row", 14, None), ("held_out_elbo", 13, 3), ("recon", 6, 3), ("kl", 6, 3), ("train_elbo", 10, 3),
           ("dims_used", 9, None), ("best_epoch", 10, 0), ("epochs_run", 10, 0), ("cpu_minutes", 11, 1),
           ("c2st", 6, 3), ("precision", 9, 3), ("recall", 6, 3), ("copy_rate", 9, 3))


def print_table(results: dict) -> None:
    print(" ".join(f"{key:<{width}}" if key == "row" else f"{key:>{width}}" for key, width, _ in COLUMNS))
    for name in [r for r in ROWS if r in results] + [r for r in results if r not in ROWS]:
        row = results[name]
        cells = []
        for key, width, decimals in COLUMNS:
            value = row.get(key, "-")
            text = f"{value:.{decimals}f}" if decimals is not None and value != "-" else str(value)
            cells.append(f"{text:<{width}}" if key == "row" else f"{text:>{width}}")
        print(" ".join(cells))
    print("(bits per pixel on the 79 held-out sprites; uniform over the 167 colours: 7.38, "
          "the colours' frequencies alone: 5.02)")


def save_pictures(run_dir: Path, out: Path, sprites, n: int = 16, scale: int = 2) -> None:
    """reconstructions.png: held-out sprites (top row) over their decodes from the mean code
    (bottom row); samples.png: 64 decodes of prior codes c ~ N(0, I) (the progress grid's seed)."""
    from studio.data import grid_image
    from studio.models.latent import LatentExplorer

    explorer = LatentExplorer.from_run(run_dir, sprites=sprites)
    held = sprites.split()[1][:n]
    pairs = np.concatenate([sprites.indices[held], np.stack([explorer.reconstruct(int(i)) for i in held])])
    out.mkdir(parents=True, exist_ok=True)
    grid_image(pairs, sprites.palette, columns=len(held), scale=scale).save(out / "reconstructions.png")
    grid_image(explorer.task.draw(64, seed=0), sprites.palette, columns=16, scale=scale).save(out / "samples.png")
    print(f"wrote {out / 'reconstructions.png'} and {out / 'samples.png'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="the course folder (default: found as the studio finds it)")
    parser.add_argument("--rows", nargs="+", default=list(ROWS), choices=list(ROWS))
    parser.add_argument("--cpu-minutes", type=float, default=3.0, help="CPU budget of every row")
    parser.add_argument("--runs", type=Path, default=Path("runs/vae-ablation"))
    parser.add_argument("--report", action="store_true", help="only print the table of rows run so far")
    parser.add_argument("--pictures", type=Path, metavar="RUN_DIR", help="only draw a run's pictures into --out")
    parser.add_argument("--out", type=Path, default=Path("."), help="where --pictures writes")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.pictures:
        save_pictures(args.pictures, args.out, open_dataset(args.data or find_course_data()))
        return 0
    results_file = args.runs / "results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    if not args.report:
        data = args.data or find_course_data()
        if data is None:
            print("vae_ablation: the course data was not found; pass --data /path/to/pokemon", file=sys.stderr)
            return 2
        sprites = open_dataset(data)
        for name in args.rows:
            results[name] = {**train_row(name, args.runs, args.cpu_minutes, sprites),
                             "cpu_budget_minutes": args.cpu_minutes}
            args.runs.mkdir(parents=True, exist_ok=True)
            results_file.write_text(json.dumps(results, indent=1))
            print(f"{name}: {results[name]}", file=sys.stderr)
    print_table(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
