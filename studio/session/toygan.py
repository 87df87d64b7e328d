"""The toy GAN a learner plays with, Qt-free (the lecture's 1-D demo, and GAN Lab's 2-D one): the
Toy GAN view and `studio toygan` drive the same game (studio/models/toygan.py).

    toy = ToyGan("ring", seed=0)          # 1-D mixtures (MIXTURES), 2-D shapes (SHAPES), Drawn(points)
    snapshot = toy.step(20)               # 1-D: densities and D's curve; 2-D: points, D's heat map, arrows
    toy.tune(loss="least-squares", lr_d=2e-3)
"""

from studio.models.toygan import (D_MEANING, DRAW_SPAN, LIVE_FIELDS, LOSSES, MIXTURES, PLANE_CONFIG, SHAPES, WHICH,
                                  Drawn, ToyConfig, ToyGan, ToySnapshot, ToySnapshot2D, default_config,
                                  mode_coverage)

__all__ = ["D_MEANING", "DRAW_SPAN", "LIVE_FIELDS", "LOSSES", "MIXTURES", "PLANE_CONFIG", "SHAPES", "WHICH", "Drawn",
           "ToyConfig", "ToyGan", "ToySnapshot", "ToySnapshot2D", "default_config", "mode_coverage"]
