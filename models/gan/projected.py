"""Deep transfer: a discriminator that reads features of a frozen pretrained network.

The seed's "pretrained network as feature extractor", as in Projected GAN (Sauer et al. 2021) and
Vision-aided GAN (Kumari et al. 2022): EfficientNet-Lite0 (ImageNet) features at strides 8 and 16,
frozen, with small trainable heads. The network runs at the image's own resolution (its 224 resize is
removed), which keeps it cheap on a CPU. When the same network also computes KID, KID is flattered:
the model card says so.
"""
from __future__ import annotations

from pathlib import Path

import keras
from keras import layers

from models.loading import load_network

FEATURE_LAYERS = ("block4_add", "block10_add")  # stride 8 (40 channels) and stride 16 (112 channels)
HEAD_CHANNELS = 64


def _default_network() -> Path:
    from models.metrics.features import DEFAULT_FEATURE_NETWORK

    return DEFAULT_FEATURE_NETWORK


def frozen_feature_network(path: Path | None = None) -> keras.Model:
    """The pretrained network up to FEATURE_LAYERS, without its resize, frozen; input RGB in [0, 255]."""
    source = load_network(path or _default_network())

    def clone_layer(layer):
        if isinstance(layer, layers.Resizing):
            return layers.Rescaling(1.0, name=layer.name)  # a no-op in place of the resize: native resolution
        return layer.__class__.from_config(layer.get_config())

    clone = keras.models.clone_model(source, clone_function=clone_layer)
    clone.set_weights(source.get_weights())  # the no-op has no weights, so the order is unchanged
    features = keras.Model(clone.inputs, [clone.get_layer(name).output for name in FEATURE_LAYERS],
                           name="frozen_features")
    features.trainable = False  # also keeps its BatchNorm layers in inference mode
    return features


def build_projected_discriminator(resolution: int, feature_network: Path | None = None) -> keras.Model:
    image = keras.Input((resolution, resolution, 3), name="image")
    pixels = layers.Rescaling(127.5, offset=127.5, name="to_pixels")(image)  # [-1, 1] -> [0, 255]
    features = frozen_feature_network(feature_network)(pixels, training=False)
    logits = []
    for index, feature_map in enumerate(features):
        x = layers.Conv2D(HEAD_CHANNELS, 3, padding="same", name=f"head{index}_conv")(feature_map)
        x = layers.LeakyReLU(0.2, name=f"head{index}_act")(x)
        x = layers.Conv2D(1, 1, name=f"head{index}_logit")(x)
        logits.append(layers.GlobalAveragePooling2D(name=f"head{index}_pool")(x))
    logit = layers.Add(name="logit")(logits)
    return keras.Model(image, logit, name="projected_discriminator")


def is_projected(discriminator: keras.Model) -> bool:
    return any(layer.name == "frozen_features" for layer in discriminator.layers)
