"""What does each change to the lecture's VAE buy? One change at a time, at a fixed CPU budget.

Every row trains with the real engine on the course data (the studio's 713/79 split), one
thread, until its epochs are done or its CPU budget is spent, and reports the best held-out
−ELBO in bits per pixel (the engine's best.pt), split into its reconstruction and KL parts,
the dimensions the code uses (mean KL over the held-out sprites > 0.1 nats) and the CPU
minutes, and the yardstick (studio/models/scores.py) of 512 samples of the best checkpoint:
c2st, precision, recall and copy rate. Each run stays under --runs/NAME;
results are kept in --runs/results.json, so rows can be run one at a time and the table
printed once all are in.

    python -m benchmarks.vae_ablation --rows lecture +resize          # train these two
    python -m benchmarks.vae_ablation --rows quick default            # the presets, at their own budgets
    python -m benchmarks.vae_ablation --report                        # the table of rows run so far
    python -m benchmarks.vae_ablation --pictures RUN_DIR --out DIR    # its reconstructions and samples
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

from benchmarks.common import add_arguments, one_thread, train_row, write_json
from studio.data import find_course_data, open_dataset
from studio.models import vae
from studio.models.scores import score_samples
from studio.train.evaluate import evaluate_run
from studio.train.run import RunDir
from studio.train.trained import TrainedRun

LECTURE = vae.CONFIGS["lecture"]

# Each row adds one change to the row before it (name: config, training settings); the CPU
# budget is the same for all, so a costlier network is paid for with fewer epochs.
_resize = dataclasses.replace(LECTURE, upsample="resize")
_deep = dataclasses.replace(_resize, blocks=1, width=32)
# +residual overfits (train −ELBO falls, held-out rises after epoch ~20): regularise, one way at a time.
_mirror = dataclasses.replace(_deep, mirror=True)
_dropout = dataclasses.replace(_mirror, dropout=0.1)
# The conv decoder underfits (its train −ELBO stalls near 3.9 bits/px: every bit must pass
# through the 10-number code). An autoregressive decoder given the code (vae.PixelDecoder) that
# sees only each pixel's 8 causal neighbours (vae.LocalNet: the VLAE's trick), so the sprite's
# colours and shape must come through the code — and its one-pixel step is cheap enough for the
# explorer's sliders; PixelRNN's own learning rate and gradient clipping, free bits so the code
# stays in use. (A PixelRNN decoder instead, the row "+pixelrnn", is in docs/history.md.)
_local = dataclasses.replace(_dropout, decoder="local", lr=3e-3, grad_clip=1.0, free_bits=1.0,
                             kl_warmup_steps=100)
ROWS = {
    "lecture": (LECTURE, {"epochs": 150}),
    "+resize": (_resize, {"epochs": 150}),
    "+residual": (_deep, {"epochs": 150}),
    "+mirror": (_mirror, {"epochs": 150}),
    "+dropout": (_dropout, {"epochs": 150}),
    "+local": (_local, {"epochs": 150}),
}
# The presets as a user trains them (`studio train vae --config NAME`): their own settings and
# budget: `+local` stopped after 5 (quick) or 10 (the default, pixelvae) CPU-minutes.
PRESETS = {"quick": "quick", "default": next(iter(vae.CONFIGS))}


def summarise(run_dir: Path, sprites) -> dict:
    records = RunDir(run_dir).metrics()
    held = [r for r in records if "val/elbo_bits_per_pixel" in r]
    best = min(held, key=lambda r: r["val/elbo_bits_per_pixel"])
    from studio.models.latent import LatentExplorer

    explorer = LatentExplorer.from_run(TrainedRun.open(run_dir, model="vae"), sprites=sprites)
    train_idx, held_idx = sprites.split()
    m, log_var = explorer.task.encode(sprites.indices[held_idx])
    used = int((vae.kl_divergence(m, log_var).mean(0) > 0.1).sum())
    row = {"held_out_elbo": best["val/elbo_bits_per_pixel"], "recon": best["val/recon_bits_per_pixel"],
           "kl": best["val/kl_bits_per_pixel"], "dims_used": used, "best_epoch": best["epoch"],
           "epochs_run": held[-1]["epoch"], "cpu_minutes": records[-1]["cpu"] / 60,
           "train_elbo": evaluate_run(run_dir)["train"]["elbo_bits_per_pixel"]}
    scores = score_samples(explorer.task.draw(512, seed=0), sprites.indices[train_idx],
                           sprites.indices[held_idx], sprites.palette)
    return {**row, **{k: scores[k] for k in ("c2st", "precision", "recall", "copy_rate")}}


def ablation_row(name: str, runs: Path, cpu_minutes: float, sprites, device: str = "cpu") -> dict:
    out = runs / name.replace("+", "plus-")
    if (out / "checkpoints" / "best.pt").exists():  # a row already trained is only summarised
        pass
    elif name in PRESETS:
        train_row("vae", PRESETS[name], sprites, out, preset=PRESETS[name], device=device)
    else:
        config, train = ROWS[name]
        train_row("vae", config, sprites, out, cpu_minutes=cpu_minutes, device=device, **train, seed=0,
                  sample_every=0, log_every=10, eval_every=1, checkpoint_every=10 ** 6)
    return {"row": name, **summarise(out, sprites)}


# (key, width, decimals); None: a text or integer column
COLUMNS = (("row", 14, None), ("held_out_elbo", 13, 3), ("recon", 6, 3), ("kl", 6, 3), ("train_elbo", 10, 3),
           ("dims_used", 9, None), ("best_epoch", 10, 0), ("epochs_run", 10, 0), ("cpu_minutes", 11, 1),
           ("c2st", 6, 3), ("precision", 9, 3), ("recall", 6, 3), ("copy_rate", 9, 3))


def reference_bits(sprites) -> dict:
    """Bits per held-out pixel of three code-free guesses, to read the VAE's −ELBO against:
    the training sprites' colour frequencies; those per pixel position (add-½ smoothed); and an
    oracle that knows each held-out sprite's own colour frequencies (but not where they go) —
    what a decoder would reach if the code told it exactly the sprite's ~27 colours."""
    train_idx, held_idx = sprites.split()
    train, held = sprites.indices[train_idx].reshape(len(train_idx), -1), sprites.indices[held_idx].reshape(len(held_idx), -1)
    k = sprites.num_colors
    freq = (np.bincount(train.ravel(), minlength=k) + 0.5) / (train.size + 0.5 * k)
    per_position = np.stack([np.bincount(train[:, j], minlength=k) for j in range(train.shape[1])]) + 0.5
    per_position /= per_position.sum(1, keepdims=True)
    own = [np.bincount(x, minlength=k)[x] / x.size for x in held]
    return {"colour frequencies": float(-np.log2(freq[held]).mean()),
            "frequencies per position": float(-np.log2(per_position[np.arange(held.shape[1]), held]).mean()),
            "each sprite's own frequencies (oracle)": float(-np.mean([np.log2(o).mean() for o in own]))}


def print_table(results: dict) -> None:
    print(" ".join(f"{key:<{width}}" if key == "row" else f"{key:>{width}}" for key, width, _ in COLUMNS))
    for name in [r for r in [*ROWS, *PRESETS] if r in results]:
        row = results[name]
        cells = []
        for key, width, decimals in COLUMNS:
            value = row.get(key, "-")
            text = f"{value:.{decimals}f}" if decimals is not None and value != "-" else str(value)
            cells.append(f"{text:<{width}}" if key == "row" else f"{text:>{width}}")
        print(" ".join(cells))
    print("(bits per pixel on the 79 held-out sprites; uniform over the 167 colours: 7.38)")


def save_pictures(run_dir: Path, out: Path, sprites, n: int = 16, scale: int = 2) -> None:
    """reconstructions.png: held-out sprites (top row) over their decodes from the mean code
    (bottom row); samples.png: 64 decodes of prior codes c ~ N(0, I) (the progress grid's seed)."""
    from studio.data import grid_image
    from studio.models.latent import LatentExplorer

    explorer = LatentExplorer.from_run(TrainedRun.open(run_dir, model="vae"), sprites=sprites)
    held = sprites.split()[1][:n]
    pairs = np.concatenate([sprites.indices[held], np.stack([explorer.reconstruct(int(i)) for i in held])])
    out.mkdir(parents=True, exist_ok=True)
    grid_image(pairs, sprites.palette, columns=len(held), scale=scale).save(out / "reconstructions.png")
    grid_image(explorer.task.draw(64, seed=0), sprites.palette, columns=16, scale=scale).save(out / "samples.png")
    print(f"wrote {out / 'reconstructions.png'} and {out / 'samples.png'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="+", default=list(ROWS) + list(PRESETS), choices=list(ROWS) + list(PRESETS))
    add_arguments(parser, data=None, cpu_minutes=3.0)
    parser.add_argument("--runs", type=Path, default=Path("runs/vae-ablation"))
    parser.add_argument("--report", action="store_true", help="only print the table of rows run so far")
    parser.add_argument("--pictures", type=Path, metavar="RUN_DIR", help="only draw a run's pictures into --out")
    parser.add_argument("--out", type=Path, default=Path("."), help="where --pictures writes")
    args = parser.parse_args()
    one_thread()
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
            row = ablation_row(name, args.runs, args.cpu_minutes, sprites, args.device or "cpu")
            # Re-read before writing: another invocation may have added rows meanwhile.
            results = {**(json.loads(results_file.read_text()) if results_file.exists() else {}), name: row}
            args.runs.mkdir(parents=True, exist_ok=True)
            partial = results_file.with_suffix(".part")
            partial.write_text(json.dumps(results, indent=1))
            partial.replace(results_file)  # atomic: a reader never sees half a file
            print(f"{name}: {results[name]}", file=sys.stderr)
    print_table(results)
    write_json(args.json, results)
    if args.data or find_course_data():
        guesses = reference_bits(open_dataset(args.data or find_course_data()))
        print("code-free references: " + ", ".join(f"{k} {v:.2f}" for k, v in guesses.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
