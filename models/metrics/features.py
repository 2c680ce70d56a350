"""Feature networks for KID: a Keras model file given by path, or InceptionV3 with ImageNet weights.

Offline use: the EfficientNet-Lite0 features file (input RGB in [0, 255], any size), reported as
"KID-EffLite0"; its numbers are not comparable with papers' Inception FID.
Real-image features are cached on disk by a key of the images' bytes and the network.
"""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np

from models import atomic

INCEPTION = "inception_v3"
DEFAULT_FEATURE_NETWORK = Path(__file__).resolve().parent / "weights" / "efficientnet_lite0_features.keras"


class FeatureExtractor:
    """uint8 RGB images (N, H, W, 3) -> float32 features (N, D)."""

    def __init__(self, network: str | Path, batch_size: int = 64, cache_dir: Path | None = None):
        import keras

        self.network_name = str(network)
        self.batch_size = batch_size
        self.cache_dir = Path(cache_dir) if cache_dir else None
        if self.network_name == INCEPTION:
            self.model = _inception(keras)  # downloads ImageNet weights once: needs a network
        else:
            from models.loading import load_network

            self.model = load_network(network)
        self.label = "Inception" if self.network_name == INCEPTION else _label(Path(self.network_name))

    def __call__(self, images_uint8: np.ndarray) -> np.ndarray:
        images = np.asarray(images_uint8, dtype=np.float32)
        outputs = [np.asarray(self.model(images[i : i + self.batch_size], training=False))
                   for i in range(0, len(images), self.batch_size)]
        return np.concatenate(outputs).reshape(len(images), -1).astype(np.float32)

    def cached(self, images_uint8: np.ndarray) -> np.ndarray:
        """Features of a fixed real set, computed once per (images, network)."""
        if self.cache_dir is None:
            return self(images_uint8)
        digest = hashlib.sha256(np.ascontiguousarray(images_uint8).tobytes() + self.network_name.encode()).hexdigest()
        path = self.cache_dir / f"features-{digest[:32]}.npy"
        if path.is_file():
            return np.load(path)
        features = self(images_uint8)
        buffer = io.BytesIO()
        np.save(buffer, features)
        atomic.write_bytes(path, buffer.getvalue(), durable=False)  # a cache: lost in a crash, computed again
        return features


def _inception(keras):
    """InceptionV3 pool features on [0, 255] RGB input of any size (resized to 299)."""
    base = keras.applications.InceptionV3(include_top=False, pooling="avg", weights="imagenet")
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Resizing(299, 299, interpolation="bilinear", antialias=True)(inputs)
    x = keras.layers.Rescaling(1 / 127.5, offset=-1.0)(x)
    return keras.Model(inputs, base(x), name="inception_v3_features")


def _label(path: Path) -> str:
    """Report label: EffLite0 or EffLite2 for the converted EfficientNet-Lite files, else the file's stem."""
    for variant in ("0", "2"):
        if path.name.startswith(f"efficientnet_lite{variant}"):
            return f"EffLite{variant}"
    return path.stem
