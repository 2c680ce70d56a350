"""Generator and discriminator builders, as plain functions returning functional Keras models.

Three architectures:
- "fast": the "lite" design made deeper and wider where it is cheap (two 3x3 convs per resolution,
  full width up to 16x16) with FastGAN's skip-layer excitation (Liu et al. 2021): 8x8 features gate
  the channels at 32x32 and 16x16 features those at 64x64, so coarse layout steers fine texture
  through a short path. Same discriminator as "lite". Trained in bfloat16 where the CPU has AMX
  (models/precision.py), it costs about what "lite" costs in float32.
- "lite": resize-convolution generator with pixel norm (no BatchNorm, so training and
  inference behave the same and a batch never changes an image); a strided-conv discriminator,
  stabilised by the R1 penalty (StyleGAN2's recipe) or optionally by spectral norm. Narrow at
  high resolution, where CPU time goes. (A spectral-norm D with the logistic loss kept its logits
  near 0.03 and learned too slowly in our CPU pretraining, so R1 is the default.)
- "dcgan": the seed's DCGAN (Radford et al. 2016): Dense -> 4x4, Conv2DTranspose + BatchNorm + ReLU
  stack -> tanh; D of strided Conv2D + LeakyReLU + Dropout -> Dense. Kept for comparison.

Discriminator layers are named "b{k}_..." by block k (k = 0 reads the image), which is what
FreezeD (Mo et al. 2020) freezes.
"""
from __future__ import annotations

import math

import keras
from keras import layers

from models.gan.layers import PixelNorm, SNConv2D, SNDense


def _num_upsamplings(resolution: int) -> int:
    steps = int(math.log2(resolution)) - 2
    if resolution < 8 or 2 ** (steps + 2) != resolution:
        raise ValueError(f"resolution must be a power of two >= 8, got {resolution}")
    return steps


def channels_at(resolution: int, base_channels: int) -> int:
    """Feature maps at a given resolution: full width up to 8x8, halving above, at least 16."""
    return max(16, base_channels // max(1, resolution // 8))


def build_generator(architecture: str, resolution: int, latent_dim: int, base_channels: int) -> keras.Model:
    return _GENERATORS[architecture](resolution, latent_dim, base_channels)


def build_discriminator(architecture: str, resolution: int, base_channels: int, spectral_norm: bool = False) -> keras.Model:
    if architecture in ("lite", "fast"):
        return _lite_discriminator(resolution, base_channels, spectral_norm)
    return _DISCRIMINATORS[architecture](resolution, base_channels)


def discriminator_blocks(discriminator: keras.Model) -> int:
    return 1 + max(int(layer.name[1:].split("_")[0]) for layer in discriminator.layers if layer.name.startswith("b"))


def _lite_generator(resolution, latent_dim, base_channels):
    z = keras.Input((latent_dim,), name="z")
    x = PixelNorm(name="z_norm")(z)
    width = channels_at(4, base_channels)
    x = layers.Dense(4 * 4 * width, name="fc")(x)
    x = layers.LeakyReLU(0.2)(x)
    x = PixelNorm()(layers.Reshape((4, 4, width))(x))
    size = 4
    for _ in range(_num_upsamplings(resolution)):
        size *= 2
        x = layers.UpSampling2D(2, interpolation="nearest")(x)  # resize-conv: no checkerboard
        x = layers.Conv2D(channels_at(size, base_channels), 3, padding="same", name=f"conv{size}")(x)
        x = PixelNorm()(layers.LeakyReLU(0.2)(x))
    x = layers.Conv2D(channels_at(size, base_channels), 3, padding="same", name="conv_out")(x)
    x = layers.LeakyReLU(0.2)(x)
    image = layers.Conv2D(3, 1, activation="tanh", name="to_rgb")(x)
    return keras.Model(z, image, name="generator")


def _conv_block(x, channels, name):
    x = layers.Conv2D(channels, 3, padding="same", name=name)(x)
    return PixelNorm(name=f"{name}_norm")(layers.LeakyReLU(0.2, name=f"{name}_act")(x))


def skip_layer_excitation(low, high, name):
    """FastGAN's SLE: a low-resolution feature map -> per-channel gates in (0, 1) for a high-resolution one."""
    channels = high.shape[-1]
    x = layers.AveragePooling2D(low.shape[1] // 4, name=f"{name}_pool")(low)  # -> 4x4
    x = layers.Conv2D(channels, 4, padding="valid", name=f"{name}_conv4")(x)  # -> 1x1
    x = layers.LeakyReLU(0.1, name=f"{name}_act")(x)
    gates = layers.Conv2D(channels, 1, activation="sigmoid", name=f"{name}_gate")(x)
    return layers.Multiply(name=f"{name}_excite")([high, gates])


def fast_channels_at(resolution: int, base_channels: int) -> int:
    """Full width up to 16x16 (cheap there), halving above, at least 16."""
    return max(16, base_channels // max(1, resolution // 16))


def _fast_generator(resolution, latent_dim, base_channels):
    z = keras.Input((latent_dim,), name="z")
    x = PixelNorm(name="z_norm")(z)
    width = fast_channels_at(4, base_channels)
    x = layers.Dense(4 * 4 * width, name="fc")(x)
    x = layers.LeakyReLU(0.2, name="fc_act")(x)
    x = PixelNorm(name="fc_norm")(layers.Reshape((4, 4, width), name="fc_reshape")(x))
    features = {4: x}
    size = 4
    for _ in range(_num_upsamplings(resolution)):
        size *= 2
        x = layers.UpSampling2D(2, interpolation="nearest", name=f"up{size}")(x)
        x = _conv_block(x, fast_channels_at(size, base_channels), f"conv{size}a")
        x = _conv_block(x, fast_channels_at(size, base_channels), f"conv{size}b")
        if size >= 32 and size // 4 in features:  # 8 -> 32, 16 -> 64 (FastGAN pairs 8->128, 16->256)
            x = skip_layer_excitation(features[size // 4], x, f"sle{size // 4}to{size}")
        features[size] = x
    image = layers.Conv2D(3, 1, activation="tanh", name="to_rgb")(x)
    return keras.Model(z, image, name="generator")


def _lite_discriminator(resolution, base_channels, spectral_norm=False):
    conv, dense = (SNConv2D, SNDense) if spectral_norm else (layers.Conv2D, layers.Dense)
    image = keras.Input((resolution, resolution, 3), name="image")
    x = conv(channels_at(resolution, base_channels), 1, name="b0_from_rgb")(image)
    x = layers.LeakyReLU(0.2, name="b0_act0")(x)
    size = resolution
    for block in range(_num_upsamplings(resolution)):
        size //= 2
        x = conv(channels_at(size, base_channels), 4, strides=2, padding="same", name=f"b{block}_down")(x)
        x = layers.LeakyReLU(0.2, name=f"b{block}_act")(x)
    last = _num_upsamplings(resolution)
    x = conv(channels_at(4, base_channels), 3, padding="same", name=f"b{last}_conv")(x)
    x = layers.LeakyReLU(0.2, name=f"b{last}_act")(x)
    x = layers.Flatten(name=f"b{last}_flatten")(x)
    logit = dense(1, name=f"b{last}_logit")(x)
    return keras.Model(image, logit, name="discriminator")


def _dcgan_generator(resolution, latent_dim, base_channels):
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(4 * 4 * base_channels, use_bias=False, name="fc")(z)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.Reshape((4, 4, base_channels))(x)
    size = 4
    steps = _num_upsamplings(resolution)
    for step in range(steps):
        size *= 2
        if step == steps - 1:
            break
        x = layers.Conv2DTranspose(base_channels // 2 ** (step + 1), 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
    image = layers.Conv2DTranspose(3, 4, strides=2, padding="same", activation="tanh", name="to_rgb")(x)
    return keras.Model(z, image, name="generator")


def _dcgan_discriminator(resolution, base_channels):
    image = keras.Input((resolution, resolution, 3), name="image")
    x = image
    steps = _num_upsamplings(resolution)
    for block in range(steps):
        width = base_channels // 2 ** (steps - 1 - block)
        x = layers.Conv2D(width, 4, strides=2, padding="same", name=f"b{block}_conv")(x)
        x = layers.LeakyReLU(0.2, name=f"b{block}_act")(x)
        x = layers.Dropout(0.3, name=f"b{block}_dropout")(x)
    x = layers.Flatten(name=f"b{steps}_flatten")(x)
    logit = layers.Dense(1, name=f"b{steps}_logit")(x)
    return keras.Model(image, logit, name="discriminator")


_GENERATORS = {"fast": _fast_generator, "lite": _lite_generator, "dcgan": _dcgan_generator}
_DISCRIMINATORS = {"lite": _lite_discriminator, "dcgan": _dcgan_discriminator}
