#!/usr/bin/env python
"""Bad and edge-case inputs against the `studio` CLI, as a hostile but realistic user types them.

    OMP_NUM_THREADS=1 python -m benchmarks.bad_inputs [--work /tmp/bad-inputs] [--only CATEGORY] [-v]

Each case runs `python -m studio ...` in a subprocess and is judged on what a user sees:
  handled       exit 2 with a last stderr line `studio...: <what is wrong>` (argparse's usage
                block above it is fine), or the expected success / exit 130 for an interrupt;
  traceback     "Traceback (most recent call last)" anywhere in stderr;
  data lost     the case's own check of the files it might damage failed (a run's config.json
                or checkpoints changed, steps logged twice, a *.tmp left, the last checkpoint
                no longer loads, ...).
Prints one table (category, inputs tried, handled, tracebacks leaked, data lost) and every case
that was not handled, with its command. Cases needing a small tmpfs (a full disk) run in
`unshare -rm` when the platform allows it, and are listed as skipped otherwise.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from benchmarks.common import ROOT as REPO

# The tiny runs' configs: (the preset each shrinks, the fields that shrink it).
TINY = {"gan": ("dcgan", {"z_dim": 8, "width": 8}), "vae": ("lecture", {"latent_dim": 2, "width": 4, "hidden": 8})}
DATA = "builtin:n=40"  # 36 training sprites: 4 steps an epoch at batch size 8


@dataclass
class Case:
    category: str
    name: str
    argv: list[str] | None = None  # studio arguments; None: ``run`` does it all
    expect: str = "error"  # error | ok | interrupt
    message: str = ""  # a piece the error line must hold
    prepare: Callable[[Path], None] | None = None
    check: Callable[[Path], bool] | None = None  # False: data was lost or damaged
    run: Callable[[Path], "Result"] | None = None  # for cases that are more than one command
    needs_tmpfs: bool = False


@dataclass
class Result:
    rc: int
    stderr: str
    stdout: str = ""
    command: str = ""
    extra_ok: bool = True


@dataclass
class Outcome:
    case: Case
    handled: bool = False
    traceback: bool = False
    data_ok: bool = True
    skipped: str = ""
    detail: str = ""
    command: str = ""


# --- running ----------------------------------------------------------------------------------------
def env() -> dict:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO), "TQDM_DISABLE": "1"}


def studio(argv: list[str], cwd: Path, timeout: float = 300) -> Result:
    cmd = [sys.executable, "-m", "studio", *argv]
    done = subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True, timeout=timeout)
    return Result(done.returncode, done.stderr, done.stdout, "studio " + " ".join(argv))


def spawn(argv: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "studio", *argv], cwd=cwd, env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def judge(case: Case, result: Result) -> tuple[bool, str]:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    if case.expect == "ok":
        return result.rc == 0 and result.extra_ok, f"rc={result.rc} {last[:160]}"
    if case.expect == "interrupt":
        return result.rc == 130 and "Traceback" not in result.stderr, f"rc={result.rc} {last[:160]}"
    ok = result.rc == 2 and last.startswith("studio") and case.message in last and result.extra_ok
    return ok, f"rc={result.rc} {last[:200]}"


# --- fixtures ----------------------------------------------------------------------------------------
def digest(folder: Path) -> str:
    """A hash of a run's files that must not change (config, checkpoints, metrics)."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name != ".writer.lock" and "samples" not in p.parts:
            h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


def steps_unique(run: Path) -> bool:
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in records if not any(k.startswith("val/") for k in r)]
    return steps == sorted(set(steps))


def last_checkpoint_loads(run: Path) -> bool:
    from studio.train.checkpoint import load_checkpoint
    from studio.train.run import RunDir

    latest = RunDir(run).latest_checkpoint()
    try:
        return latest is not None and load_checkpoint(latest)["step"] > 0
    except Exception:  # noqa: BLE001 - any failure is data lost
        return False


def no_tmp_files(folder: Path) -> bool:
    return not list(folder.rglob("*.tmp"))


def make_base(work: Path) -> dict:
    """A tiny GAN run and a tiny VAE run, trained once, copied by the cases that need them."""
    from studio.data import open_dataset
    from studio.models import model_module
    from studio.train.engine import Trainer, TrainSettings

    runs = {}
    for model, (preset, fields) in TINY.items():
        config = dataclasses.replace(model_module(model).CONFIGS[preset], **fields)
        (work / f"tiny_{model}.json").write_text(json.dumps(dataclasses.asdict(config)))
        path = work / "base" / model
        if not (path / "config.json").is_file():
            shutil.rmtree(path, ignore_errors=True)
            settings = TrainSettings(epochs=2, batch_size=8, checkpoint_every=1, sample_every=0,
                                     sample_count=4, device="cpu")
            Trainer(model, config, open_dataset(DATA), settings, path).run_training()
        runs[model] = path
    return runs


def copy_run(base: Path, to: Path) -> Path:
    shutil.rmtree(to, ignore_errors=True)
    shutil.copytree(base, to)
    return to


def edit_config(run: Path, edit) -> None:
    config = json.loads((run / "config.json").read_text())
    out = edit(config)
    (run / "config.json").write_text(out if isinstance(out, str) else json.dumps(config))


def png(path: Path, mode="RGBA", size=(40, 40), value=None) -> None:
    import numpy as np
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    if value is not None:
        Image.fromarray(np.full(size[::-1], value, np.uint16)).save(path)
    else:
        Image.new(mode, size).save(path)


def grey_is_64(folder: Path) -> bool:
    from studio.data.images import load_framed_rgb

    return bool((load_framed_rgb(folder)[0] == 0x40).all())


def course(folder: Path, pixels: bytes, colormap: bytes = b"255 255 255\n0 0 0") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pixel_color.txt").write_bytes(pixels)
    (folder / "colormap.txt").write_bytes(colormap)


ROW = " ".join(["0"] * 399 + ["1"])


# --- the cases ---------------------------------------------------------------------------------------
def cases(work: Path, runs: dict) -> list[Case]:
    gan, vae, w = runs["gan"], runs["vae"], work
    tiny = ["--config", str(w / "tiny_gan.json")]
    out = lambda n: str(w / "out" / n)  # noqa: E731
    train = ["train", "gan", "--data", DATA, "--batch-size", "8", "--quiet", "--device", "cpu", *tiny]
    c: list[Case] = []
    add = lambda *a, **k: c.append(Case(*a, **k))  # noqa: E731

    # Datasets.
    add("dataset", "missing path", ["data", "info", str(w / "nowhere")], message="no such file")
    add("dataset", "empty folder", ["data", "info", str(w / "empty")], message="not a dataset",
        prepare=lambda _: (w / "empty").mkdir(exist_ok=True))
    add("dataset", "text file named .png", ["data", "info", str(w / "fakepng")], message="cannot read this image",
        prepare=lambda _: ((w / "fakepng").mkdir(exist_ok=True), (w / "fakepng" / "a.png").write_text("hello")))
    add("dataset", "truncated PNG", ["data", "info", str(w / "cutpng")], message="cannot read this image",
        prepare=lambda _: (png(w / "cutpng" / "a.png", size=(64, 64)),
                           (w / "cutpng" / "a.png").write_bytes((w / "cutpng" / "a.png").read_bytes()[:60])))
    add("dataset", "10000×10000 1-bit PNG (12 KB)", ["data", "info", str(w / "bomb")], message="10000×10000 pixels",
        prepare=lambda _: png(w / "bomb" / "a.png", mode="1", size=(10_000, 10_000)))
    add("dataset", "16-bit grey PNG is scaled, not white", ["data", "info", str(w / "grey16")], expect="ok",
        prepare=lambda _: png(w / "grey16" / "a.png", value=0x4040), check=lambda _: grey_is_64(w / "grey16"))
    add("dataset", "course file with a UTF-8 BOM", ["data", "info", str(w / "bom")], expect="ok",
        prepare=lambda _: course(w / "bom", b"\xef\xbb\xbf" + ROW.encode(), b"\xef\xbb\xbf255 255 255\n0 0 0"))
    add("dataset", "course: 399 numbers", ["data", "info", str(w / "c1")], message="not a square sprite",
        prepare=lambda _: course(w / "c1", " ".join(["0"] * 399).encode()))
    add("dataset", "course: index past the palette", ["data", "info", str(w / "c2")], message="outside the palette",
        prepare=lambda _: course(w / "c2", ROW.replace("1", "7").encode()))
    add("dataset", "course: colormap missing", ["data", "info", str(w / "c3")], message="palette file is missing",
        prepare=lambda _: (course(w / "c3", ROW.encode()), (w / "c3" / "colormap.txt").unlink()))
    add("dataset", "course: colour 300", ["data", "info", str(w / "c4")], message="0..255",
        prepare=lambda _: course(w / "c4", ROW.encode(), b"300 0 0\n0 0 0"))
    add("dataset", "course: binary garbage", ["data", "info", str(w / "c5")], message="not a text file",
        prepare=lambda _: course(w / "c5", bytes(range(256)) * 4))
    add("dataset", "course: empty file", ["data", "info", str(w / "c6")], message="holds no sprites",
        prepare=lambda _: course(w / "c6", b""))
    add("dataset", "course: a 300×300 line", ["data", "info", str(w / "c7")], message="line 1",
        prepare=lambda _: course(w / "c7", " ".join(["0"] * 90_000).encode()))
    add("dataset", "course: ragged lines", ["data", "info", str(w / "c8")], message="like the first line",
        prepare=lambda _: course(w / "c8", (ROW + "\n0 0 0 0").encode()))
    add("dataset", "course: '1.5' in a line", ["data", "info", str(w / "c9")], message="not a whole number",
        prepare=lambda _: course(w / "c9", ROW.replace("1", "1.5").encode()))
    add("dataset", "builtin:n=100000000", ["data", "info", "builtin:n=100000000"], message="a dataset may hold")
    add("dataset", "builtin:bogus=1", ["data", "info", "builtin:bogus=1"], message="bad built-in dataset option")
    add("dataset", "builtin:size=4", ["data", "info", "builtin:size=4"], message="at least 8×8")
    add("dataset", "palette from a folder without images", ["data", "palette", str(w / "empty"), "-o", out("p.txt")],
        message="no images")
    add("dataset", "a directory named pixel_color.txt", ["data", "info", str(w / "cdir")], message="not a dataset",
        prepare=lambda _: (w / "cdir" / "pixel_color.txt").mkdir(parents=True, exist_ok=True))

    # Numeric arguments.
    for name, argv, message in [
        ("preview --scale 100000", ["data", "preview", "builtin", "-o", out("a.png"), "--scale", "100000"], "at most 64"),
        ("preview --count 0", ["data", "preview", "builtin", "-o", out("a.png"), "--count", "0"], "1 or more"),
        ("preview --count -1", ["data", "preview", "builtin", "-o", out("a.png"), "--count", "-1"], "1 or more"),
        ("info --size 100000", ["data", "info", "builtin", "--size", "100000"], "at most 256"),
        ("palette -k 0", ["data", "palette", str(w), "-k", "0", "-o", out("p.txt")], "1 or more"),
        ("palette -k 300", ["data", "palette", str(w), "-k", "300", "-o", out("p.txt")], "at most 256"),
        ("walk --steps 2000000000", ["walk", str(gan), "-o", out("w.gif"), "--steps", "2000000000"], "at most 2000"),
        ("walk --steps 0", ["walk", str(gan), "-o", out("w.gif"), "--steps", "0"], "1 or more"),
        ("walk --waypoints 1", ["walk", str(gan), "-o", out("w.gif"), "--waypoints", "1"], "2 or more"),
        ("train --batch-size -4", [*train, "--batch-size", "-4", "--out", out("r")], "1 or more"),
        ("train --steps 0", [*train, "--steps", "0", "--out", out("r")], "1 or more"),
        ("train --epochs 0", [*train, "--epochs", "0", "--out", out("r")], "1 or more"),
        ("train --cpu-minutes nan", [*train, "--cpu-minutes", "nan", "--out", out("r")], "finite"),
        ("train --seed -1", [*train, "--seed", "-1", "--out", out("r")], "0 or more"),
        ("sample -n -3", ["sample", str(gan), "-n", "-3", "-o", out("s.png")], "1 or more"),
        ("sample --temperature 0", ["sample", str(gan), "--temperature", "0", "-o", out("s.png")], "more than 0"),
        ("sample --temperature inf", ["sample", str(gan), "--temperature", "inf", "-o", out("s.png")], "finite"),
        ("sample --top-k 0", ["sample", str(gan), "--top-k", "0", "-o", out("s.png")], "1 or more"),
        ("latent --grid 100000", ["latent", str(vae), "-o", out("l.png"), "--grid", "100000"], "at most 64"),
        ("interpolate --steps 1", ["interpolate", str(vae), "--from", "0", "--to", "1", "--steps", "1",
                                   "-o", out("i.png")], "2 or more"),
        ("reconstruct --index -1", ["reconstruct", str(vae), "--index", "-1", "-o", out("r.png")], "0 or more"),
        ("complete --cover 1.5", ["complete", str(gan), "--index", "0", "--cover", "1.5", "-o", out("c.png")], "at most 1"),
        ("toygan --steps ten", ["toygan", "-o", out("t.png"), "--steps", "ten"], "whole number"),
    ]:
        add("arguments", name, argv, message=message)
    add("arguments", "toygan --mixture bogus", ["toygan", "-o", out("t.png"), "--mixture", "bogus", "--steps", "1"],
        message="unknown mixture")
    add("arguments", "reconstruct --index 100000", ["reconstruct", str(vae), "--index", "100000", "-o", out("r.png")],
        message="out of range")
    add("arguments", "latent --dims 0 99", ["latent", str(vae), "--dims", "0", "99", "-o", out("l.png")],
        message="two different dimensions")

    # Output files.
    add("output", "unknown format .xyz", ["data", "preview", "builtin", "-o", out("a.xyz")], message="unknown image format")
    add("output", "no extension", ["data", "preview", "builtin", "-o", out("noext")], message="unknown image format")
    add("output", "parent is a file", ["data", "preview", "builtin", "-o", str(w / "tiny_gan.json" / "a.png")],
        message="is a file, not a folder")
    add("output", "output is a folder", ["data", "preview", "builtin", "-o", str(w / "adir.png")],
        message="is a directory", prepare=lambda _: (w / "adir.png").mkdir(exist_ok=True))
    add("output", "walk to a .png", ["walk", str(gan), "-o", out("w.png")], message="must end in .gif")
    add("output", "a 4096-sprite sheet at scale 64", ["data", "preview", "builtin", "-o", out("big.png"),
                                                      "--count", "4096", "--scale", "64"], message="the picture would be")
    add("output", "sample --scale 64 -n 4096", ["sample", str(gan), "-n", "4096", "--scale", "64", "-o", out("s.png")],
        message="the picture would be")
    add("output", "full disk writing a preview", None, needs_tmpfs=True, run=lambda d: in_tmpfs(
        "64k", ["data", "preview", "builtin", "-o", "$MNT/p.png", "--count", "792", "--scale", "8"],
        "ls -A $MNT | grep -c tmp$ | grep -qx 0"), message="no space left on device")

    # Run configs (config.json) and config files.
    def damaged(name, edit, message):
        target = w / "cfg" / name.replace(" ", "_").replace('"', "")
        add("config", name, ["eval", str(target)], message=message,
            prepare=lambda _: (copy_run(gan, target), edit_config(target, edit)))

    damaged("invalid JSON", lambda c: "{not json", "malformed JSON")
    damaged("JSON list, not object", lambda c: "[1, 2]", "expected a JSON object")
    damaged("missing key model_config", lambda c: c.pop("model_config"), "'model_config' is missing")
    damaged('"epochs": "ten"', lambda c: c["train"].update(epochs="ten"), "epochs must be a whole number")
    damaged("batch_size 0", lambda c: c["train"].update(batch_size=0), "batch_size must be at least 1")
    damaged("unknown model", lambda c: c.update(model="diffusion"), "unknown model")
    damaged("palette of 2-tuples", lambda c: c["data"].update(palette=[[1, 2]] * c["data"]["num_colors"]),
            "'data.palette'")
    damaged("size as text", lambda c: c["data"].update(size="20x20"), "'data.size'")
    damaged("z_dim a list", lambda c: c["model_config"].update(z_dim=[8]), "z_dim must be a whole number")
    damaged("held_out 2", lambda c: c["train"].update(held_out=2.0), "held_out must be a fraction")
    add("config", "not a run folder", ["eval", str(w / "empty")], message="not a run folder")
    add("config", "--config unknown name", [*train, "--config", "nope", "--out", out("r")], message="neither a gan config")

    def config_file(name, text, message):
        path = w / "cfgfiles" / f"{name.replace(' ', '_')}.json"
        add("config", f"--config file: {name}", [*train, "--config", str(path), "--out", out("r")], message=message,
            prepare=lambda _: (path.parent.mkdir(exist_ok=True), path.write_text(text)))

    config_file("invalid JSON", "{", "malformed config")
    config_file("unknown field", '{"zdim": 8}', "unknown field(s) zdim")
    config_file("z_dim text", '{"z_dim": "big"}', "z_dim must be a whole number")
    config_file("negative width", '{"width": -8}', "width must not be negative")
    config_file("width 0", '{"width": 0, "z_dim": 8}', "width must be at least 1")
    config_file("loss unknown", '{"loss": "hinge2"}', "unknown GAN loss")
    add("config", "--device warp-drive", [*train, "--device", "warp-drive", "--out", out("r")], message="unknown device")
    add("config", "--device cuda:7", [*train, "--device", "cuda:7", "--out", out("r")], message="not available")

    # Checkpoints.
    def broken_checkpoint(name, damage, message, argv_extra=("--checkpoint", "last")):
        target = w / "ckpt" / name.replace(" ", "_")

        def prepare(_):
            copy_run(gan, target)
            damage(target, sorted((target / "checkpoints").glob("step_*.pt"))[-1])

        add("checkpoint", name, ["eval", str(target), *argv_extra], message=message, prepare=prepare,
            check=lambda _: True)

    def crafted(run, last):
        import pickle

        class Payload:
            def __reduce__(self):
                return (os.system, ("touch /tmp/pwned-by-checkpoint",))

        last.write_bytes(pickle.dumps(Payload()))

    def flip(run, last):
        data = bytearray(last.read_bytes())
        data[len(data) // 2] ^= 0x10
        last.write_bytes(bytes(data))

    broken_checkpoint("crafted pickle", crafted, "refused to load")
    broken_checkpoint("truncated", lambda r, p: p.write_bytes(p.read_bytes()[:3000]), "truncated or corrupt")
    broken_checkpoint("bit flip", flip, "checkpoint")
    broken_checkpoint("empty file", lambda r, p: p.write_bytes(b""), "truncated or corrupt")
    broken_checkpoint("a VAE checkpoint in a GAN run",
                      lambda r, p: shutil.copy(sorted((vae / "checkpoints").glob("step_*.pt"))[-1], p),
                      "a vae checkpoint in a gan run")
    add("checkpoint", "--checkpoint nope.pt", ["eval", str(gan), "--checkpoint", "nope.pt"], message="no checkpoint 'nope.pt'")
    add("checkpoint", "--checkpoint ../config.json", ["eval", str(gan), "--checkpoint", "../config.json"],
        message="no checkpoint")
    add("checkpoint", "run without checkpoints", ["eval", str(w / "ckpt" / "none")], message="no checkpoint yet",
        prepare=lambda _: (copy_run(gan, w / "ckpt" / "none"),
                           shutil.rmtree(w / "ckpt" / "none" / "checkpoints")))

    # Runs: one writer, resume, the log, interrupts, a full disk.
    def guarded(name, argv_of, message, setup=None, expect="error", extra=None):
        target = w / "runs" / name.replace(" ", "_")
        state = {}

        def prepare(_):
            copy_run(gan, target)
            if setup:
                setup(target)
            state["digest"] = digest(target)

        check = (lambda _: digest(target) == state["digest"]) if expect == "error" else \
            (lambda _: steps_unique(target) and last_checkpoint_loads(target) and (extra is None or extra(target)))
        add("runs", name, argv_of(target), message=message, prepare=prepare, check=check, expect=expect)

    guarded("train vae --out a GAN run", lambda t: ["train", "vae", "--data", DATA, "--out", str(t), "--quiet"],
            "already holds a run")
    guarded("train gan --out a GAN run", lambda t: [*train, "--out", str(t)], "already holds a run")
    guarded("resume a GAN run as vae", lambda t: ["train", "vae", "--resume", str(t), "--quiet"], "a gan run, not vae")
    guarded("resume with another --batch-size", lambda t: [*train[:2], "--resume", str(t), "--batch-size", "4", "--quiet"],
            "batch size 8; resuming with 4")
    guarded("resume with --config", lambda t: [*train[:2], "--resume", str(t), *tiny, "--quiet"], "keeps its config")
    guarded("resume with a different --out", lambda t: [*train[:2], "--resume", str(t), "--out", out("x"), "--quiet"],
            "name different folders")
    add("runs", "--resume a missing folder", [*train[:2], "--resume", str(w / "nowhere"), "--quiet"],
        message="no such folder")
    guarded("resume: newest checkpoint truncated",
            lambda t: [*train[:2], "--resume", str(t), "--epochs", "3", "--quiet"], "", expect="ok",
            setup=lambda t: (lambda p: p.write_bytes(p.read_bytes()[:4000]))(
                sorted((t / "checkpoints").glob("step_*.pt"))[-1]),
            extra=lambda t: bool(list((t / "checkpoints").glob("*.unusable"))))
    guarded("resume: torn metrics tail", lambda t: [*train[:2], "--resume", str(t), "--epochs", "3", "--quiet"], "",
            expect="ok", setup=lambda t: (t / "metrics.jsonl").write_bytes((t / "metrics.jsonl").read_bytes()[:-15]),
            extra=lambda t: all(json.loads(x) for x in (t / "metrics.jsonl").read_text().splitlines()))
    guarded("resume: records past the checkpoint", lambda t: [*train[:2], "--resume", str(t), "--epochs", "3", "--quiet"],
            "", expect="ok", setup=lambda t: (t / "metrics.jsonl").open("a").write(
                json.dumps({"step": 9, "epoch": 2.25, "loss_d": 1.0}) + "\n"))
    c.append(Case("runs", "two writers started together", run=lambda d: two_writers(w, train)))
    c.append(Case("runs", "kill -9, then resume", expect="ok", run=lambda d: kill_and_resume(w, train)))
    c.append(Case("runs", "Ctrl-C once: stop with a checkpoint", expect="ok",
                  run=lambda d: interrupt(w, train, times=1)))
    c.append(Case("runs", "Ctrl-C twice: quit at once", expect="interrupt",
                  run=lambda d: interrupt(w, train, times=2)))
    c.append(Case("runs", "full disk mid-checkpoint", needs_tmpfs=True, message="no space left on device",
                  run=lambda d: in_tmpfs("9m", ["train", "gan", "--data", DATA, "--batch-size", "8", "--quiet",
                                                "--device", "cpu", "--epochs", "15", "--out", "$MNT/r"],
                                         full_disk_check())))
    c.append(Case("runs", "relative --data, eval from elsewhere", expect="ok", run=lambda d: relative_data(w, train)))

    # Signals a cluster or a closed terminal sends: each stops after the step with a checkpoint.
    for name in ("SIGTERM", "SIGHUP"):
        c.append(Case("signals", f"{name} once: stop with a checkpoint", expect="ok",
                      run=lambda d, name=name: interrupt(w, train, times=1, signum=getattr(signal, name))))

    # Run actions: only run folders inside a runs folder, names that cannot hurt.
    rf = w / "rf"

    def runs_folder(_):
        shutil.rmtree(w / "home", ignore_errors=True)
        (w / "home").mkdir()
        (w / "home" / "thesis.txt").write_text("the user's own file")
        copy_run(gan, (w / "home" / "runs" / "mine"))

    home_intact = lambda _: (w / "home" / "thesis.txt").is_file() and (w / "home" / "runs" / "mine" / "config.json").is_file()  # noqa: E731
    in_home = ["--dir", str(w / "home" / "runs")]
    add("runs", "delete the runs folder's parent", ["runs", "delete", str(w / "home"), *in_home], message="not a run",
        prepare=runs_folder, check=home_intact)
    add("runs", "delete the runs folder itself", ["runs", "delete", str(w / "home" / "runs"), *in_home],
        message="not a run", prepare=runs_folder, check=home_intact)
    add("runs", "delete a folder elsewhere", ["runs", "delete", str(w / "empty"), *in_home], message="not",
        prepare=lambda _: (runs_folder(_), (w / "empty").mkdir(exist_ok=True)), check=home_intact)
    add("runs", "rename to 300 characters", ["runs", "rename", "mine", "x" * 300, *in_home], message="at most",
        prepare=runs_folder, check=home_intact)
    add("runs", "rename with a newline", ["runs", "rename", "mine", "a\nb", *in_home], message="control character",
        prepare=runs_folder, check=home_intact)
    add("runs", "rename into another folder", ["runs", "rename", "mine", "../escaped", *in_home], message="separator",
        prepare=runs_folder, check=home_intact)
    add("runs", "list: a metrics line not UTF-8", ["runs", "list", str(rf)], expect="ok",
        prepare=lambda _: (copy_run(gan, rf / "a"), copy_run(gan, rf / "b"),
                           _insert_line(rf / "a" / "metrics.jsonl", b"\xff\xfe garbage")))
    add("runs", "list: a metrics line that is JSON, not an object", ["runs", "list", str(rf)], expect="ok",
        prepare=lambda _: (copy_run(gan, rf / "a"), _insert_line(rf / "a" / "metrics.jsonl", b"[1, 2, 3]")))
    add("runs", "eval: a damaged metrics line", ["eval", str(rf / "a"), "-n", "8"], expect="ok",
        prepare=lambda _: (copy_run(gan, rf / "a"), _insert_line(rf / "a" / "metrics.jsonl", b"{not json")))
    c.append(Case("runs", "list: a name with a terminal escape", expect="ok", run=lambda d: escaped_name(w, gan)))
    add("runs", "--out a folder of the user's files", [*train, "--epochs", "1", "--out", str(w / "userdir")],
        message="other file", prepare=lambda _: ((w / "userdir").mkdir(exist_ok=True),
                                                (w / "userdir" / "notes.txt").write_text("mine")),
        check=lambda _: sorted(p.name for p in (w / "userdir").iterdir()) == ["notes.txt"])
    add("runs", "--out an existing file", [*train, "--epochs", "1", "--out", str(w / "existing.txt")],
        message="a file", prepare=lambda _: (w / "existing.txt").write_text("mine"),
        check=lambda _: (w / "existing.txt").read_text() == "mine")

    # Numbers and sizes a user can type.
    add("numbers", "score -n 1000000000", ["score", str(gan), "-n", "1000000000"], message="")
    add("numbers", "eval -n -1", ["eval", str(gan), "-n", "-1"], message="")
    add("numbers", "config width 1000000000", [*train[:4], "--config", str(w / "wide.json"), "--quiet", "--epochs", "1",
                                                "--out", out("wide")], message="width must be at most",
        prepare=lambda _: (w / "wide.json").write_text(json.dumps({"width": 1_000_000_000})))
    add("numbers", "config betas [0.5, 5]", [*train[:4], "--config", str(w / "betas.json"), "--quiet", "--epochs", "1",
                                              "--out", out("betas")], message="betas must be less than 1",
        prepare=lambda _: (w / "betas.json").write_text(json.dumps({"betas": [0.5, 5]})))
    add("numbers", "builtin:size=257", ["data", "info", "builtin:size=257"], message="256")
    add("numbers", "builtin:n=0", ["data", "info", "builtin:n=0"], message="")
    return c


def _insert_line(path: Path, line: bytes) -> None:
    """``line`` in the middle of a metrics.jsonl (a damaged record among good ones)."""
    lines = path.read_bytes().splitlines(keepends=True)
    lines.insert(len(lines) // 2, line + b"\n")
    path.write_bytes(b"".join(lines))


def escaped_name(w: Path, gan: Path) -> Result:
    """A run folder named with a terminal escape: `runs list` prints it escaped, never raw."""
    folder = w / "esc"
    shutil.rmtree(folder, ignore_errors=True)
    copy_run(gan, folder / "clear\x1b[2Jscreen")
    result = studio(["runs", "list", str(folder)], w)
    result.extra_ok = "\x1b" not in result.stdout and "clear" in result.stdout
    return result


# --- multi-step cases --------------------------------------------------------------------------------------
def two_writers(w: Path, train: list[str]) -> Result:
    target = w / "runs" / "two_writers"
    shutil.rmtree(target, ignore_errors=True)
    argv = [*train, "--epochs", "30", "--out", str(target)]
    a, b = spawn(argv, w), spawn(argv, w)
    outs = [p.communicate(timeout=600) for p in (a, b)]
    rcs = [a.returncode, b.returncode]
    refused = [err for (_, err), rc in zip(outs, rcs) if rc == 2]
    ok = sorted(rcs) == [0, 2] and steps_unique(target) and last_checkpoint_loads(target)
    stderr = refused[0] if refused else outs[1][1]
    # The loser is refused by the lock ("PID ... is writing this run") or, if it came late, by
    # the finished run ("already holds a run"): either way the log holds one run's steps.
    return Result(2 if ok else 1, stderr, command=f"two at once: studio {' '.join(argv)}",
                  extra_ok="is writing this run" in stderr or "already holds a run" in stderr)


def kill_and_resume(w: Path, train: list[str]) -> Result:
    target = w / "runs" / "killed"
    shutil.rmtree(target, ignore_errors=True)
    proc = spawn([*train, "--epochs", "1000", "--out", str(target)], w)
    from studio.train.run import RunDir

    run, deadline, logged = RunDir(target), time.monotonic() + 300, []
    # GAN: a checkpoint every 5 epochs (20 steps), a record every 10 steps: kill at step 30, 50...
    while time.monotonic() < deadline:
        logged = [r["step"] for r in run.metrics() if "d_loss" in r]
        if run.step_checkpoints() and logged and logged[-1] % 20 == 10:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    resumed = studio([*train[:2], "--resume", str(target), "--steps", str(logged[-1] + 20), "--quiet"], w)
    resumed.extra_ok = steps_unique(target) and last_checkpoint_loads(target)
    resumed.command = f"kill -9 at step {logged[-1]}, then {resumed.command}"
    return resumed


def interrupt(w: Path, train: list[str], times: int, signum: int = signal.SIGINT) -> Result:
    target = w / "runs" / f"{signal.Signals(signum).name}_{times}"
    shutil.rmtree(target, ignore_errors=True)
    proc = spawn([*train, "--epochs", "1000", "--out", str(target)], w)
    from studio.train.run import RunDir

    run, deadline = RunDir(target), time.monotonic() + 300
    while time.monotonic() < deadline and not run.metrics():
        time.sleep(0.05)
    for _ in range(times):
        proc.send_signal(signum)
        time.sleep(1.5)  # copies of one signal within a second count as one (train/signals.py)
    out, err = proc.communicate(timeout=120)
    result = Result(proc.returncode, err, out, f"studio {' '.join(train)} --out R; {signal.Signals(signum).name} ×{times}")
    result.extra_ok = steps_unique(target) and (times == 2 or last_checkpoint_loads(target))
    return result


def relative_data(w: Path, train: list[str]) -> Result:
    from studio.data import open_dataset
    from studio.data.course import save_course

    folder = w / "reldata"
    save_course(open_dataset(DATA), folder / "course")
    target = folder / "run"
    shutil.rmtree(target, ignore_errors=True)
    first = studio([*train[:2], "--data", "course", *train[4:], "--epochs", "1", "--out", "run"], folder)
    if first.rc != 0:
        return first
    result = studio(["eval", str(target)], w / "out")
    result.command = "studio train gan --data course (relative) …; cd elsewhere; studio eval RUN"
    return result


def tmpfs_prefix() -> list[str] | None:
    """A command prefix that runs its argument in a 1 MiB tmpfs mounted at $MNT (unprivileged
    user and mount namespaces: ``unshare -rm``), or None where the platform has none."""
    if sys.platform != "linux" or not shutil.which("unshare"):
        return None
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
                           capture_output=True)
    return ["unshare", "-rm", "sh", "-c"] if probe.returncode == 0 else None


def full_disk_check() -> str:
    """Shell: no *.tmp left, and the newest checkpoint still loads."""
    return ('test -z "$(find $MNT -name "*.tmp")" && "$PY" -c "import sys; from studio.train.run import RunDir; '
            'from studio.train.checkpoint import load_checkpoint; '
            'load_checkpoint(RunDir(sys.argv[1]).latest_checkpoint())" $MNT/r')


def in_tmpfs(size: str, argv: list[str], check: str) -> Result:
    """``studio argv`` with $MNT a tmpfs of ``size``, then the shell ``check`` there (its exit
    status is the data check), all in one mount namespace."""
    mnt = Path("/tmp") / f"bad-inputs-mnt-{os.getpid()}"
    mnt.mkdir(exist_ok=True)
    args = " ".join(f'"{a}"' if "$" not in a else a for a in argv)
    script = (f'MNT="{mnt}"; PY="{sys.executable}"; mount -t tmpfs -o size={size} tmpfs "$MNT" && cd "{REPO}" && '
              f'"$PY" -m studio {args} 2>"$MNT.err"; rc=$?; {check}; ok=$?; cat "$MNT.err" >&2; '
              f'rm -f "$MNT.err"; echo "$rc $ok"')
    done = subprocess.run(tmpfs_prefix() + [script], capture_output=True, text=True, env=env(), timeout=600)
    try:
        rc, ok = (int(v) for v in done.stdout.split()[-2:])
    except ValueError:
        rc, ok = 1, 1
    mnt.rmdir()
    return Result(rc, done.stderr, command=f"(in a {size} tmpfs) studio {' '.join(argv)}", extra_ok=ok == 0)


# --- main ---------------------------------------------------------------------------------------------
def run_case(case: Case, work: Path) -> Outcome:
    outcome = Outcome(case)
    if case.needs_tmpfs and tmpfs_prefix() is None:
        outcome.skipped = "no unprivileged mount namespace (unshare -rm) for a small tmpfs"
        return outcome
    if case.prepare:
        case.prepare(work)
    result = case.run(work) if case.run else studio(case.argv, work / "out")
    outcome.command = result.command
    outcome.traceback = "Traceback (most recent call last)" in result.stderr
    outcome.handled, outcome.detail = judge(case, result)
    outcome.handled = outcome.handled and not outcome.traceback
    if case.check is not None:
        outcome.data_ok = case.check(work)
    elif case.run is not None and case.expect != "error":
        outcome.data_ok = result.extra_ok
    elif case.needs_tmpfs:
        outcome.data_ok = result.extra_ok
    return outcome


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", default="/tmp/bad-inputs", help="scratch folder (reused: the base runs are kept)")
    p.add_argument("--only", help="run one category")
    p.add_argument("-v", "--verbose", action="store_true", help="print every case as it runs")
    args = p.parse_args(argv)
    work = Path(args.work)
    (work / "out").mkdir(parents=True, exist_ok=True)
    import torch

    torch.set_num_threads(1)
    runs = make_base(work)
    outcomes = []
    for case in cases(work, runs):
        if args.only and case.category != args.only:
            continue
        start = time.monotonic()
        try:
            outcome = run_case(case, work)
        except Exception as err:  # noqa: BLE001 - a fault of this script's case, reported as such
            outcome = Outcome(case, detail=f"the case itself failed: {type(err).__name__}: {err}")
        outcomes.append(outcome)
        if args.verbose:
            mark = "skip" if outcome.skipped else ("ok  " if outcome.handled and outcome.data_ok else "FAIL")
            print(f"{mark} {time.monotonic() - start:5.1f}s {case.category:10} {case.name:42} {outcome.detail[:110]}",
                  flush=True)
    print_table(outcomes)
    bad = [o for o in outcomes if not o.skipped and (o.traceback or not o.data_ok)]
    return 1 if bad else 0


def print_table(outcomes: list[Outcome]) -> None:
    categories = list(dict.fromkeys(o.case.category for o in outcomes))
    header = f"{'category':12} {'inputs tried':>12} {'handled':>8} {'tracebacks leaked':>18} {'data lost':>10} {'skipped':>8}"
    print("\n" + header + "\n" + "-" * len(header))
    for category in categories + ["all"]:
        rows = [o for o in outcomes if category in ("all", o.case.category)]
        ran = [o for o in rows if not o.skipped]
        values = [len(ran), sum(o.handled for o in ran), sum(o.traceback for o in ran),
                  sum(not o.data_ok for o in ran), len(rows) - len(ran)]
        if category == "all":
            print("-" * len(header))
        print(f"{category:12} {values[0]:>12} {values[1]:>8} {values[2]:>18} {values[3]:>10} {values[4]:>8}")
    problems = [o for o in outcomes if not o.skipped and not (o.handled and o.data_ok)]
    for o in problems:
        print(f"\nNOT HANDLED [{o.case.category}] {o.case.name}: {o.detail}\n  {o.command}")
    for o in outcomes:
        if o.skipped:
            print(f"\nSKIPPED [{o.case.category}] {o.case.name}: {o.skipped}")


if __name__ == "__main__":
    sys.exit(main())
