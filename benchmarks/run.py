"""The studio's speed and quality, in one run on the current device: one table, also as JSON.

    python -m benchmarks.run                    # full run (minutes on a CPU)
    python -m benchmarks.run --quick            # tiny settings: checks the script end to end
    python -m benchmarks.run --device cuda --compile --json results.json
    python -m benchmarks.run --device cuda --models pixelrnn --epoch-reps 300 --epoch-sweep 64,256,713

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
   pace (training alone, and with the evaluation, checkpoints and grids of a user's run), and a
   profile of its training steps: the operators where the time goes (on a GPU also the kernel
   launches a step and how busy the GPU is);
7. with --epoch-sweep: that epoch at other batch sizes (learning rate scaled), with and without
   torch.compile and bf16, each with the held-out bits/pixel it reaches: which lever pays.
benchmarks/gpu_check.sh runs this on a GPU (docs/gpu.md).
Machines are noisy: compare the ratios measured side by side in one run, not across runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# Quiets torch.profiler's log lines on stderr (its one-line start/stop marks remain).
os.environ.setdefault("KINETO_LOG_LEVEL", "5")
import torch  # noqa: E402  (after the profiler's log level is set)
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from benchmarks.common import add_arguments
from studio.data import find_course_data, open_dataset  # noqa: E402
from studio.models import MODEL_NAMES, model_module  # noqa: E402
from studio.train.devices import describe_device, pick_device  # noqa: E402
from studio.train.engine import Trainer, TrainingListener, TrainSettings  # noqa: E402

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


def throughput(args, sprites, configs):
    """One row per model, yielded as soon as it is measured."""
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
        yield {"model": model, "config": args.config_names[model], "batch": args.batch,
               "engine_sprites_per_s": statistics.median(engine), "plain_sprites_per_s": statistics.median(plain),
               "ratio": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
               "reps": args.reps}


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
    cmd = [sys.executable, "-m", "benchmarks.gui_stall", "--seconds", seconds, "--json", str(out)]
    if args.quick:
        cmd += ["--data", "builtin:n=96", "--batch-size", "8"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=HERE.parent)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    return json.loads(out.read_text())


# --- 5. quality after a fixed budget ---------------------------------------------------------
QUALITY_KEYS = {"pixelrnn": "val/bits_per_pixel", "transformer": "val/bits_per_pixel", "vae": "val/elbo_bits_per_pixel",
                "gan": "val/mmd", "diffusion": "val/elbo_bits_per_pixel"}


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
LR_BATCH = 64  # the batch size the configs' learning rates were tuned at


class _EpochTimes(TrainingListener):
    """At each epoch's end (the engine logs once an epoch here): the training seconds, and the
    wall clock, which also counts the evaluation, checkpoints and sample grids between epochs."""

    def __init__(self):
        self.times: list[float] = []
        self.walls: list[float] = []

    def on_metrics(self, record):
        if not any(k.startswith("val/") for k in record):
            self.times.append(record["time"])
            self.walls.append(time.perf_counter())

    def per_epoch(self) -> tuple[float, float]:
        """(median training seconds, mean wall seconds) per epoch, the first (warm-up) left out."""
        training = statistics.median(b - a for a, b in zip(self.times, self.times[1:]))
        return training, (self.walls[-1] - self.walls[0]) / (len(self.walls) - 1)


def epoch_sprites(args):
    course = None if args.quick else find_course_data()
    return open_dataset(course or ("builtin:n=96" if args.quick else "builtin"))


def pixelrnn_epoch(args, configs) -> dict:
    """``--epoch-reps`` epochs as a user trains (evaluation every epoch, a checkpoint every 5,
    sample grids), after one warm-up epoch (allocations, compilation); fewer if the run reaches
    ``--epoch-cpu-budget`` first."""
    sprites = epoch_sprites(args)
    train, _ = sprites.split()
    batch = min(args.batch, len(train))
    times = _EpochTimes()
    settings = TrainSettings(epochs=1 + args.epoch_reps, batch_size=batch, log_every=max(1, len(train) // batch),
                             device=args.device, compile=args.compile, cpu_budget=args.epoch_cpu_budget)
    with tempfile.TemporaryDirectory(dir=args.workdir) as run:
        Trainer("pixelrnn", configs["pixelrnn"], sprites, settings, run, [times]).run_training()
    per_epoch, wall = times.per_epoch()
    result = {"data": sprites.name, "train_sprites": len(train), "batch": batch,
              "config": args.config_names["pixelrnn"], "epochs_timed": len(times.times) - 1, "epoch_s": per_epoch,
              "wall_epoch_s": wall, "budget_epochs": BUDGET_EPOCHS,
              "budget_minutes": per_epoch * BUDGET_EPOCHS / 60, "wall_budget_minutes": wall * BUDGET_EPOCHS / 60}
    result["profile"], result["kernels"] = profile_steps(args, configs["pixelrnn"], sprites,
                                                         steps=2 if args.quick else 5)
    if result["kernels"]:  # how busy the GPU is during a step: far below 100 % is launch / host bound
        step_ms = 1000 * per_epoch / max(1, len(train) // batch)
        result["kernels"]["busy_percent"] = 100 * result["kernels"]["device_ms_per_step"] / step_ms
    return result


def scaled_lr(lr: float, batch: int) -> float:
    """Adam's learning rate for ``batch`` from the one tuned at LR_BATCH: the square-root rule
    (the gradient noise falls as √batch), so fewer, larger steps an epoch still train."""
    return lr * (batch / LR_BATCH) ** 0.5


def epoch_sweep(args, configs):
    """The levers on the epoch's time, one row each (yielded as soon as it is measured; eager
    rows first, compiling takes longer): batch size (learning rate scaled), torch.compile, bf16
    autocast; ``--sweep-epochs`` timed epochs after a warm-up, and the held-out bits/pixel they
    reach (a larger batch takes fewer steps an epoch)."""
    sprites = epoch_sprites(args)
    train, _ = sprites.split()
    base = configs["pixelrnn"]
    for compile_, batch, amp in itertools.product(args.sweep_compile, args.sweep_batches, args.sweep_amp):
        batch = min(batch, len(train))
        config = dataclasses.replace(base, lr=scaled_lr(base.lr, batch))
        steps_per_epoch = max(1, len(train) // batch)
        times = _EpochTimes()
        settings = TrainSettings(epochs=1 + args.sweep_epochs, batch_size=batch, log_every=steps_per_epoch,
                                 sample_every=0, sample_count=0, eval_every=0, checkpoint_every=0,
                                 device=args.device, compile=compile_, amp=amp)
        trainer = Trainer("pixelrnn", config, sprites, settings, None, [times])
        trainer.run_training()
        with torch.no_grad():
            bits = trainer.task.evaluate(trainer.held_data)["bits_per_pixel"]
        per_epoch, _ = times.per_epoch()
        yield {"batch": batch, "lr": config.lr, "compile": compile_, "bf16": amp and trainer.device.type == "cuda",
               "steps_per_epoch": steps_per_epoch, "epochs": 1 + args.sweep_epochs, "epoch_s": per_epoch,
               "budget_minutes": per_epoch * BUDGET_EPOCHS / 60, "val_bits_per_pixel": bits}


def profile_steps(args, config, sprites, steps: int, warmup: int = 3, top: int = 8):
    """torch.profiler over ``steps`` engine training steps after ``warmup`` unprofiled ones:
    (the operators with the most self time, as % of all; on a GPU, the kernels' count and time
    per step, else None). On a GPU an operator's self time is the device time of the kernels it
    launched itself, so the rows read as operators, not kernel names, and add up to 100 %."""
    from torch.autograd import DeviceType
    from torch.profiler import ProfilerActivity, profile, schedule

    device = pick_device(args.device)
    cuda = device.type == "cuda"
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    batch = min(args.batch, len(sprites.split()[0]))
    settings = TrainSettings(epochs=10**6, batch_size=batch, max_steps=warmup + steps, log_every=1,
                             sample_every=0, sample_count=0, eval_every=0, checkpoint_every=0,
                             device=args.device, compile=args.compile)
    traces = []  # the profiler hands over its events when the active steps end
    with profile(activities=activities, schedule=schedule(wait=0, warmup=warmup, active=steps, repeat=1),
                 on_trace_ready=lambda p: traces.append(p.key_averages())) as prof:
        Trainer("pixelrnn", config, sprites, settings, None, [_ProfilerStep(prof)]).run_training()
    attr = "self_device_time_total" if cuda else "self_cpu_time_total"
    ops = [e for e in traces[-1] if e.device_type == DeviceType.CPU and not e.key.startswith("ProfilerStep")]
    total = sum(getattr(e, attr) for e in ops) or 1
    ops.sort(key=lambda e: getattr(e, attr), reverse=True)
    rows = [{"op": e.key, "percent": 100 * getattr(e, attr) / total,
             "ms_per_step": getattr(e, attr) / 1000 / steps, "calls_per_step": e.count / steps}
            for e in ops[:top]]
    kernels = [e for e in traces[-1] if e.device_type == DeviceType.CUDA]
    stats = {"launches_per_step": sum(e.count for e in kernels) / steps,
             "device_ms_per_step": sum(e.self_device_time_total for e in kernels) / 1000 / steps} if cuda else None
    return rows, stats


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
        print(f"  with the evaluation, checkpoints and sample grids a user's run adds: {e['wall_epoch_s'] * 1000:.0f} ms "
              f"an epoch, {e['wall_budget_minutes']:.1f} min for {e['budget_epochs']}; {e['epochs_timed']} epoch(s) timed")
        print("where a training step's time goes (self time):")
        for op in e["profile"]:
            print(f"  {op['percent']:5.1f} %  {op['ms_per_step']:8.2f} ms/step  {op['calls_per_step']:6.0f} calls  {op['op']}")
        if e.get("kernels"):
            k = e["kernels"]
            print(f"GPU kernels: {k['launches_per_step']:.0f} launches a step, {k['device_ms_per_step']:.2f} ms of "
                  f"kernel time a step, the GPU busy {k['busy_percent']:.0f} % of the step")
    if result.get("sweep"):
        print(f"\nPixelRNN epoch levers (lr scaled by √(batch/{LR_BATCH})): timed epochs after a warm-up one, "
              f"then the held-out bits/pixel")
        print(f"{'batch':>5} {'lr':>8} {'compile':>7} {'bf16':>4} {'steps/epoch':>11} {'epochs':>6} {'ms/epoch':>9} "
              f"{BUDGET_EPOCHS:>5}-epoch min {'val bits/px':>11}")
        for r in result["sweep"]:
            print(f"{r['batch']:>5} {r['lr']:>8.2g} {'on' if r['compile'] else 'off':>7} {'on' if r['bf16'] else 'off':>4} "
                  f"{r['steps_per_epoch']:>11} {r['epochs']:>6} {r['epoch_s'] * 1000:>9.1f} "
                  f"{r['budget_minutes']:>15.2f} {r['val_bits_per_pixel']:>11.3f}")
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
    add_arguments(p, data=False)  # --device, --json
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
    p.add_argument("--epoch-cpu-budget", type=float, metavar="SECONDS",
                   help="stop the timed PixelRNN epochs at this many CPU-seconds (a cap for time-limited runs)")
    p.add_argument("--epoch-sweep", default="", metavar="BATCHES",
                   help="e.g. 64,256,713: also time the PixelRNN epoch at these batch sizes (lr scaled), "
                        "for each --sweep-compile and --sweep-amp")
    p.add_argument("--sweep-epochs", type=int, default=20, help="timed epochs per sweep row (after one warm-up)")
    p.add_argument("--sweep-compile", default="off", help="off, on or off,on")
    p.add_argument("--sweep-amp", default="on", help="bf16 autocast (CUDA only): on, off or on,off")
    p.add_argument("--quick", action="store_true", help="tiny models and budgets: checks the script runs")
    p.add_argument("--workdir", default="/tmp")
    args = p.parse_args(argv)
    args.models = [m for m in args.models.split(",") if m]
    args.sweep_batches = [int(b) for b in args.epoch_sweep.split(",") if b]
    args.sweep_compile, args.sweep_amp = _switches(p, "--sweep-compile", args.sweep_compile), \
        _switches(p, "--sweep-amp", args.sweep_amp)
    args.steps = -(-args.steps // args.warmup) * args.warmup
    if args.quick:
        args.steps, args.warmup, args.reps, args.latency_reps, args.batch, args.epoch_reps = 4, 2, 1, 2, 8, 1
    args.quality_epochs = {"pixelrnn": 1, "transformer": 1, "vae": 1, "gan": 1, "diffusion": 1} if args.quick else \
        {"pixelrnn": 5, "transformer": 5, "vae": 30, "gan": 100, "diffusion": 5}
    return args


def _switches(parser, option: str, text: str) -> list[bool]:
    values = {"on": True, "off": False}
    words = [w for w in text.split(",") if w]
    if not words or any(w not in values for w in words):
        parser.error(f"{option}: expected on, off or both separated by a comma, got {text!r}")
    return [values[w] for w in words]


def model_configs(args) -> dict:
    """The default config of each model (the lecture's for PixelRNN); tiny ones with --quick."""
    tiny = {"gan": dict(z_dim=8, width=8), "pixelrnn": dict(hidden=16), "transformer": dict(n_embd=16),
            "vae": dict(width=8), "diffusion": dict(n_embd=16, n_layer=1, n_head=2)}
    configs, names = {}, {}
    for model in MODEL_NAMES:
        module = model_module(model)
        name = "lecture" if model == "pixelrnn" else next(iter(module.CONFIGS))
        config = module.CONFIGS[name]
        if args.quick:
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

    def measured(key, value):
        # Written after every section and row, so a run cut short (a time limit) keeps what it measured.
        result[key] = value
        if args.json:  # atomically: a reader never sees half a file
            partial = Path(args.json).with_name(Path(args.json).name + ".partial")
            partial.write_text(json.dumps(result, indent=2) + "\n")
            os.replace(partial, args.json)

    speeds = []
    for row in throughput(args, sprites, configs):
        speeds.append(row)
        measured("throughput", speeds)
    if "pixelrnn" in args.models:
        measured("pixelrnn", pixelrnn_latency(args, sprites, configs))
    if "vae" in args.models:
        measured("vae", vae_latency(args, sprites, configs))
    if not args.no_gui:
        measured("gui", gui_stall(args))
    if "pixelrnn" in args.models and not args.no_epoch:
        measured("epoch", pixelrnn_epoch(args, configs))
    levers = []
    for row in epoch_sweep(args, configs) if args.sweep_batches else ():
        levers.append(row)
        measured("sweep", levers)
    if not args.no_quality and not args.quick:
        measured("quality", quality(args, configs))
    print_table(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
