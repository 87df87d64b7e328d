"""What a user has open, Qt-free: the layer between the GUI's views (and the CLI's commands) and
the engine. Every user-visible action is one call here, made alike by a button, a command and a
test:

- :mod:`studio.session.training`: a training (presets, where the run goes, the one pause /
  resume / stop / follow) and its :mod:`~studio.session.monitor` (phase, history, ETA, warnings),
- :mod:`studio.session.runs`: the runs list (summaries, rename, delete with undo, compare),
- :mod:`studio.session.completion`: the canvas's completion models and jobs,
- :mod:`studio.session.explorers`: the VAE explorer's and the GAN walk's state and exports,
- :mod:`studio.session.pretrained`: the models shipped for the first launch,
- :mod:`studio.session.quiz`: Real or fake? — rounds, marks, the reveal, the kept scores,
- :mod:`studio.session.beliefs`: what a model thinks at each pixel of a sprite (the surprise map),
- :mod:`studio.session.toygan`: the toy GAN's game, 1-D and 2-D,
- :mod:`studio.session.plots`: plots as TensorBoard draws them (smoothing, log scale, CSV).

Each object reports changes through psygnal signals (plain callbacks, no Qt), so the GUI
observes it, and tests, notebooks and the CLI use it without a display.
"""

from studio.models import MODEL_NAMES  # the models a user can train, for the choices

__all__ = ["MODEL_NAMES"]
