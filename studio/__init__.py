"""Pokémon Generation Studio: PixelRNN, VAE and GAN on 20×20 palette sprites."""

__version__ = "0.1.0"
