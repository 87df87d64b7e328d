"""What a user has open, Qt-free: the layer between the GUI's views and the engine.

- :mod:`studio.session.monitor`: a training run's state (phase, history, smoothed ETA, warnings),
- :mod:`studio.session.explorers`: the VAE explorer's and the GAN walk's state,
- :mod:`studio.session.runs`: the runs list (summaries, rename, delete with undo, compare),
- :mod:`studio.session.pretrained`: the small models shipped for the first launch,
- :mod:`studio.session.completion`: the canvas's completion models (the chooser, the chosen
  model's variants, every model's best for the same mask),
- the opened run itself is :class:`studio.train.trained.TrainedRun` (one ``open`` for all).

Each object reports changes through psygnal signals (plain callbacks, no Qt), so the GUI
observes it, and tests, notebooks and the CLI use it without a display.
"""
