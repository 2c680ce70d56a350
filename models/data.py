"""Reading a stored dataset folder and turning it into a tf.data pipeline."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from models import storage
from models.errors import TrainingError

MIN_TRAIN_IMAGES = 2


def read_dataset_meta(data_dir: Path, dataset_id: str) -> tuple[Path, dict]:
    folder = storage.dataset_dir(data_dir, dataset_id)
    if folder is None:
        raise TrainingError(f"dataset '{dataset_id}' does not exist (was it deleted?)")
    return folder, storage.read_json(folder / storage.DATASET_META)


def load_split(folder: Path, meta: dict, split: str) -> np.ndarray:
    """All images of one split as uint8 (N, H, W, 3); small sets fit in memory by design."""
    resolution = meta["resolution"]
    images = []
    for name in meta.get(split, []):
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


def load_training_images(data_dir: Path, dataset_id: str) -> tuple[np.ndarray, dict]:
    folder, meta = read_dataset_meta(data_dir, dataset_id)
    images = load_split(folder, meta, "train")
    if len(images) < MIN_TRAIN_IMAGES:
        raise TrainingError(
            f"dataset '{dataset_id}' has {len(images)} training images; at least {MIN_TRAIN_IMAGES} are needed"
        )
    return images, meta


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

    def batches():
        step = start_step
        while True:
            yield images_uint8[batch_indices(len(images_uint8), batch_size, seed, step)]
            step += 1

    dataset = tf.data.Dataset.from_generator(
        batches, output_signature=tf.TensorSpec((batch_size, *resolution), tf.uint8))
    dataset = dataset.map(lambda x: tf.cast(x, tf.float32) / 127.5 - 1.0)
    return dataset.prefetch(tf.data.AUTOTUNE)
