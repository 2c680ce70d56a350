"""The VAE training algorithm as a keras.Model subclass that owns train_step (keras-io vae.py pattern).

Loss per image: sum of squared pixel errors (a Gaussian likelihood) + beta * KL(q(z|x) || N(0, I)).
An EMA copy of the decoder serves images, as for GANs; images come from z ~ N(0, I) by seed.
"""
from __future__ import annotations

from pathlib import Path

import keras
import tensorflow as tf

from models import storage


class VAE(keras.Model):
    def __init__(self, encoder, generator, ema_generator, beta: float = 1.0, ema_half_life_images: int = 10_000,
                 ema_rampup: float | None = 0.05, use_ema: bool = True, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.generator = generator  # the decoder
        self.ema_generator = ema_generator
        self.augmenter = None
        self.beta = float(beta)
        self.ema_half_life_images = float(ema_half_life_images)
        self.ema_rampup = ema_rampup
        self.use_ema = use_ema
        self.noise_seed = keras.random.SeedGenerator(seed)
        self.images_seen = tf.Variable(0.0, trainable=False, dtype=tf.float32, name="images_seen")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    def compile(self, optimizer, **kwargs):
        super().compile(**kwargs)
        self.vae_optimizer = optimizer

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    def call(self, latents, training=False):
        return self.ema_generator(latents, training=training)

    def trainable_networks(self) -> list:
        return self.encoder.trainable_weights + self.generator.trainable_weights

    def train_step(self, images):
        with tf.GradientTape() as tape:
            mean, log_var = self.encoder(images, training=True)
            noise = keras.random.normal(tf.shape(mean), seed=self.noise_seed)
            z = mean + tf.exp(0.5 * log_var) * noise  # reparameterisation trick
            reconstruction = self.generator(z, training=True)
            reconstruction_loss = tf.reduce_mean(tf.reduce_sum(tf.square(images - reconstruction), axis=[1, 2, 3]))
            kl = tf.reduce_mean(-0.5 * tf.reduce_sum(1 + log_var - tf.square(mean) - tf.exp(log_var), axis=1))
            loss = reconstruction_loss + self.beta * kl
        variables = self.trainable_networks()
        self.vae_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        self._update_ema(tf.cast(tf.shape(images)[0], tf.float32))
        for tracker, value in zip(self.metrics, (loss, reconstruction_loss, kl)):
            tracker.reset_state()  # this step's values
            tracker.update_state(value)
        # "g_loss"/"d_loss" keep the progress contract shared with GANs: G = total loss, D = KL term.
        return {"g_loss": loss, "d_loss": kl, "reconstruction": reconstruction_loss}

    def _update_ema(self, batch_size):
        self.images_seen.assign_add(batch_size)
        half_life = tf.constant(self.ema_half_life_images)
        if self.ema_rampup is not None:
            half_life = tf.minimum(half_life, tf.maximum(self.images_seen * self.ema_rampup, 1.0))
        beta = tf.pow(0.5, batch_size / half_life) if self.use_ema else tf.constant(0.0)
        for weight, ema_weight in zip(self.generator.weights, self.ema_generator.weights):
            ema_weight.assign(beta * ema_weight + (1.0 - beta) * weight)

    def checkpoint_groups(self) -> dict[str, list]:
        self.vae_optimizer.build(self.trainable_networks())
        return {
            "generator": list(self.generator.weights), "ema_generator": list(self.ema_generator.weights),
            "encoder": list(self.encoder.weights), "optimizer": list(self.vae_optimizer.variables),
            "counters": [self.images_seen], "noise_rng": [self.noise_seed.state],
        }

    def save_networks(self, run_dir: Path) -> None:
        self.generator.save(run_dir / storage.GENERATOR_FILE)
        self.ema_generator.save(run_dir / storage.GENERATOR_EMA_FILE)
        self.encoder.save(run_dir / storage.ENCODER_FILE)
