"""The studio's speed and quality, in one run on the current device: one table, also as JSON.

    python benchmarks/run.py                    # full run (minutes on a CPU)
    python benchmarks/run.py --quick            # tiny settings: checks the script end to end
    python benchmarks/run.py --device cuda --compile --json results.json

Sections:
1. training throughput (sprites/s) of each model through the engine against a plain PyTorch
   loop of the same model and batch size (DataLoader, fp32, eager, batches copied to the device):
   interleaved repetitions; the ratio engine/plain is the median of the back-to-back pairs;
2. PixelRNN completion latency (75 % covered, 8 variants) and sampling rate;
3. VAE one-point decode latency (decode + conversion to an RGB image);
4. the GUI's longest event-loop stall while a GAN trains (benchmarks/gui_stall.py);
5. quality after a fixed budget on the course data (when present): PixelRNN held-out
   bits/pixel, VAE held-out ELBO bits/pixel, the GAN's MMD to held-out sprites;
6. the lecture PixelRNN's epoch over the course's training sprites through the engine, what
   5000 epochs (the usual budget of re-implementations of the exercise) would take at that
   pace, and a profile of its training steps: the operators where the time goes.
Machines are noisy: compare the ratios measured side by side in one run, not across runs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

# Quiets torch.profiler's log lines on stderr (its one-line start/stop marks remain).
os.environ.setdefault("KINETO_LOG_LEVEL", "5")
import torch  # noqa: E402  (after the profiler's log level is set)
from torch.utils.data import DataLoader, TensorDataset

from studio.data import find_course_data, open_dataset
from studio.models import MODEL_NAMES, model_module
from studio.train.devices import describe_device, pick_device
from studio.train.engine import Trainer, TrainingListener, TrainSettings

HERE = Path(__file__).resolve().parent


# --- 1. throughput ------------------------------------------------------------------------
class _LogTimes(TrainingListener):
    """(step, training seconds) at each logging step; logging syncs the device, so these are exact."""

    def __init__(self):
        self.points: list[tuple[int, float]] = []

    def on_metrics(self, record):
        if "time" in record and not any(k.startswith("val/") for k in record):
            self.points.append((record["step"], record["time"]))


def engine_rate(model, config, sprites, batch, warmup, steps, device, compile_) -> float:
    times = _LogTimes()
    # Logging every `warmup` steps (steps is a multiple of it): the first log marks the warm-up's end.
    settings = TrainSettings(epochs=10**6, batch_size=batch, max_steps=warmup + steps, log_every=warmup,
                             sample_every=0, sample_count=0,
                             eval_every=0, checkpoint_every=0, device=device, compile=compile_)
    Trainer(model, config, sprites, settings, None, [times]).run_training()
    (s0, t0), (s1, t1) = next(p for p in times.points if p[0] >= warmup), times.points[-1]
    return (s1 - s0) * batch / (t1 - t0)


def plain_rate(model, config, sprites, batch, warmup, steps, device) -> float:
    """The loop a notebook would write: a DataLoader on the CPU, fp32, eager, .to(device) per batch."""
    dev = pick_device(device)
    task = model_module(model).Task(config, sprites.palette.colors, (sprites.height, sprites.width), dev)
    train_idx, _ = sprites.split()
    loader = DataLoader(TensorDataset(torch.from_numpy(sprites.indices[train_idx]).long()),
                        batch_size=batch, shuffle=True, drop_last=True)
    nets = task.modules()
    batches = itertools.chain.from_iterable(itertools.repeat(loader))
    for _ in range(warmup):
        task.train_step(nets, next(batches)[0].to(dev))
    _sync(dev)
    start = time.perf_counter()
    for _ in range(steps):
        out = task.train_step(nets, next(batches)[0].to(dev))
    float(next(iter(out.values())))  # like the engine's log step: wait for the last result
    return steps * batch / (time.perf_counter() - start)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def throughput(args, sprites, configs) -> list[dict]:
    rows = []
    for model in args.models:
        engine, plain = [], []
        for rep in range(args.reps):
            # Interleaved, alternating which goes first, so drifts in machine load hit both alike.
            runs = [("engine", engine), ("plain", plain)]
            for name, out in (runs if rep % 2 == 0 else runs[::-1]):
                if name == "engine":
                    out.append(engine_rate(model, configs[model], sprites, args.batch, args.warmup,
                                           args.steps, args.device, args.compile))
                else:
                    out.append(plain_rate(model, configs[model], sprites, args.batch, args.warmup,
                                          args.steps, args.device))
        # The ratio is the median of each repetition's pair, run back to back: the machine's
        # load drifts less within a pair than across the run. Its range shows the noise.
        ratios = [e / p for e, p in zip(engine, plain)]
        rows.append({"model": model, "config": args.config_names[model], "batch": args.batch,
                     "engine_sprites_per_s": statistics.median(engine),
                     "plain_sprites_per_s": statistics.median(plain),
                     "ratio": statistics.median(ratios), "ratio_min": min(ratios),
                     "ratio_max": max(ratios), "reps": args.reps})
    return rows


# --- 2. PixelRNN completion and sampling -------------------------------------------------
def pixelrnn_latency(args, sprites, configs) -> dict:
    from studio.models.completion import complete, cover_bottom

    task = model_module("pixelrnn").Task(configs["pixelrnn"], sprites.palette.colors,
                                         (sprites.height, sprites.width), pick_device(args.device))
    task.net.eval()
    mask = cover_bottom((sprites.height, sprites.width), 0.75)
    sprite = sprites.indices[0]
    complete(task, sprite, mask, n_variants=8, seed=0)  # warm-up
    times = []
    for i in range(args.latency_reps):
        start = time.perf_counter()
        complete(task, sprite, mask, n_variants=8, seed=i)
        times.append(time.perf_counter() - start)
    n = 64 if not args.quick else 8
    start = time.perf_counter()
    task.draw(n, seed=0)
    rate = n / (time.perf_counter() - start)
    return {"complete_75_8_median_s": statistics.median(times), "complete_75_8_best_s": min(times),
            "sampling_sprites_per_s": rate, "config": args.config_names["pixelrnn"]}


# --- 3. VAE decode ---------------------------------------------------------------------------
def vae_latency(args, sprites, configs) -> dict:
    from studio.models.latent import LatentExplorer

    task = model_module("vae").Task(configs["vae"], sprites.palette.colors,
                                    (sprites.height, sprites.width), pick_device(args.device))
    explorer = LatentExplorer(task, sprites.palette, sprites)
    base = explorer.base_code("zeros")
    explorer.decode_rgb(explorer.point(base, (0, 1), (0.0, 0.0)))  # warm-up
    times = []
    for k in range(args.latency_reps * 20):
        start = time.perf_counter()  # what a slider move costs: the code, the decode, the image
        explorer.decode_rgb(explorer.point(base, (0, 1), ((k % 13) / 4 - 1.5, (k % 7) / 2 - 1.5)))
        times.append(time.perf_counter() - start)
    return {"decode_median_ms": 1000 * statistics.median(times),
            "decode_p95_ms": 1000 * float(np.percentile(times, 95))}


# --- 4. GUI stall ---------------------------------------------------------------------------
def gui_stall(args) -> dict:
    out = Path(args.workdir) / "gui_stall.json"
    seconds = "3" if args.quick else "15"
    cmd = [sys.executable, str(HERE / "gui_stall.py"), "--seconds", seconds, "--json", str(out)]
    if args.quick:
        cmd += ["--data", "builtin:n=96", "--batch-size", "8"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    return json.loads(out.read_text())


# --- 5. quality after a fixed budget ---------------------------------------------------------
QUALITY_KEYS = {"pixelrnn": "val/bits_per_pixel", "transformer": "val/bits_per_pixel", "vae": "val/elbo_bits_per_pixel", "gan": "val/mmd"}


def quality(args, configs) -> list[dict]:
    course = find_course_data()
    if course is None:
        return [{"skipped": "course data not found (set STUDIO_POKEMON_DIR)"}]
    sprites = open_dataset(course)
    rows = []
    for model in args.models:
        epochs = args.quality_epochs[model]
        scores = _LastValues()
        settings = TrainSettings(epochs=epochs, batch_size=64, sample_every=0, sample_count=0,
                                 checkpoint_every=0, device=args.device, compile=args.compile,
                                 log_every=50)
        start = time.perf_counter()
        Trainer(model, configs[model], sprites, settings, None, [scores]).run_training()
        key = QUALITY_KEYS[model]
        rows.append({"model": model, "config": args.config_names[model], "epochs": epochs,
                     "metric": key, "value": scores.best(key), "minutes": (time.perf_counter() - start) / 60})
    return rows


class _LastValues(TrainingListener):
    def __init__(self):
        self.values: dict[str, list[float]] = {}

    def on_metrics(self, record):
        for k, v in record.items():
            self.values.setdefault(k, []).append(v)

    def best(self, key: str) -> float | None:
        return min(self.values[key]) if key in self.values else None


# --- 6. the lecture PixelRNN's epoch, and where its time goes ----------------------------------
BUDGET_EPOCHS = 5000


class _EpochTimes(TrainingListener):
    def __init__(self):
        self.times: list[float] = []  # training seconds at each epoch's end

    def on_metrics(self, record):
        if not any(k.startswith("val/") for k in record):
            self.times.append(record["time"])


def pixelrnn_epoch(args, configs) -> dict:
    course = None if args.quick else find_course_data()
    sprites = open_dataset(course or ("builtin:n=96" if args.quick else "builtin"))
    train, _ = sprites.split()
    steps_per_epoch = max(1, len(train) // args.batch)
    epochs = 1 + args.epoch_reps  # the first is warm-up (allocations, compilation)
    times = _EpochTimes()
    settings = TrainSettings(epochs=epochs, batch_size=args.batch, log_every=steps_per_epoch,
                             sample_every=0, sample_count=0, eval_every=0, checkpoint_every=0,
                             device=args.device, compile=args.compile)
    Trainer("pixelrnn", configs["pixelrnn"], sprites, settings, None, [times]).run_training()
    per_epoch = statistics.median(b - a for a, b in zip(times.times, times.times[1:]))
    return {"data": sprites.name, "train_sprites": len(train), "batch": args.batch,
            "config": args.config_names["pixelrnn"], "epoch_s": per_epoch,
            "budget_epochs": BUDGET_EPOCHS, "budget_minutes": per_epoch * BUDGET_EPOCHS / 60,
            "profile": profile_steps(args, configs["pixelrnn"], sprites, steps=2 if args.quick else 5)}


def profile_steps(args, config, sprites, steps: int, warmup: int = 3, top: int = 8) -> list[dict]:
    """torch.profiler over ``steps`` engine training steps after ``warmup`` unprofiled ones: the
    operators with the most self time (device time on a GPU, CPU time otherwise), as % of all."""
    from torch.profiler import ProfilerActivity, profile, schedule

    device = pick_device(args.device)
    cuda = device.type == "cuda"
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    settings = TrainSettings(epochs=10**6, batch_size=args.batch, max_steps=warmup + steps, log_every=1,
                             sample_every=0, sample_count=0, eval_every=0, checkpoint_every=0,
                             device=args.device, compile=args.compile)
    traces = []  # the profiler hands over its events when the active steps end
    with profile(activities=activities, schedule=schedule(wait=0, warmup=warmup, active=steps, repeat=1),
                 on_trace_ready=lambda p: traces.append(p.key_averages())) as prof:
        Trainer("pixelrnn", config, sprites, settings, None, [_ProfilerStep(prof)]).run_training()
    attr = "self_device_time_total" if cuda else "self_cpu_time_total"
    events = [e for e in traces[-1] if not e.key.startswith("ProfilerStep")]
    total = sum(getattr(e, attr) for e in events) or 1
    events.sort(key=lambda e: getattr(e, attr), reverse=True)
    return [{"op": e.key, "percent": 100 * getattr(e, attr) / total,
             "ms_per_step": getattr(e, attr) / 1000 / steps, "calls_per_step": e.count / steps}
            for e in events[:top]]


class _ProfilerStep(TrainingListener):
    """Marks each training step for the profiler's schedule (the engine logs every step here)."""

    def __init__(self, prof):
        self.prof = prof

    def on_metrics(self, record):
        if not any(k.startswith("val/") for k in record):
            self.prof.step()


# --- the table ------------------------------------------------------------------------------
def print_table(result: dict) -> None:
    print(f"\nPokémon Generation Studio benchmark — {result['device']} — {result['date']}")
    print(f"torch {result['torch']}, {result['threads']} threads, python {result['python']}\n")
    print(f"{'model':9} {'config':14} {'batch':>5} {'engine sprites/s':>17} {'plain sprites/s':>16} "
          f"{'ratio':>6}  (range)")
    for r in result["throughput"]:
        print(f"{r['model']:9} {r['config']:14} {r['batch']:>5} {r['engine_sprites_per_s']:>17.0f} "
              f"{r['plain_sprites_per_s']:>16.0f} {r['ratio']:>6.2f}  ({r['ratio_min']:.2f}–{r['ratio_max']:.2f})")
    if "pixelrnn" in result:
        p = result["pixelrnn"]
        print(f"\nPixelRNN ({p['config']}) completion, 75 % covered, 8 variants: median "
              f"{p['complete_75_8_median_s']:.3f} s, best {p['complete_75_8_best_s']:.3f} s (goal < 0.3 s)")
        print(f"PixelRNN sampling from scratch: {p['sampling_sprites_per_s']:.0f} sprites/s")
    if "vae" in result:
        v = result["vae"]
        print(f"VAE one-point decode + image: median {v['decode_median_ms']:.2f} ms, "
              f"p95 {v['decode_p95_ms']:.2f} ms (goal < 5 ms)")
    if "gui" in result:
        g = result["gui"]
        if "error" in g:
            print(f"GUI stall: not measured ({g['error']})")
        else:
            print(f"GUI longest event-loop stall while a GAN trains: {g['longest_stall_ms']:.1f} ms "
                  f"(goal < 50 ms)")
    if "epoch" in result:
        e = result["epoch"]
        print(f"\nPixelRNN ({e['config']}) epoch over the {e['train_sprites']} training sprites of {e['data']}, "
              f"batch {e['batch']}: {e['epoch_s'] * 1000:.0f} ms; {e['budget_epochs']} epochs would take "
              f"{e['budget_minutes']:.1f} min (goal on an H100-class GPU: < 5 min)")
        print("where a training step's time goes (self time):")
        for op in e["profile"]:
            print(f"  {op['percent']:5.1f} %  {op['ms_per_step']:8.2f} ms/step  {op['calls_per_step']:6.0f} calls  {op['op']}")
    if result.get("quality"):
        print()
        for q in result["quality"]:
            if "skipped" in q:
                print(f"quality: skipped, {q['skipped']}")
            else:
                print(f"quality {q['model']:9} ({q['config']}, {q['epochs']} epochs, {q['minutes']:.1f} min): "
                      f"{q['metric']} = {q['value']:.3f}")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", help="cuda, mps or cpu (default: the best available)")
    p.add_argument("--models", default=",".join(MODEL_NAMES))
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=20, help="timed steps per repetition")
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--latency-reps", type=int, default=10)
    p.add_argument("--compile", action="store_true", help="torch.compile in the engine")
    p.add_argument("--no-gui", action="store_true")
    p.add_argument("--no-quality", action="store_true")
    p.add_argument("--no-epoch", action="store_true", help="skip the PixelRNN epoch timing and profile")
    p.add_argument("--epoch-reps", type=int, default=2, help="timed PixelRNN epochs (after one warm-up)")
    p.add_argument("--quick", action="store_true", help="tiny models and budgets: checks the script runs")
    p.add_argument("--json", help="also write the results here")
    p.add_argument("--workdir", default="/tmp")
    args = p.parse_args(argv)
    args.models = [m for m in args.models.split(",") if m]
    args.steps = -(-args.steps // args.warmup) * args.warmup
    if args.quick:
        args.steps, args.warmup, args.reps, args.latency_reps, args.batch, args.epoch_reps = 4, 2, 1, 2, 8, 1
    args.quality_epochs = {"pixelrnn": 1, "transformer": 1, "vae": 1, "gan": 1} if args.quick else \
        {"pixelrnn": 5, "transformer": 5, "vae": 30, "gan": 100}
    return args


def model_configs(args) -> dict:
    """The default config of each model (the lecture's for PixelRNN); tiny ones with --quick."""
    tiny = {"gan": dict(z_dim=8, width=8), "pixelrnn": dict(hidden=16), "transformer": dict(n_embd=16),
            "vae": dict(width=8)}
    configs, names = {}, {}
    for model in MODEL_NAMES:
        module = model_module(model)
        name = "lecture" if model == "pixelrnn" else next(iter(module.CONFIGS))
        config = module.CONFIGS[name]
        if args.quick:
            import dataclasses

            known = {f.name for f in dataclasses.fields(config)}
            config = dataclasses.replace(config, **{k: v for k, v in tiny[model].items() if k in known})
            name += " (tiny)"
        configs[model], names[model] = config, name
    args.config_names = names
    return configs


def main(argv=None) -> int:
    args = parse_args(argv)
    configs = model_configs(args)
    sprites = open_dataset("builtin:n=96" if args.quick else "builtin")
    result = {"device": describe_device(args.device), "date": time.strftime("%Y-%m-%d"),
              "torch": torch.__version__, "threads": torch.get_num_threads(),
              "python": platform.python_version(), "compile": args.compile}
    result["throughput"] = throughput(args, sprites, configs)
    if "pixelrnn" in args.models:
        result["pixelrnn"] = pixelrnn_latency(args, sprites, configs)
    if "vae" in args.models:
        result["vae"] = vae_latency(args, sprites, configs)
    if not args.no_gui:
        result["gui"] = gui_stall(args)
    if "pixelrnn" in args.models and not args.no_epoch:
        result["epoch"] = pixelrnn_epoch(args, configs)
    if not args.no_quality and not args.quick:
        result["quality"] = quality(args, configs)
    print_table(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
