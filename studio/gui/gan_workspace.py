"""The GAN workspace: train the DCGAN and watch the two-player game live.

A TrainingPanel configured for studio.models.gan: the losses of both players, what D says
about real and generated sprites, and the gradient norms (an exploding ‖∇D‖ is the usual
sign of an unstable game).
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, QTimer

from studio.gui.context import StudioContext
from studio.gui.training import PlotSpec, TrainingPanel, WarningRule
from studio.session.pretrained import startup_run

GAN_PLOTS = [
    PlotSpec("Losses", keys=["d_loss", "g_loss"]),
    PlotSpec("Discriminator outputs: D(x) on real, D(G(z)) on generated", keys=["d_real", "d_fake"]),
    PlotSpec("Gradient norms", keys=["d_grad_norm", "g_grad_norm"]),
    # Signals the losses cannot give (studio/models/gan_signals.py), at each epoch end.
    PlotSpec("Sample diversity ÷ real diversity (1 = as varied as the data)", keys=["val/diversity_ratio"]),
    PlotSpec("MMD² to held-out sprites (lower = closer to real)", keys=["val/mmd"]),
]

GAN_WARNINGS: list[WarningRule] = [
    # 0.35: a DCGAN still learning sits at 0.4-0.7 (docs/history.md, gan_distance); collapse is lower.
    WarningRule("val/diversity_ratio", below=0.35,
                message="Mode collapse? The samples are far less varied than real sprites."),
]

INTRO = ("<h3 style='margin:0'>GAN</h3>"
         "<p style='color:gray'>A generator G turns random codes z into sprites; a discriminator D "
         "learns to tell them from real ones. Each step D improves, then G learns to fool the new D. "
         "The samples show the same codes z over training.</p>")


LAST_RUN_KEY = "models/gan"  # QSettings: the run shown last, shown again on launch


class GanWorkspace(TrainingPanel):
    def __init__(self, context: StudioContext, parent=None, auto_load: bool = True):
        # Samples every 50 steps (a grid within seconds of pressing Train), and at step 1.
        super().__init__(context, model="gan", plots=GAN_PLOTS, warnings=GAN_WARNINGS, intro=INTRO,
                         sample_caption="The same fixed codes z at step {step}: watch them sharpen.",
                         sample_every=50, parent=parent)
        self.trainingStarted.connect(lambda info: self._remember(info.get("run")))
        if auto_load:
            QTimer.singleShot(0, self._open_startup_run)

    def open_run(self, path, resume: bool = False, show_settings: bool = True) -> bool:
        opened = super().open_run(path, resume, show_settings)
        if opened:
            self._remember(path)
        return opened

    def _remember(self, path) -> None:
        if path:
            QSettings().setValue(LAST_RUN_KEY, str(path))

    def _open_startup_run(self) -> None:
        """On launch: the run shown last, else the newest GAN run, else the shipped one."""
        if self.monitor.phase == "idle" and self.run_path is None:
            run = startup_run("gan", QSettings().value(LAST_RUN_KEY, "", type=str),
                              self.session.runs_folder)
            if run is not None:
                self.open_run(run, show_settings=False)
