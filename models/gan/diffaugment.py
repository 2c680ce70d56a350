"""DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training").

The same family of differentiable transforms (colour, translation, cutout) is applied to real and
fake images before D sees them, in both the D and G steps, so D cannot memorise the few real images
and gradients still flow to G. Random draws come from a seeded Keras SeedGenerator.

Each transform is applied to an image with probability `probability` (1 for plain DiffAugment);
with ADA (Karras et al. 2020) the GAN adjusts it during training from D's overfitting signal.
"""
from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="transfergen")
class DiffAugment(keras.layers.Layer):
    def __init__(self, policy: str = "color,translation,cutout", seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.policy = policy
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.probability = tf.Variable(1.0, trainable=False, dtype=tf.float32, name="augment_probability")

    def call(self, images, training=True):
        if not training:
            return images
        batch = tf.shape(images)[0]
        for name in filter(None, self.policy.split(",")):
            augmented = getattr(self, f"_{name}")(images)
            apply = self._uniform([batch, 1, 1, 1]) < self.probability  # per image, per transform
            images = tf.where(apply, augmented, images)
        return images

    def _uniform(self, shape, low=0.0, high=1.0):
        return keras.random.uniform(shape, low, high, seed=self.seed_generator)

    def _color(self, x):
        batch = tf.shape(x)[0]
        x = x + (self._uniform([batch, 1, 1, 1]) - 0.5)  # brightness
        mean = tf.reduce_mean(x, axis=3, keepdims=True)
        x = (x - mean) * self._uniform([batch, 1, 1, 1], 0.0, 2.0) + mean  # saturation
        mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
        return (x - mean) * self._uniform([batch, 1, 1, 1], 0.5, 1.5) + mean  # contrast

    def _translation(self, x, ratio=0.125):
        """Shift by up to 1/8 of the size, filling with zeros (the reference implementation)."""
        batch, height, width = tf.shape(x)[0], tf.shape(x)[1], tf.shape(x)[2]
        shift_h = tf.cast(tf.cast(height, tf.float32) * ratio + 0.5, tf.int32)
        shift_w = tf.cast(tf.cast(width, tf.float32) * ratio + 0.5, tf.int32)
        dy = tf.cast(self._uniform([batch, 1], 0.0, 1.0) * tf.cast(2 * shift_h + 1, tf.float32), tf.int32) - shift_h
        dx = tf.cast(self._uniform([batch, 1], 0.0, 1.0) * tf.cast(2 * shift_w + 1, tf.float32), tf.int32) - shift_w
        rows = tf.range(height)[None, :] - dy  # source row for each output row
        cols = tf.range(width)[None, :] - dx
        valid = (
            tf.cast((rows >= 0) & (rows < height), x.dtype)[:, :, None, None]
            * tf.cast((cols >= 0) & (cols < width), x.dtype)[:, None, :, None]
        )
        x = tf.gather(x, tf.clip_by_value(rows, 0, height - 1), axis=1, batch_dims=1)
        x = tf.gather(x, tf.clip_by_value(cols, 0, width - 1), axis=2, batch_dims=1)
        return x * valid

    def _cutout(self, x, ratio=0.5):
        """Zero a random square of half the size per image."""
        batch, height, width = tf.shape(x)[0], tf.shape(x)[1], tf.shape(x)[2]
        cut_h = tf.cast(tf.cast(height, tf.float32) * ratio + 0.5, tf.int32)
        cut_w = tf.cast(tf.cast(width, tf.float32) * ratio + 0.5, tf.int32)
        top = tf.cast(self._uniform([batch, 1]) * tf.cast(height + 1 - cut_h % 2, tf.float32), tf.int32) - cut_h // 2
        left = tf.cast(self._uniform([batch, 1]) * tf.cast(width + 1 - cut_w % 2, tf.float32), tf.int32) - cut_w // 2
        rows = tf.range(height)[None, :]
        cols = tf.range(width)[None, :]
        inside_rows = (rows >= top) & (rows < top + cut_h)
        inside_cols = (cols >= left) & (cols < left + cut_w)
        mask = 1.0 - tf.cast(inside_rows[:, :, None] & inside_cols[:, None, :], x.dtype)
        return x * mask[:, :, :, None]

    def get_config(self):
        return {**super().get_config(), "policy": self.policy, "seed": self.seed}
