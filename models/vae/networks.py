"""The VAE's encoder; its decoder is the "lite" generator (models.gan.networks), so a VAE decoder is
saved, loaded and served exactly like a GAN generator."""
from __future__ import annotations

import keras
from keras import layers

from models.gan.networks import _num_upsamplings, channels_at


def build_encoder(resolution: int, latent_dim: int, base_channels: int) -> keras.Model:
    """Image -> (mean, log-variance) of the approximate posterior q(z|x)."""
    image = keras.Input((resolution, resolution, 3), name="image")
    x = layers.Conv2D(channels_at(resolution, base_channels), 3, padding="same", name="e_from_rgb")(image)
    x = layers.LeakyReLU(0.2)(x)
    size = resolution
    for _ in range(_num_upsamplings(resolution)):
        size //= 2
        x = layers.Conv2D(channels_at(size, base_channels), 4, strides=2, padding="same", name=f"e_down{size}")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    mean = layers.Dense(latent_dim, name="z_mean")(x)
    log_var = layers.Dense(latent_dim, name="z_log_var", kernel_initializer="zeros")(x)
    return keras.Model(image, [mean, log_var], name="encoder")
