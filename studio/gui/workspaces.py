"""The workspaces the main window shows, in tab order: the one place to plug in a new one.

Each entry is ``(title, "module:ClassName")``. The class is a QWidget constructed as
``ClassName(context)`` with the shared :class:`studio.gui.context.StudioContext`; it reads
``context.dataset`` and follows ``context.datasetChanged``. To add a workspace, write its
module under studio/gui and append one line here. Only list modules that exist: an entry
that fails to import is a bug, and the app reports it instead of hiding the tab.
"""

from __future__ import annotations

import importlib

WORKSPACES: list[tuple[str, str]] = [
    ("Dataset", "studio.gui.dataset_workspace:DatasetWorkspace"),
    ("GAN", "studio.gui.gan_workspace:GanWorkspace"),
    ("PixelRNN", "studio.gui.completion_workspace:CompletionWorkspace"),
    ("VAE", "studio.gui.vae_workspace:VaeWorkspace"),
    ("GAN code space", "studio.gui.gan_explorer:GanExplorerWorkspace"),
    ("Toy GAN", "studio.gui.toygan_workspace:ToyGanWorkspace"),
    ("Runs", "studio.gui.runs_workspace:RunsWorkspace"),
]


#: Which workspace shows a run of each model (File → Open run, `studio RUN_DIR`); its widget
#: has ``open_run(path)``. An autoregressive model (same Task interface as PixelRNN:
#: ``complete``-able) goes to the PixelRNN workspace, which completes sprites with it.
RUN_WORKSPACES: dict[str, str] = {
    "gan": "GAN",
    "pixelrnn": "PixelRNN",
    "transformer": "PixelRNN",
    "vae": "VAE",
}

#: The models the PixelRNN workspace completes with (every autoregressive one above).
AUTOREGRESSIVE = tuple(model for model, title in RUN_WORKSPACES.items() if title == "PixelRNN")


def load_workspace(spec: str) -> type:
    """``"package.module:ClassName"`` → the class."""
    module_name, _, class_name = spec.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def workspace_titles() -> list[str]:
    return [title for title, _ in WORKSPACES]
