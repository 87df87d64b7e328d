"""The desktop app (PySide6 + pyqtgraph): thin widgets over studio.data / models / train."""
