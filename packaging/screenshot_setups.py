"""Hooks for packaging/screenshot.py --setup: each drives the window into a state worth showing.

Add one per workspace: ``def NAME(window) -> None``; ``window.show_workspace(title)`` returns
the workspace widget.
"""


def dataset_selected(window, sprite: int = 5) -> None:
    """Dataset tab with one sprite selected, so the side panel shows its details."""
    window.show_workspace("Dataset").select(sprite)
