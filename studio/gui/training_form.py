"""A settings form generated from a model's Config dataclass, with its presets.

    form = ConfigForm(gan.Config, gan.CONFIGS, choices={"loss": gan.LOSSES},
                      essentials=("z_dim", "width"), labels=forms.label)
    form.config()          # -> gan.Config (ValueError with the field's message if invalid)
    form.set_config(cfg)   # fill the editors (e.g. from a run's config.json)
    form.advanced          # a widget with the other fields: its owner folds it under "Advanced"

ints → QSpinBox, floats → QDoubleSpinBox (scientific for small ones such as learning rates),
bools → QCheckBox, str fields with known choices → QComboBox (choices given, or the model
module's upper-case plural, e.g. ``loss`` → ``gan.LOSSES``), tuples of numbers → a row of those.
Each field's tooltip is its comment in the dataclass source.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import json
import math
import re
import sys
import typing

from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout,
                               QLineEdit, QSpinBox, QWidget)

CUSTOM = "custom"


class ScientificSpinBox(QDoubleSpinBox):
    """A float shown as ``2e-04``; the arrows halve or double it (learning rates, decays)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDecimals(12)
        self.setRange(0.0, 1e6)

    def textFromValue(self, value: float) -> str:
        return f"{value:.3g}"

    def valueFromText(self, text: str) -> float:
        return float(text)

    def validate(self, text: str, pos: int):
        try:
            float(text)
            return QValidator.State.Acceptable, text, pos
        except ValueError:
            ok = re.fullmatch(r"[0-9.]*(e-?[0-9]*)?", text.strip().lower())
            return (QValidator.State.Intermediate if ok else QValidator.State.Invalid), text, pos

    def stepBy(self, steps: int) -> None:
        value = self.value() or 1e-4
        self.setValue(value * 2.0 ** steps)


def _float_editor(default: float) -> QDoubleSpinBox:
    if default != 0 and abs(default) < 0.01:
        return ScientificSpinBox()
    box = QDoubleSpinBox()
    box.setDecimals(4 if abs(default) < 1 else 2)
    if 0 <= default < 1:  # a fraction: decays, betas, dropout
        box.setRange(0.0, 1.0)
        box.setSingleStep(0.01)
    else:
        box.setRange(-1e4 if default < 0 else 0.0, 1e4)
        box.setSingleStep(0.5)
    return box


def _module_choices(module, name: str):
    """The model module's list of allowed values for a field: ``loss`` → ``LOSSES``."""
    for plural in (name.upper() + "S", name.upper() + "ES"):
        values = getattr(module, plural, None)
        if isinstance(values, dict):  # e.g. pixelrnn.CONTEXTS: its names are the choices
            values = tuple(values)
        if isinstance(values, (tuple, list)) and values and all(isinstance(v, str) for v in values):
            return values
    return None


def _field_comments(cls) -> dict[str, str]:
    """``name: type = default  # comment`` lines of the dataclass source → {name: comment}."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    found = re.findall(r"^\s+(\w+)\s*:[^#\n]*#\s*(.+)$", source, re.M)
    return {name: comment.strip() for name, comment in found}


class ConfigForm(QWidget):
    """Editors for every field of a Config dataclass, plus a preset combo (``preset_box``)."""

    #: emitted whenever any field changes (by the user or a preset)
    changed = Signal()

    def __init__(self, config_cls, presets: dict | None = None, choices: dict | None = None,
                 tips: dict | None = None, essentials=(), labels=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.config_cls = config_cls
        self.presets = dict(presets or {})
        module = sys.modules.get(config_cls.__module__)
        hints = typing.get_type_hints(config_cls)
        comments, tips = _field_comments(config_cls), tips or {}  # tips: a learner's words, first
        defaults = next(iter(self.presets.values()), None) or config_cls()
        self._filling = False

        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.preset_box = QComboBox()
        self.preset_box.addItems(list(self.presets))
        self.preset_box.setToolTip("Named settings that work; editing a field makes it 'custom'")
        self.preset_box.currentTextChanged.connect(self._on_preset)
        if self.presets:
            layout.addRow("Preset", self.preset_box)

        # The essentials here, the rest in ``advanced`` (all here when no essentials are named).
        self.advanced = QWidget()
        advanced = QFormLayout(self.advanced)
        advanced.setContentsMargins(0, 0, 0, 0)
        advanced.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        label = labels or (lambda name: name.replace("_", " "))
        self.editors: dict[str, QWidget] = {}
        for f in dataclasses.fields(config_cls):
            options = (choices or {}).get(f.name) or _module_choices(module, f.name)
            editor = self._make_editor(hints[f.name], getattr(defaults, f.name), options)
            editor.setToolTip("\n\n".join(t for t in (tips.get(f.name), comments.get(f.name)) if t))
            self.editors[f.name] = editor
            (layout if not essentials or f.name in essentials else advanced).addRow(label(f.name), editor)
        self.set_config(defaults)

    # --- API -------------------------------------------------------------------------------
    def config(self):
        """The Config the editors describe; ValueError (the dataclass's own message) if invalid."""
        values = {name: self._read(editor) for name, editor in self.editors.items()}
        return self.config_cls(**values)

    def set_config(self, config) -> None:
        self._filling = True
        try:
            for name, editor in self.editors.items():
                self._write(editor, getattr(config, name))
        finally:
            self._filling = False
        self._sync_preset()
        self.changed.emit()

    def preset(self) -> str:
        """The preset the fields match, or "custom"."""
        return self.preset_box.currentText()

    def set_editable(self, editable: bool) -> None:
        self.preset_box.setEnabled(editable)
        for editor in self.editors.values():
            editor.setEnabled(editable)

    # --- editors ---------------------------------------------------------------------------------
    def _make_editor(self, hint, default, options) -> QWidget:
        if hint is bool:
            editor = QCheckBox()
            editor.toggled.connect(self._on_edit)
        elif hint is int:
            editor = QSpinBox()
            editor.setRange(0 if default >= 0 else -10**6, 10**6)
            editor.valueChanged.connect(self._on_edit)
        elif hint is float:
            editor = _float_editor(default)
            editor.valueChanged.connect(self._on_edit)
        elif typing.get_origin(hint) is tuple:
            editor = QWidget()
            row = QHBoxLayout(editor)
            row.setContentsMargins(0, 0, 0, 0)
            editor.parts = [self._make_editor(arg, value, None)
                            for arg, value in zip(typing.get_args(hint), default)]
            for part in editor.parts:
                row.addWidget(part)
        elif options:
            editor = QComboBox()
            editor.addItems([str(o) for o in options])
            editor.currentTextChanged.connect(self._on_edit)
        else:
            editor = QLineEdit()
            editor.textEdited.connect(self._on_edit)
        return editor

    def _read(self, editor: QWidget):
        if hasattr(editor, "parts"):
            return tuple(self._read(part) for part in editor.parts)
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, (QSpinBox, QDoubleSpinBox)):
            return editor.value()
        if isinstance(editor, QComboBox):
            return editor.currentText()
        return editor.text()

    def _write(self, editor: QWidget, value) -> None:
        if hasattr(editor, "parts"):
            for part, v in zip(editor.parts, value):
                self._write(part, v)
        elif isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, (QSpinBox, QDoubleSpinBox)):
            editor.setValue(value)
        elif isinstance(editor, QComboBox):
            editor.setCurrentText(str(value))
        else:
            editor.setText(str(value))

    # --- presets ------------------------------------------------------------------------------------
    def _on_preset(self, name: str) -> None:
        if not self._filling and name in self.presets:
            self.set_config(self.presets[name])

    def _on_edit(self, *_):
        if not self._filling:
            self._sync_preset()
            self.changed.emit()

    def _sync_preset(self) -> None:
        try:
            current = self.config()
        except (ValueError, TypeError):
            current = None
        match = next((n for n, c in self.presets.items() if _same(c, current)), CUSTOM)
        self._filling = True
        if match == CUSTOM and self.preset_box.findText(CUSTOM) < 0:
            self.preset_box.addItem(CUSTOM)
        self.preset_box.setCurrentText(match)
        if match != CUSTOM and self.preset_box.findText(CUSTOM) >= 0:
            self.preset_box.removeItem(self.preset_box.findText(CUSTOM))
        self._filling = False


def _same(a, b) -> bool:
    if a is None or b is None:
        return False
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, float) and isinstance(y, float):
            if not math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-12):
                return False
        elif isinstance(x, tuple):
            if len(x) != len(y) or any(not math.isclose(p, q, rel_tol=1e-6, abs_tol=1e-12)
                                       for p, q in zip(x, y)):
                return False
        elif x != y:
            return False
    return True


class RememberedSettings:
    """A settings form remembered across launches: the Config editors of ``form`` and the
    named ``boxes`` (spin and combo boxes), saved to QSettings under ``key`` on every change
    and put back by :meth:`restore`. Inside ``with memory.quiet():`` changes are not saved
    (restoring, or showing an opened run's settings)."""

    def __init__(self, key: str, form: ConfigForm, from_dict, boxes: dict[str, QWidget]):
        self.key, self.form, self.from_dict, self.boxes = key, form, from_dict, boxes
        self._quiet = False
        form.changed.connect(self.save)
        for box in boxes.values():
            (box.valueChanged if isinstance(box, (QSpinBox, QDoubleSpinBox)) else box.currentTextChanged).connect(self.save)

    @contextlib.contextmanager
    def quiet(self):
        self._quiet, was = True, self._quiet
        try:
            yield
        finally:
            self._quiet = was

    def save(self, *_) -> None:
        if self._quiet:
            return
        try:
            config = dataclasses.asdict(self.form.config())
        except (ValueError, TypeError):
            return  # a half-typed field: remembered once it is valid
        values = {name: box.value() if isinstance(box, (QSpinBox, QDoubleSpinBox)) else box.currentText()
                  for name, box in self.boxes.items()}
        QSettings().setValue(self.key, json.dumps({"config": config, **values}))

    def restore(self) -> None:
        text = QSettings().value(self.key, "", type=str)
        if not text:
            return
        with self.quiet():
            try:
                saved = json.loads(text)
                self.form.set_config(self.from_dict(saved["config"]))
                for name, box in self.boxes.items():
                    if isinstance(box, QSpinBox):
                        box.setValue(int(saved[name]))
                    elif isinstance(box, QDoubleSpinBox):
                        box.setValue(float(saved[name]))
                    elif box.findText(str(saved[name])) >= 0:
                        box.setCurrentText(str(saved[name]))
            except (ValueError, KeyError, TypeError):
                pass  # settings from another version: keep the defaults
