"""Hooks for packaging/screenshot.py --setup: each drives the window into a state worth showing.

Add one per workspace: ``def NAME(window) -> None``; ``window.show_workspace(title)`` returns
the workspace widget.
"""


def dataset_selected(window, sprite: int = 5) -> None:
    """Dataset tab with one sprite selected, so the side panel shows its details."""
    window.show_workspace("Dataset").select(sprite)


def _wait_for(*signals, timeout_s: int = 300, start=None) -> None:
    """Run the event loop until one of ``signals`` fires (or ``timeout_s`` passes); ``start``,
    if given, is called once they are connected (so a signal it causes is not missed)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    for signal in signals:
        signal.connect(loop.quit)
    QTimer.singleShot(timeout_s * 1000, loop.quit)
    if start is not None:
        start()
    loop.exec()


def _pause(ms: int) -> None:
    """Run the event loop for ``ms`` milliseconds (a real event loop: training threads need the GIL too)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _screenshot_run(variable: str, model: str, setup: str):
    """The run a setup shows: $``variable``, else the newest ``model`` run in the runs folder."""
    import os

    from studio.session.pretrained import newest_run
    from studio.train.run import default_runs_dir

    run = os.environ.get(variable) or newest_run(default_runs_dir(), (model,))
    if run is None:
        raise SystemExit(f"{setup}: no {model.upper()} run; set {variable}=RUN_DIR")
    return run


def pixelrnn_compared(window, sprite: int = 3) -> None:
    """PixelRNN tab with the shipped models (a new HOME: no runs): sprite ``sprite`` covered
    50 %, completed by the chosen PixelRNN, then Compare all models: the chooser's five models'
    best variants in one row, with their scores and times."""
    workspace = _shipped_sprite_covered(window, sprite)
    workspace.start_completion()
    _wait_for(workspace.completionEnded)
    workspace.start_comparison()
    _wait_for(workspace.comparisonEnded)


def _wait_until(ready, timeout_s: int | None = 120, every_ms: int = 100) -> None:
    """Run the event loop, ``every_ms`` at a time, until ``ready()`` or the timeout (None: none)."""
    import time

    end = None if timeout_s is None else time.monotonic() + timeout_s
    while not ready() and (end is None or time.monotonic() < end):
        _pause(every_ms)


def _wait_for_shipped(workspace, timeout_s: int = 120) -> None:
    """Run the event loop until the canvas's chooser lists every shipped model of its palette."""
    from studio.session.pretrained import shipped_for

    models = workspace.models
    expected = len(shipped_for(models.colours, models.shape)) if models.shape is not None else 1
    _wait_until(lambda: workspace.model_box.chooser.count() >= expected, timeout_s)


def _shipped_sprite_covered(window, sprite: int):
    """The PixelRNN tab once its chooser has the shipped models, sprite ``sprite`` covered 50 %."""
    workspace = window.show_workspace("PixelRNN")
    _wait_for_shipped(workspace)
    workspace.browser.select(sprite)
    workspace.tools.actions["cover50"].trigger()
    return workspace


def pixelrnn_race(window, sprite: int = 3) -> None:
    """PixelRNN tab with the shipped models: sprite ``sprite`` covered 50 %, then Race: the
    PixelRNN's raster order against diffusion's confidence order, replayed to the end, both times shown."""
    workspace = _shipped_sprite_covered(window, sprite)
    workspace.start_race()
    _wait_for(workspace.raceEnded)
    _wait_for(workspace.race_panel.played)


def diffusion_timeline(window, step: int = 6) -> None:
    """Diffusion tab, the shipped model's samples at K = 16, the timeline at ``step``."""
    workspace = window.show_workspace("Diffusion")
    if workspace.view.drawn is None:
        _wait_for(workspace.drawn)
    workspace.timeline.setValue(step)


def pixelrnn_completed(window, sprite: int | None = None) -> None:
    """PixelRNN tab: sprite ``sprite`` ($PIXELRNN_SPRITE, default 2) masked with the tool
    $PIXELRNN_MASK (cover50 or cover75, the default) and completed by the run in $PIXELRNN_RUN
    (default /tmp/pixelrnn-builtin). The README's shot: the course data, held-out sprite 103,
    cover50, a `2d-copy` run (`studio train pixelrnn --config 2d-copy --epochs 120`)."""
    import os

    workspace = window.show_workspace("PixelRNN")
    workspace.load_run(os.environ.get("PIXELRNN_RUN", "/tmp/pixelrnn-builtin"))
    _wait_for(workspace.modelChanged)
    workspace.browser.select(int(os.environ.get("PIXELRNN_SPRITE", 2)) if sprite is None else sprite)
    workspace.tools.actions[os.environ.get("PIXELRNN_MASK", "cover75")].trigger()
    workspace.start_completion()
    _wait_for(workspace.completionEnded)


def gan_training(window, seconds: float | None = None) -> None:
    """GAN tab while training live for a while ($GAN_SHOT_SECONDS, default 150) on the open
    (built-in) dataset, default model, batch 32."""
    import os

    seconds = seconds or float(os.environ.get("GAN_SHOT_SECONDS", 150))
    panel = window.show_workspace("GAN")
    panel.epochs_box.setValue(200)  # still running at the grab: progress, rate and ETA show
    panel.batch_box.setValue(32)
    panel.settings_overrides = {"sample_every": 20}  # fresh samples in the shot
    panel.start_training()
    _pause(int(seconds * 1000))


def vae_explorer(window, sprite: int = 12) -> None:
    """VAE tab on a trained run ($STUDIO_SCREENSHOT_RUN, else the newest VAE run in the runs
    folder), the other dimensions fixed to a sprite's code, the sliders on a grid cell."""
    ws = window.show_workspace("VAE")
    run = _screenshot_run("STUDIO_SCREENSHOT_RUN", "vae", "vae_explorer")
    _wait_for(ws.runLoaded, ws.runFailed, timeout_s=120, start=lambda: ws.load_run(run))
    ws.sprite_spin.setValue(sprite)
    ws.fix_box.setCurrentText("Dataset sprite")
    ws.set_values(1.5, -0.75)


def toygan_trained(window, steps: int = 1500) -> None:
    """Toy GAN tab after ``steps`` training steps on two gaussians: G's density on the data."""
    ws = window.show_workspace("Toy GAN")
    ws.speed_box.setValue(100)
    ws.set_playing(True)
    _wait_until(lambda: ws.snapshot.step >= steps, timeout_s=None, every_ms=200)
    ws.set_playing(False)


def gan_code_space(window) -> None:
    """GAN code space tab on a trained run ($STUDIO_SCREENSHOT_GAN_RUN, else the newest GAN run
    in the runs folder), half-way between two codes, with the memorisation check filled in."""
    ws = window.show_workspace("GAN code space")
    run = _screenshot_run("STUDIO_SCREENSHOT_GAN_RUN", "gan", "gan_code_space")
    _wait_for(ws.framesReady, timeout_s=120, start=lambda: ws.open_run(run))
    ws.slider.setValue(45)
    ws.check_copies()


def first_launch(window, timeout_s: int = 120) -> None:
    """The shown workspace as a new user finds it (no runs, no settings): wait until it has
    its shipped model; PixelRNN then completes a sprite covered 75 %, as a first click would."""
    from studio.session.pretrained import run_fits

    workspace = window.tabs.currentWidget()
    title = window.tabs.tabText(window.tabs.currentIndex())

    data = window.context.dataset  # the models of its palette: the course's Pokémon get theirs
    ready = {"PixelRNN": lambda: workspace.task is not None and workspace.models.problem() is None,
             "VAE": lambda: workspace.explorer is not None and workspace.current_image() is not None
             and not workspace.drawing() and run_fits(workspace.run_path, data),
             "GAN code space": lambda: workspace.line_frames is not None and run_fits(workspace.gan.path, data),
             "GAN": lambda: workspace.points("d_loss") > 0}.get(title, lambda: True)
    _wait_until(ready, timeout_s)
    if title == "PixelRNN":
        workspace.tools.actions["cover75"].trigger()
        _wait_for(workspace.completionEnded, timeout_s=timeout_s, start=workspace.start_completion)


def training_form_advanced(window) -> None:
    """The shown workspace's training form with its Advanced settings unfolded."""
    from PySide6.QtWidgets import QApplication

    panel = window.tabs.currentWidget()
    panel = getattr(panel, "training", panel)
    panel.advanced.expand(animate=False)
    QApplication.processEvents()


def real_or_fake_revealed(window) -> None:
    """Real or fake? against the shipped GAN: the first round, three of its fakes and one real
    sprite marked fake, revealed: the answers (six right, two wrong), the nearest training
    sprite under each fake, the score beside the classifier's."""
    from PySide6.QtCore import Qt

    workspace = window.show_workspace("Real or fake?")
    index = workspace.model_box.findText("the shipped GAN", flags=Qt.MatchFlag.MatchStartsWith)
    if index >= 0 and workspace.model_box.currentIndex() != index:
        workspace.model_box.setCurrentIndex(index)
        workspace.open_model()
    if workspace.quiz is None or workspace.quiz.round is None:
        _wait_for(workspace.roundShown)
    fake = workspace.quiz.round.fake
    for i in [i for i in range(len(fake)) if fake[i]][:3] + [i for i in range(len(fake)) if not fake[i]][:1]:
        workspace.toggle(i)
    workspace.reveal()


def _thoughts(window, model: str, sprite: int, row: int, col: int, surprise: bool):
    """PixelRNN tab, shipped ``model`` chosen (its title starts so), sprite ``sprite``, the
    pixel (row, col) hovered: what the model thinks there; with ``surprise`` the map too."""
    workspace = window.show_workspace("PixelRNN")
    while workspace.models.current is None or len(workspace.models.models) < 4:
        _wait_for(workspace.modelChanged, timeout_s=60)
    titles = [m.title for m in workspace.models.models]
    index = next(i for i, t in enumerate(titles) if t.startswith(model))
    workspace.browser.select(sprite)
    workspace.load_dataset_sprite(sprite)
    if workspace.models.index != index:
        workspace.models.choose(index)
    if workspace.thoughts.inspector.inspection is None or workspace.thoughts.latest_busy():
        _wait_for(workspace.thoughts.inspected, timeout_s=60)
    workspace.thoughts_box.surprise_check.setChecked(surprise)
    workspace.thoughts.hover(row, col)


def thoughts_surprise(window) -> None:
    """The shipped PixelRNN's surprise map of sprite 30, the first mouth pixel hovered."""
    _thoughts(window, "PixelRNN", 30, 11, 9, surprise=True)


def thoughts_attention(window) -> None:
    """The shipped transformer on sprite 30, a pixel of the mouth row hovered: its attention."""
    _thoughts(window, "Transformer", 30, 11, 9, surprise=False)


def toygan_ring(window, steps: int = 1200) -> None:
    """Toy GAN tab on the ring of 8 Gaussians after ``steps`` steps (non-saturating loss), the
    arrows on: D's heat map under the data and G's points."""
    ws = window.show_workspace("Toy GAN")
    ws.mixture_box.setCurrentText("ring")
    ws.arrows_check.setChecked(True)
    ws.speed_box.setValue(50)
    ws.set_playing(True)
    _wait_until(lambda: ws.snapshot.step >= steps, timeout_s=None, every_ms=200)
    ws.set_playing(False)
    _wait_until(lambda: not ws.busy(), timeout_s=None)


def runs_compared(window) -> None:
    """Runs tab with the shipped models' folder added: the shipped PixelRNN and transformer
    (and diffusion where shipped) selected, their loss on one plot, smoothed 0.8 on a log scale."""
    from studio.session.pretrained import shipped_runs

    ws = window.show_workspace("Runs")
    ws.runs.add_folder(shipped_runs()[0].parent)
    ws.select("pixelrnn", "transformer", "diffusion")
    ws.metric_box.setCurrentText("loss")
    ws.plot_controls.set_smoothing(0.8)
    ws.plot_controls.log_check.setChecked(True)
