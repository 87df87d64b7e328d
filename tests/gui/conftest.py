"""What every GUI test shares: each test ends with its background work done and its garbage
collected, so the next test's windows never share the event loop with the last one's workers
or have Python's collector free the last one's Qt objects while their threads still run."""

from __future__ import annotations

import gc

import pytest


@pytest.fixture(autouse=True)
def settled_workers():
    yield
    try:
        from PySide6.QtCore import QCoreApplication, QThreadPool
    except ImportError:
        return
    from studio.gui import workers

    for pool in (QThreadPool.globalInstance(), workers._TRAINING_POOL, workers._VIEW_POOL):
        if pool is not None:
            pool.waitForDone(60_000)
    app = QCoreApplication.instance()
    if app is not None:
        app.processEvents()  # the finished jobs deliver (or drop) their results
    gc.collect()


@pytest.fixture
def completion_workspace(qtbot):
    """``make(sprites)``: the completion canvas as a user sees it, shown at 1280×760 on
    ``sprites``, loading no run by itself (the test gives it its models)."""

    def make(sprites):
        from studio.gui.completion_workspace import CompletionWorkspace
        from studio.gui.context import StudioContext

        context = StudioContext()
        workspace = CompletionWorkspace(context, auto_load=False)
        workspace._context_ref = context  # keep the context alive as long as the widget
        qtbot.addWidget(workspace)
        workspace.resize(1280, 760)
        workspace.show()
        qtbot.waitExposed(workspace)
        context.set_dataset(sprites)
        return workspace

    return make
