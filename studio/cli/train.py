"""Headless training and run commands: train, runs list, eval, sample."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from studio.cli.args import (MAX_SCORE_SAMPLES, MAX_SPRITES, MAX_STEPS, SCALE, SEED, add_checkpoint, add_diffusion_sampling,
                             int_range, positive_float, positive_int, sprite_output)
from studio.session import MODEL_NAMES
from studio.session.monitor import metrics_of
from studio.session.runs import MAX_RUN_NAME, run_model


def register(subparsers) -> None:
    train = subparsers.add_parser("train", help="train a model headless (also under torchrun)")
    train.add_argument("model", choices=(*MODEL_NAMES, "all"),
                       help="a family, or all: every family's quick preset on --data, one after another "
                            "(quick models for a dataset no model fits; --cpu-minutes each)")
    train.add_argument("--data", default="builtin", help="course folder, image folder or 'builtin'")
    train.add_argument("--config", help="a named config (e.g. lecture) or a JSON/TOML file")
    train.add_argument("--epochs", type=positive_int(max=10**7),
                       help="default: the model's or its preset's (GAN 300, PixelRNN 120, transformer 50, VAE 150; "
                            "diffusion stops at its CPU budget)")
    train.add_argument("--steps", type=positive_int(max=MAX_STEPS), help="stop after this many steps (a checkpoint is kept)")
    train.add_argument("--cpu-minutes", type=positive_float(max=10**7),
                       help="stop once training has used this many CPU-minutes (a checkpoint is kept)")
    train.add_argument("--batch-size", type=positive_int(max=65536))
    train.add_argument("--out", help="run folder, new or empty (default: a new MODEL-TIMESTAMP folder in "
                                     "the studio's runs folder, where the app lists it: $STUDIO_RUNS_DIR, "
                                     "else the user data folder); to continue a run, --resume it")
    train.add_argument("--device", help="cuda, cuda:1, mps or cpu (default: the best available)")
    train.add_argument("--seed", type=SEED)
    train.add_argument("--compile", action="store_true", help="torch.compile the networks")
    train.add_argument("--tensorboard", action="store_true", help="also write TensorBoard event files")
    train.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its latest checkpoint")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(func=cmd_train)

    runs = subparsers.add_parser("runs", help="list, rename and delete runs")
    runs_sub = runs.add_subparsers(dest="runs_command", required=True)
    listing = runs_sub.add_parser("list", help="runs under a folder, newest first")
    listing.add_argument("dir", nargs="?", help="default: the studio's runs folder ($STUDIO_RUNS_DIR, "
                                                "else the user data folder), as the app's Runs view")
    listing.set_defaults(func=cmd_runs_list)
    in_dir = dict(help="the runs folder (default: the studio's runs folder, as the app's Runs view)")
    delete = runs_sub.add_parser("delete", help="move runs into their runs folder's .trash (`runs undo` brings "
                                                "the last one back)")
    delete.add_argument("run", nargs="+", help="a run folder inside the runs folder, or its name there")
    delete.add_argument("--dir", **in_dir)
    delete.set_defaults(func=cmd_runs_delete)
    rename = runs_sub.add_parser("rename", help="rename a run folder in its runs folder")
    rename.add_argument("run", help="a run folder inside the runs folder, or its name there")
    rename.add_argument("name", help=f"the new name: at most {MAX_RUN_NAME} characters, no path separator "
                                     "or control character, not starting with a dot")
    rename.add_argument("--dir", **in_dir)
    rename.set_defaults(func=cmd_runs_rename)
    undo = runs_sub.add_parser("undo", help="bring the last run deleted from the runs folder back")
    undo.add_argument("--dir", **in_dir)
    undo.set_defaults(func=cmd_runs_undo)

    evaluate = subparsers.add_parser("eval", help="held-out metrics of a run, as one JSON object")
    evaluate.add_argument("run_dir")
    add_checkpoint(evaluate)
    evaluate.add_argument("-n", type=int_range(0, MAX_SCORE_SAMPLES), default=512,
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
    add_checkpoint(sample)
    sample.set_defaults(func=cmd_sample)


class _ProgressBar:
    """A tqdm bar over the session's monitor: its progress, and the latest losses beside it."""

    def __init__(self, monitor):
        self.bar, self.last = None, {}
        monitor.run_started.connect(self.open)
        monitor.record_added.connect(self.on_record)
        monitor.progress_changed.connect(self.on_progress)
        monitor.run_finished.connect(lambda _: self.close())
        monitor.run_failed.connect(lambda _: self.close())

    def open(self, info: dict) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=info["total"], initial=info["step"], unit="step", dynamic_ncols=True,
                        file=sys.stderr)

    def on_record(self, record: dict) -> None:
        if not any(k.startswith("val/") for k in record):
            self.last = metrics_of(record)

    def on_progress(self, progress) -> None:
        if self.bar is None or progress.status != "training":
            return
        postfix = {k: f"{v:.3g}" for k, v in list(self.last.items())[:4]}
        if progress.limit == "cpu":
            postfix["left"] = progress.left_text().split(" · ")[0]
        try:
            self.bar.update(progress.step - self.bar.n)
            self.bar.set_postfix(postfix, refresh=False)
        except (OSError, ValueError):  # the terminal went away (SIGHUP): train on, without a bar
            self.bar = None

    def close(self) -> None:
        if self.bar is not None:
            try:
                self.bar.close()
            except (OSError, ValueError):
                pass
            self.bar = None


def cmd_train(args) -> int:
    """The same TrainingSession the app's Train button drives: the run goes to the same runs
    folder (``--out`` to choose another), trained here, in the foreground."""
    from studio.errors import ConfigError
    from studio.session.training import SignalStop, TrainingSession

    if args.model == "all":
        return _train_all(args)
    session = TrainingSession(args.model)
    main = _is_main_process()
    if main and not args.quiet:
        _ProgressBar(session.monitor)
    session.monitor.run_started.connect(lambda info: _say_started(session, info) if main else None)
    overrides = dict(epochs=args.epochs, batch_size=args.batch_size, device=args.device, seed=args.seed,
                     max_steps=args.steps, cpu_budget=args.cpu_minutes * 60 if args.cpu_minutes else None,
                     compile=args.compile or None, tensorboard=args.tensorboard or None)
    if args.resume and args.out and Path(args.out).resolve() != Path(args.resume).resolve():
        raise ConfigError("--out and --resume name different folders", args.out,
                          hint="--resume continues the run in its own folder; drop --out")
    if args.resume and args.config:
        raise ConfigError("a resumed run keeps its config", args.config, hint="drop --config")
    # Ctrl-C, SIGTERM (a cluster's pre-emption, docker stop, timeout) and SIGHUP (a closed
    # terminal) all stop after the step under way with a checkpoint, from the start: a signal
    # while the data loads stops before the first step. Under torchrun every rank does so and
    # rank 0 alone says it.
    with SignalStop(message=main):
        if args.resume:
            saved_model = run_model(args.resume)
            if saved_model != args.model:
                raise ConfigError(f"a {saved_model} run, not {args.model}", args.resume,
                                  hint=f"studio train {saved_model} --resume {args.resume}")
            session.resume(args.resume, **overrides)
        else:
            from studio.data import open_dataset

            session.train(open_dataset(args.data), session.config(args.config),
                          session.settings(args.config, **overrides), out=args.out)
    if main:
        summary = session.summary
        _say(json.dumps({k: summary[k] for k in ("status", "step", "total", "run", "checkpoint")}), sys.stdout)
    return 0


def _train_all(args) -> int:
    """`studio train all`: the app's Train quick models, in the foreground."""
    from studio.data import open_dataset
    from studio.errors import ConfigError
    from studio.session.quick import QUICK_ORDER, QuickModels
    from studio.session.training import SignalStop, TrainingSession

    given = [flag for flag, value in (("--resume", args.resume), ("--config", args.config), ("--out", args.out),
                                      ("--steps", args.steps), ("--epochs", args.epochs)) if value]
    if given:
        raise ConfigError(f"{given[0]} is for one model; `train all` trains each family's quick preset "
                          "into the runs folder", hint="drop it, or name one model")
    sessions = {m: TrainingSession(m) for m in QUICK_ORDER}
    quick = QuickModels(sessions, cpu_minutes=args.cpu_minutes)
    for model, session in sessions.items():
        if not args.quiet:
            _ProgressBar(session.monitor)
        session.monitor.run_started.connect(lambda info, s=session: _say_started(s, info))
    quick.model_ended.connect(lambda model, how: _say(f"studio: {model}: {how}"))
    _say(f"studio: training quick models: {quick.plan()}")
    with SignalStop(on_first=lambda signum: quick.stop()):
        quick.start(open_dataset(args.data))
    _say(json.dumps([{"model": m, "status": how} for m, how in quick.results]), sys.stdout)
    return 0 if all(not how.startswith("failed") for _, how in quick.results) else 1


def _is_main_process() -> bool:
    """Rank 0 under torchrun (the one that writes the run and talks), or a plain process."""
    import os

    return os.environ.get("RANK", "0") == "0"


def _say_started(session, info: dict) -> None:
    from studio.session.display import printable

    for notice in info.get("notices", []):
        _say(f"studio: note: {printable(notice)}")
    world = info["config"].get("world_size", 1)
    where = f"{printable(info['run'])} ({info['out_kind']})" if info["run"] else "(not saved)"
    _say(f"studio: training {session.model} on {info['device']} ({world} process(es)) -> {where}")


def _say(text: str, stream=None) -> None:
    """A line on stderr (or ``stream``), if the terminal is still there: after SIGHUP it may be
    gone, and the run has been saved by then."""
    try:
        print(text, file=stream or sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def cmd_runs_list(args) -> int:
    """The runs list the app's Runs view shows (studio.session.runs), as a table. Names,
    datasets and problems are printed with control characters escaped (a run folder's name
    may hold a newline or a terminal escape)."""
    from studio.session.display import printable as p
    from studio.session.runs import RunsList

    runs = RunsList([args.dir] if args.dir else None).refresh()
    if not runs:
        print(f"no runs under {p(runs.folders[0])}")
        return 0
    print(f"{'run':32} {'model':9} {'dataset':12} {'config':10} {'steps':>11} {'best held-out':28} {'date':16}")
    for run in runs:
        row = run.as_row()
        if run.problem and run.model == "?":  # unreadable: say why, list the rest
            print(f"{p(run.name):32} BROKEN: {p(run.problem)}")
            continue
        steps = f"{row['steps']}/{row['total']}"
        note = f"  ({p(run.problem)})" if run.problem else f"  (training now: {run.writer})" if run.live else ""
        print(f"{p(run.name):32} {p(row['model']):9} {p(row['dataset'])[:12]:12} {p(row['config'])[:10]:10} "
              f"{steps:>11} {row['best']:28} {row['date']:16}{note}")
    return 0


def _runs_list(args):
    """The RunsList the run actions act in: --dir and the app's runs folder."""
    from studio.session.runs import RunsList, default_runs_dir

    app_folder = default_runs_dir()
    folders = [Path(args.dir)] if args.dir else [app_folder]
    if app_folder.is_dir() and not (folders[0].is_dir() and folders[0].resolve() == app_folder.resolve()):
        folders.append(app_folder)
    return RunsList(folders)


def _find_run(runs, run: str) -> Path:
    """``run`` as given, or, a bare name that is not a path here, the run of that name in a runs folder."""
    path = Path(run)
    if not path.exists() and len(path.parts) == 1:
        for folder in runs.folders:
            if (folder / run).exists():
                return folder / run
    return path


def cmd_runs_delete(args) -> int:
    from studio.session.display import printable

    runs = _runs_list(args)
    paths = [_find_run(runs, run) for run in args.run]
    for path in paths:  # every one is checked before any is moved
        runs.run_folder(path)
    for path in paths:
        where = runs.delete(path)
        print(f"moved {printable(path)} to the trash: {printable(where)}")
    print("`studio runs undo` brings the last one back")
    return 0


def cmd_runs_rename(args) -> int:
    from studio.session.display import printable

    runs = _runs_list(args)
    path = _find_run(runs, args.run)
    print(f"renamed {printable(path)} to {printable(runs.rename(path, args.name))}")
    return 0


def cmd_runs_undo(args) -> int:
    from studio.session.display import printable

    from studio.session.runs import RunsList

    restored = RunsList([Path(args.dir)] if args.dir else None).undo_delete()  # this folder's trash only: no surprise from elsewhere
    print(f"restored {printable(restored)}" if restored else "the trash holds no run to bring back")
    return 0


def cmd_eval(args) -> int:
    from studio.session.trained import evaluate

    print(json.dumps(evaluate(args.run_dir, args.checkpoint, args.device, n=args.n)))
    return 0


def cmd_sample(args) -> int:
    from studio.session.trained import draw, open_run, write_sprites

    run = open_run(args.run_dir, args.checkpoint, args.device)
    sprites = draw(run, args.n, seed=args.seed, temperature=args.temperature, top_k=args.top_k,
                   steps=args.steps, schedule=args.schedule, corrector=args.corrector)
    print(f"wrote {write_sprites(sprites, run.palette, args.output, scale=args.scale)}")
    return 0
