"""A tiny Keras feature network file: stands in for EfficientNet-Lite0 where only the plumbing is tested."""
from __future__ import annotations

from pathlib import Path


def write_tiny_feature_model(path: Path) -> Path:
    import keras

    inputs = keras.Input((None, None, 3))
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    x = keras.layers.Conv2D(4, 3, kernel_initializer=keras.initializers.RandomNormal(seed=0))(x)
    outputs = keras.layers.GlobalAveragePooling2D()(x)
    keras.Model(inputs, outputs).save(path)
    return path
