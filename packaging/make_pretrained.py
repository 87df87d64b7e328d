"""Make the models the studio ships, so every workspace has one on first launch.

    python packaging/make_pretrained.py                        # the built-in creatures' set, ~2 CPU-minutes
    python packaging/make_pretrained.py --data PATH/pokemon    # the course's set, ~80 CPU-minutes
    python packaging/make_pretrained.py --model vae --out /tmp/pretrained

A set is one model of every family trained on one dataset: ``builtin`` on the built-in
creatures (no download), ``pokemon`` on the course's data (``--data``: its folder; the
repository holds none of its sprites, only what this script makes of them — weights and the
palette they were trained with). Each model trains from a fixed seed for a fixed number of
steps, on one CPU thread, so the same studio version makes the same models. What is kept of
each run is a run folder the studio opens like any other (``TrainedRun.open``):

    resources/pretrained/SET/MODEL/config.json      the run's description (model config, palette, ...)
    resources/pretrained/SET/MODEL/metrics.jsonl    its curves, for the Train tab
    resources/pretrained/SET/MODEL/samples/*.png    its last sample grid
    resources/pretrained/SET/MODEL/checkpoints/best.pt   weights only (float16; no optimiser, no RNG)

The wheel carries them (pyproject.toml's force-include). Re-run this script after changing a
model: a checkpoint that no longer fits its model is refused with a message naming the file.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout, installed or not

#: (config preset, field overrides, steps, held-out evaluation every N epochs) per model:
#: small enough to train in about a CPU-minute each and to ship in a few MB, good enough
#: that completing, sliding and walking show something recognisable.
BUILTIN_RECIPES = {
    "diffusion": ("quick", {}, 400, 5),
    "gan": ("dcgan", {"width": 32, "lr_g": 1e-3, "lr_d": 1e-3}, 1000, 20),
    "pixelrnn": ("small", {}, 150, 2),
    "transformer": ("quick", {"n_embd": 32}, 352, 4),
    "vae": ("lecture", {"width": 32, "hidden": 128}, 1000, 10),
}
#: The course's set: each family's default preset (the best measured: docs/models.md), trained far
#: longer than a learner's quick run, on one thread: about 10 CPU-minutes for the transformer,
#: which had levelled off by then; 61 for the GAN, whose preset had too (8,000 steps, 18
#: CPU-minutes, scored the same sharp c2st as 4,000: 0.974) until D saw shifted sprites; about
#: 20 for PixelRNN and diffusion, still improving at 10 (18,000 diffusion steps at a constant
#: learning rate, 33 CPU-minutes, held-out bound 2.195 against 2.202, scored no better: c2st
#: 0.935 [0.90, 0.97] against 0.922 [0.91, 0.94]; nor did 3 layers × 96 for 7,000 steps: 2.198,
#: 0.925; the decay below did); and 40 for the VAE, whose held-out
#: −ELBO bottoms at step 1,705 (2.238 bits/px) and rises after: best.pt, the checkpoint shipped,
#: is that step's.
COURSE_RECIPES = {
    # About 20 CPU-minutes (the network is small, its steps cheap), the learning rate decayed to a
    # tenth over them: held-out bound 2.164 bits/px against 2.202 at a constant rate.
    "diffusion": ("default", {"lr_decay_steps": 9000, "lr_min": 2e-4}, 9000, 5),
    # The long preset for 25,000 steps, about 61 CPU-minutes: crisp with D seeing the sprites
    # shifted by up to 2 pixels (DiffAugment's translation), which keeps the game even past the
    # 4,000 steps where crisp levels off: sharp c2st 0.936 at 6,000 steps, 0.912 at 10,000,
    # 0.886 at 15,000 and 0.875 at 25,000, against 0.974 for 4,000 unshifted.
    "gan": ("long", {}, 25000, 50),
    "pixelrnn": ("2d-copy", {}, 1100, 5),  # about 20
    "transformer": ("2d-copy", {}, 2800, 5),
    "vae": ("pixelvae", {}, 2800, 5),  # about 40; best.pt at step 1,705
}
SETS = {"builtin": BUILTIN_RECIPES, "pokemon": COURSE_RECIPES}
RECIPES = BUILTIN_RECIPES
SEED = 0


def make(model: str, out: Path, data: str = "builtin", recipes: dict = BUILTIN_RECIPES) -> dict:
    """Train ``model``'s recipe on ``data`` and write its shipped run folder to ``out/model``."""
    import torch

    from studio.data import open_dataset
    from studio.models import model_module
    from studio.train.checkpoint import load_checkpoint, save_checkpoint
    from studio.train.engine import Trainer
    from studio.train.settings import default_settings
    from studio.train.run import RunDir

    preset, overrides, steps, eval_every = recipes[model]
    config = dataclasses.replace(model_module(model).CONFIGS[preset], **overrides)
    sprites = open_dataset(data)
    settings = default_settings(model, preset, seed=SEED, max_steps=steps, epochs=10 ** 6,
                                device="cpu", eval_every=eval_every, checkpoint_every=0,
                                sample_every=steps, sample_count=16, log_every=10)
    settings = dataclasses.replace(settings, cpu_budget=None)  # steps, not seconds: reproducible
    with tempfile.TemporaryDirectory(prefix=f"pretrained-{model}-") as scratch:
        work = Path(scratch) / model
        torch.manual_seed(SEED)
        start = time.process_time()
        summary = Trainer(model, config, sprites, settings, work).run_training()
        cpu = time.process_time() - start
        run, target = RunDir(work), RunDir(out / model)
        if target.path.exists():
            shutil.rmtree(target.path)
        target.samples_dir.mkdir(parents=True)
        target.checkpoints_dir.mkdir(parents=True)
        config_json = json.loads(run.config_path.read_text())
        if data != "builtin":  # the course's data by name, not by this machine's path to it
            config_json["data"]["source"] = "course"
        target.config_path.write_text(json.dumps(config_json, indent=2) + "\n")
        shutil.copy(run.metrics_path, target.metrics_path)
        last_grid = run.sample_grids()[-1]
        shutil.copy(last_grid, target.samples_dir / last_grid.name)
        state = load_checkpoint(run.checkpoint("best"))
        weights = {"format": state["format"], "model": state["model"], "config": state["config"],
                   "step": state["step"], "best": state["best"],
                   "modules": {name: {k: v.half() if v.is_floating_point() else v for k, v in sd.items()}
                               for name, sd in state["modules"].items()}}
        save_checkpoint(weights, target.best_checkpoint)
    size = sum(p.stat().st_size for p in target.path.rglob("*") if p.is_file())
    return {"model": model, "config": preset, "steps": summary["step"], "cpu_seconds": round(cpu, 1),
            "megabytes": round(size / 1e6, 2), "folder": str(target.path)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="builtin",
                        help="the course's data folder (pixel_color.txt, colormap.txt) for the pokemon set; "
                             "default: the built-in creatures' set")
    parser.add_argument("--model", choices=sorted(BUILTIN_RECIPES), action="append",
                        help="only this model (repeatable); default: all")
    parser.add_argument("--out", type=Path, help="default: resources/pretrained/SET")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)  # the same arithmetic on every machine, and fair CPU-seconds
    name = "builtin" if args.data == "builtin" else "pokemon"
    out = args.out or ROOT / "resources" / "pretrained" / name
    rows = [make(model, out, args.data, SETS[name]) for model in (args.model or sorted(SETS[name]))]
    print(f"{'model':11} {'config':8} {'steps':>6} {'CPU-s':>7} {'MB':>6}  folder")
    for r in rows:
        print(f"{r['model']:11} {r['config']:8} {r['steps']:>6} {r['cpu_seconds']:>7} {r['megabytes']:>6}  {r['folder']}")
    print(json.dumps({"total_cpu_seconds": round(sum(r["cpu_seconds"] for r in rows), 1),
                      "total_megabytes": round(sum(r["megabytes"] for r in rows), 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
