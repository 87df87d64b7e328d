"""Text from the file system, made safe to show: run names, dataset names, paths.

A folder name may hold a newline or a terminal escape sequence (``ESC [2J`` clears the
screen); printed raw it breaks a table's rows or takes over the user's terminal. Everything
the CLI prints and the GUI lists goes through :func:`printable`, which writes each character
that is not printable as its Python escape (``\\n``, ``\\x1b``, ``\\u202e``), so the name is
still recognisable and can be typed back.
"""

from __future__ import annotations


def printable(text) -> str:
    """``str(text)`` with every control and other non-printable character escaped (a space stays)."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if ch in "\n\t\r":
        return {"\n": "\\n", "\t": "\\t", "\r": "\\r"}[ch]
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
