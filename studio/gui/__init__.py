"""The desktop app (PySide6 + pyqtgraph): thin widgets over studio.data / models / train."""

import sys

if sys.version_info < (3, 12) and not hasattr(sys, "gettotalrefcount"):  # release builds only
    # PySide6 6.12 on CPython 3.11 drops a reference to None on each call of a void Qt method
    # (QLabel.setText, QWidget.setEnabled, ...): in a long session None's count reaches zero and
    # the interpreter aborts ("deallocating None"). CPython 3.12 made None, True and False
    # immortal (PEP 683); give them a count no session can exhaust, to the same effect.
    import ctypes

    for _singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(_singleton)).value += 1 << 40
    del _singleton
