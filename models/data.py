"""Reading a stored dataset folder and turning it into a tf.data pipeline."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from models import datasets
from models.datasets import DatasetMeta
from models.errors import TrainingError


def load_split(folder: Path, meta: DatasetMeta, split: str) -> np.ndarray:
    """All images of one split as uint8 (N, H, W, 3); small sets fit in memory by design."""
    resolution = meta.resolution
    images = []
    for name in getattr(meta, split):
        try:
            with Image.open(folder / split / name) as image:
                array = np.asarray(image.convert("RGB"), dtype=np.uint8)
        except (OSError, SyntaxError, ValueError) as e:  # missing, truncated or not an image (PIL's errors)
            raise TrainingError(
                f"dataset image {split}/{name} cannot be read ({type(e).__name__}); "
                f"the dataset is damaged: upload it again"
            ) from e
        if array.shape != (resolution, resolution, 3):
            raise TrainingError(f"dataset image {split}/{name} is {array.shape}, expected {resolution}x{resolution}")
        images.append(array)
    return np.stack(images) if images else np.zeros((0, resolution, resolution, 3), np.uint8)


def load_training_images(data_dir: Path, dataset_id: str) -> tuple[np.ndarray, DatasetMeta]:
    """The training split and the dataset's metadata (models.preflight has checked there are enough)."""
    found = datasets.find(data_dir, dataset_id)
    if found is None:
        raise TrainingError(f"Dataset {dataset_id!r} does not exist (was it deleted?).")
    folder, meta = found
    return load_split(folder, meta, "train"), meta


def batch_indices(num_images: int, batch_size: int, seed: int, step: int) -> np.ndarray:
    """Image indices of training step `step`: a pure function of (seed, step), so a resumed run sees
    exactly the batches an uninterrupted one would.

    The images are read in epochs, each a fresh permutation drawn from (seed, epoch); a batch may
    span two epochs (a tiny set repeats within one batch), as with shuffle-then-repeat-then-batch.
    """
    positions = np.arange(step * batch_size, (step + 1) * batch_size, dtype=np.int64)
    epochs, offsets = np.divmod(positions, num_images)
    indices = np.empty(batch_size, dtype=np.int64)
    for epoch in np.unique(epochs):
        permutation = np.random.default_rng([seed, int(epoch)]).permutation(num_images)
        chosen = epochs == epoch
        indices[chosen] = permutation[offsets[chosen]]
    return indices


def training_pipeline(images_uint8: np.ndarray, batch_size: int, seed: int, start_step: int = 0):
    """Endless batches in [-1, 1] from step `start_step` on; batch s holds batch_indices(..., s)."""
    import tensorflow as tf

    resolution = images_uint8.shape[1:]

    def batch_of_step(step):
        return images_uint8[batch_indices(len(images_uint8), batch_size, seed, int(step))]

    # Not Dataset.from_generator: it makes TensorFlow set glibc's M_TRIM_THRESHOLD to 128 KiB for the whole
    # process ("Memory patch applied"), and handing memory back to the OS and faulting it in again every
    # step cost 45% of a step's CPU on a 2-core AMD EPYC (bench/train_speed.py: 0.81 -> 1.50 steps/s).
    dataset = tf.data.Dataset.counter(start_step).map(
        lambda step: tf.ensure_shape(tf.numpy_function(batch_of_step, [step], tf.uint8), (batch_size, *resolution)))
    dataset = dataset.map(lambda x: tf.cast(x, tf.float32) / 127.5 - 1.0)
    return dataset.prefetch(tf.data.AUTOTUNE)
