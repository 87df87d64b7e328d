"""Hooks for packaging/screenshot.py --setup: each drives the window into a state worth showing.

Add one per workspace: ``def NAME(window) -> None``; ``window.show_workspace(title)`` returns
the workspace widget.
"""


def dataset_selected(window, sprite: int = 5) -> None:
    """Dataset tab with one sprite selected, so the side panel shows its details."""
    window.show_workspace("Dataset").select(sprite)


def pixelrnn_completed(window, sprite: int = 2) -> None:
    """PixelRNN tab: held-out built-in sprite ``sprite`` 75 % masked and completed by the run in
    $PIXELRNN_RUN (default /tmp/pixelrnn-builtin, trained with
    `studio train pixelrnn --data builtin --config small --out /tmp/pixelrnn-builtin`)."""
    import os

    from PySide6.QtCore import QEventLoop, QTimer

    def wait_for(signal, timeout_s: int = 300) -> None:
        loop = QEventLoop()
        signal.connect(loop.quit)
        QTimer.singleShot(timeout_s * 1000, loop.quit)
        loop.exec()

    workspace = window.show_workspace("PixelRNN")
    workspace.load_run(os.environ.get("PIXELRNN_RUN", "/tmp/pixelrnn-builtin"))
    wait_for(workspace.modelChanged)
    workspace.browser.select(sprite)
    workspace.tools.actions["cover75"].trigger()
    workspace.start_completion()
    wait_for(workspace.completionEnded)

