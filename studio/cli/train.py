"""Headless training and run commands: train, runs list, eval, sample."""

from __future__ import annotations

import io
import json
import signal
import sys
import time
from pathlib import Path

from studio.cli.args import MAX_SPRITES, SCALE, SEED, add_diffusion_sampling, positive_float, sprite_output, \
    positive_int
from studio.models import MODEL_NAMES
from studio.train.engine import RECORD_FIELDS


def register(subparsers) -> None:
    train = subparsers.add_parser("train", help="train a model headless (also under torchrun)")
    train.add_argument("model", choices=MODEL_NAMES)
    train.add_argument("--data", default="builtin", help="course folder, image folder or 'builtin'")
    train.add_argument("--config", help="a named config (e.g. lecture) or a JSON/TOML file")
    train.add_argument("--epochs", type=positive_int(max=10**7),
                       help="default: the model's or its preset's (GAN 300, PixelRNN 120, transformer 50, VAE 150; "
                            "diffusion stops at its CPU budget)")
    train.add_argument("--steps", type=positive_int(), help="stop after this many steps (a checkpoint is kept)")
    train.add_argument("--cpu-minutes", type=positive_float(max=10**7),
                       help="stop once training has used this many CPU-minutes (a checkpoint is kept)")
    train.add_argument("--batch-size", type=positive_int(max=65536))
    train.add_argument("--out", help="run folder, new or empty (default: runs/MODEL-TIMESTAMP)")
    train.add_argument("--device", help="cuda, cuda:1, mps or cpu (default: the best available)")
    train.add_argument("--seed", type=SEED)
    train.add_argument("--compile", action="store_true", help="torch.compile the networks")
    train.add_argument("--tensorboard", action="store_true", help="also write TensorBoard event files")
    train.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its latest checkpoint")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(func=cmd_train)

    runs = subparsers.add_parser("runs", help="list runs")
    runs_sub = runs.add_subparsers(dest="runs_command", required=True)
    listing = runs_sub.add_parser("list", help="runs under a folder, newest first")
    listing.add_argument("dir", nargs="?", default="runs")
    listing.set_defaults(func=cmd_runs_list)

    evaluate = subparsers.add_parser("eval", help="held-out metrics of a run, as one JSON object")
    evaluate.add_argument("run_dir")
    evaluate.add_argument("--checkpoint", default="best", help="best, last or a file in checkpoints/")
    evaluate.add_argument("--device")
    evaluate.add_argument("-n", type=int, default=512,
                          help="samples the yardstick scores (see `studio score`; 0: none)")
    evaluate.set_defaults(func=cmd_eval)

    sample = subparsers.add_parser("sample", help="draw sprites from a trained run: a grid PNG, "
                                                  "the course's text format or a NumPy array")
    sample.add_argument("run_dir")
    sample.add_argument("-n", type=positive_int(max=MAX_SPRITES), default=64)
    sample.add_argument("-o", "--output", required=True, type=sprite_output(".txt", ".npy"),
                        help="FILE.png: a grid; FILE.txt: one sprite a line of palette indices (the "
                             "course's pixel_color format, palette beside it as FILE.colormap.txt); "
                             "FILE.npy: indices [n, H, W] uint8")
    sample.add_argument("--temperature", type=positive_float(max=100), default=1.0,
                        help="PixelRNN/transformer/diffusion: softmax temperature; GAN/VAE: scale of the code's spread")
    sample.add_argument("--top-k", type=positive_int(max=256),
                        help="PixelRNN, transformer, diffusion: draw from the k likeliest colours")
    add_diffusion_sampling(sample)
    sample.add_argument("--seed", type=SEED, default=0)
    sample.add_argument("--scale", type=SCALE, default=4)
    sample.add_argument("--checkpoint", default="best")
    sample.add_argument("--device")
    sample.set_defaults(func=cmd_sample)


class _ProgressBar:
    """A tqdm bar fed by the engine's progress events, with the latest losses beside it."""

    def __init__(self):
        self.bar = None
        self.last = {}

    def on_start(self, trainer):
        from tqdm import tqdm

        self.bar = tqdm(total=trainer.total_steps, initial=trainer.state.step, unit="step",
                        dynamic_ncols=True, file=sys.stderr)

    def on_metrics(self, record):
        self.last = {k: v for k, v in record.items() if k not in RECORD_FIELDS}

    def on_progress(self, progress):
        self.bar.update(progress.step - self.bar.n)
        self.bar.set_postfix({k: f"{v:.3g}" for k, v in list(self.last.items())[:4]}, refresh=False)

    def on_samples(self, step, grid): ...

    def on_finished(self, summary):
        self.close()

    def on_failed(self, error):
        self.close()

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _stop_on_ctrl_c(control) -> None:
    """First Ctrl-C: stop after this step and write a checkpoint. A second one: quit at once."""

    def handler(signum, frame):
        print("\nstudio: stopping after this step and writing a checkpoint "
              "(Ctrl-C again to quit at once)", file=sys.stderr)
        control.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, handler)


def cmd_train(args) -> int:
    from studio.data.errors import ConfigError
    from studio.train.config import resolve_config
    from studio.train.engine import Trainer, TrainingControl, default_settings
    from studio.train.run import RunDir

    control = TrainingControl()
    listeners = [] if args.quiet else [_ProgressBar()]
    overrides = dict(epochs=args.epochs, batch_size=args.batch_size, device=args.device, seed=args.seed,
                     max_steps=args.steps,
                     cpu_budget=args.cpu_minutes * 60 if args.cpu_minutes else None, compile=args.compile or None, tensorboard=args.tensorboard or None)
    if args.resume and args.out and Path(args.out).resolve() != Path(args.resume).resolve():
        raise ConfigError("--out and --resume name different folders", args.out,
                          hint="--resume continues the run in its own folder; drop --out")
    if args.resume and args.config:
        raise ConfigError("a resumed run keeps its config", args.config, hint="drop --config")
    try:
        if args.resume:
            saved_model = RunDir(args.resume).config()["model"]
            if saved_model != args.model:
                raise ConfigError(f"a {saved_model} run, not {args.model}", args.resume,
                                  hint=f"studio train {saved_model} --resume {args.resume}")
            trainer = Trainer.resume(args.resume, listeners, control, **overrides)
        else:
            from studio.data import open_dataset

            config = resolve_config(args.model, args.config)
            settings = default_settings(args.model, args.config, **overrides)
            out = args.out or f"runs/{args.model}-{time.strftime('%Y%m%d-%H%M%S')}"
            trainer = Trainer(args.model, config, open_dataset(args.data), settings, out, listeners, control)
        if trainer.dist.is_main:
            for notice in trainer.notices:
                print(f"studio: note: {notice}", file=sys.stderr)
            where = trainer.run.path if trainer.run else "(not saved)"
            print(f"studio: training {trainer.model} on {trainer.device} "
                  f"({trainer.dist.world_size} process(es)) -> {where}", file=sys.stderr)
        _stop_on_ctrl_c(control)
        summary = trainer.run_training()
    finally:
        if "trainer" in locals():
            trainer.close()
    if trainer.dist.is_main:
        print(json.dumps({k: summary[k] for k in ("status", "step", "total", "run", "checkpoint")}))
    return 0


def cmd_runs_list(args) -> int:
    """The runs list the app's Runs view shows (studio.session.runs), as a table."""
    from studio.session.runs import RunsList

    runs = RunsList([args.dir]).refresh()
    if not runs:
        print(f"no runs under {args.dir}")
        return 0
    print(f"{'run':32} {'model':9} {'dataset':12} {'config':10} {'steps':>11} {'best held-out':28} {'date':16}")
    for run in runs:
        row = run.as_row()
        if run.problem and run.model == "?":  # unreadable: say why, list the rest
            print(f"{run.name:32} BROKEN: {run.problem}")
            continue
        steps = f"{row['steps']}/{row['total']}"
        note = f"  ({run.problem})" if run.problem else ""
        print(f"{run.name:32} {row['model']:9} {row['dataset'][:12]:12} {row['config'][:10]:10} {steps:>11} "
              f"{row['best']:28} {row['date']:16}{note}")
    return 0


def cmd_eval(args) -> int:
    from studio.train.evaluate import evaluate_run

    print(json.dumps(evaluate_run(args.run_dir, args.checkpoint, args.device, n=args.n)))
    return 0


def cmd_sample(args) -> int:
    import numpy as np

    from studio.data import grid_image
    from studio.data.course import write_colormap, write_pixels
    from studio.train.trained import TrainedRun

    from studio.cli.args import diffusion_sampling
    from studio.data.files import save_image, write_bytes
    from studio.data.sprites import check_grid_size

    output = Path(args.output)
    run = TrainedRun.open(args.run_dir, args.checkpoint, args.device)
    task, palette = run.task, run.palette
    sampling = diffusion_sampling(args, run.model)
    check_grid_size(args.n, *task.size, scale=args.scale)  # before drawing thousands of sprites
    sprites = np.asarray(task.draw(args.n, seed=args.seed, temperature=args.temperature, top_k=args.top_k,
                                   **sampling), dtype=np.uint8)
    if output.suffix == ".txt":
        write_pixels(sprites, output)
        write_colormap(palette, output.with_suffix(".colormap.txt"))
        print(f"wrote {args.n} sprites to {output} (palette: {output.with_suffix('.colormap.txt')})")
        return 0
    if output.suffix == ".npy":
        buffer = io.BytesIO()
        np.save(buffer, sprites)
        write_bytes(output, buffer.getvalue())
    else:
        save_image(grid_image(sprites, palette, scale=args.scale), output)
    print(f"wrote {args.n} samples to {output}")
    return 0

