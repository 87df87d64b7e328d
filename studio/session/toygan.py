"""The toy GAN a learner plays with, Qt-free (the lecture's 1-D demo): the Toy GAN view and
`studio toygan` drive the same game.

    toy = ToyGan("two gaussians", seed=0)
    snapshot = toy.step(20)      # data density, G's density, D(x) on a grid, the step, the distance
"""

from studio.models.toygan import MIXTURES, ToyGan, ToySnapshot

__all__ = ["MIXTURES", "ToyGan", "ToySnapshot"]
