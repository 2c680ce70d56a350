"""The GAN training algorithm as a keras.Model subclass that owns train_step.

Non-saturating logistic loss (Goodfellow et al. 2014) or the hinge loss (Lim & Ye 2017; the
Projected GAN's, for its patch logits), optional DiffAugment on everything D sees,
optional lazy R1 penalty (Mescheder et al. 2018), an optional CDC term that keeps a fine-tune's samples
related to each other as the source G's are (models/gan/cdc.py), and an EMA copy of G (Karras et al.) that every
sample and every served image comes from. Pattern: keras-io gan_ada.py / dcgan_overriding_train_step.py.
"""
from __future__ import annotations

from pathlib import Path

import keras
import tensorflow as tf

from models import storage
from models.gan.cdc import cdc_loss, feature_layer_names, feature_model
from models.gan.projected import logit_weights
from models.precision import as_float32

LOSSES = ("logistic", "hinge")


class GAN(keras.Model):
    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        ema_generator: keras.Model,
        augmenter: keras.layers.Layer | None = None,
        ema_half_life_images: int = 10_000,
        ema_rampup: float | None = 0.05,  # StyleGAN2-ADA: half-life <= 5% of images seen so far
        use_ema: bool = True,
        r1_gamma: float = 0.0,
        r1_every: int = 16,  # lazy regularisation (StyleGAN2): R1 on every 16th D step, scaled up
        ada_target: float | None = None,  # ADA: adapt the augmentation probability towards this r_t
        ada_speed_images: int = 20_000,
        ada_interval: int = 4,  # steps between adjustments, as in StyleGAN2-ADA
        seed: int = 0,
        loss: str = "logistic",
        source_generator: keras.Model | None = None,  # frozen source G for CDC (fine-tunes)
        cdc_weight: float = 0.0,
        pixel_weight: float = 0.5,  # hinge loss share of a projected D's pixel branch (models/gan/projected.py)
        **kwargs,
    ):
        super().__init__(**kwargs)
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
        self.loss_name = loss
        self.generator = generator
        self.discriminator = discriminator
        self.ema_generator = ema_generator
        self.augmenter = augmenter
        self.latent_dim = generator.input_shape[-1]
        self.ema_half_life_images = float(ema_half_life_images)
        self.ema_rampup = ema_rampup
        self.use_ema = use_ema
        self.r1_gamma = float(r1_gamma)
        self.r1_every = int(r1_every)
        self.ada_target = ada_target
        self.ada_speed_images = float(ada_speed_images)
        self.ada_interval = int(ada_interval)
        self.ada_signs = tf.Variable(0.0, trainable=False, dtype=tf.float32, name="ada_sign_sum")
        self.ada_count = tf.Variable(0.0, trainable=False, dtype=tf.float32, name="ada_count")
        self.noise_seed = keras.random.SeedGenerator(seed)
        self.cdc_weight = float(cdc_weight)
        if self.cdc_weight > 0:
            if source_generator is None:
                raise ValueError("cdc_weight > 0 needs the source generator")
            names = feature_layer_names(generator)
            source_generator.trainable = False
            self.cdc_target = feature_model(generator, names)  # G's own layers: training it trains G
            self.cdc_source = feature_model(source_generator, names)
        self.cdc_tracker = keras.metrics.Mean(name="cdc")
        self.logit_weights = logit_weights(discriminator, pixel_weight)
        self.images_seen = tf.Variable(0.0, trainable=False, dtype=tf.float32, name="images_seen")
        self.d_steps = tf.Variable(0, trainable=False, dtype=tf.int64, name="d_steps")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.real_logit_tracker = keras.metrics.Mean(name="d_real")  # mean D output on reals
        self.fake_logit_tracker = keras.metrics.Mean(name="d_fake")

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer

    @property
    def metrics(self):
        trackers = [self.g_loss_tracker, self.d_loss_tracker, self.real_logit_tracker, self.fake_logit_tracker]
        return trackers + ([self.cdc_tracker] if self.cdc_weight > 0 else [])

    def call(self, latents, training=False):
        return self.ema_generator(latents, training=training)

    def _augment(self, images):
        return self.augmenter(images, training=True) if self.augmenter is not None else images

    def _latents(self, batch_size):
        return keras.random.normal((batch_size, self.latent_dim), seed=self.noise_seed)

    def train_step(self, data):
        # fit() on a dataset of images passes the batch; train_on_batch(x) passes (x, None, None)
        real_images, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        batch_size = tf.shape(real_images)[0]
        d_loss, real_logits, fake_logits = self._discriminator_step(real_images, batch_size)
        g_loss, cdc = self._generator_step(batch_size)
        self._update_ema(tf.cast(batch_size, tf.float32))
        if self.ada_target is not None:
            self._adapt_augmentation(real_logits, batch_size)
        for tracker in self.metrics:
            tracker.reset_state()  # report this step's values, not a mean since the run started
        self.g_loss_tracker.update_state(g_loss)
        self.d_loss_tracker.update_state(d_loss)
        self.real_logit_tracker.update_state(tf.reduce_mean(real_logits))
        self.fake_logit_tracker.update_state(tf.reduce_mean(fake_logits))
        if self.cdc_weight > 0:
            self.cdc_tracker.update_state(cdc)
        logs = {m.name: m.result() for m in self.metrics}
        if self.augmenter is not None:
            logs["augment_p"] = tf.identity(self.augmenter.probability)
        return logs

    def _adapt_augmentation(self, real_logits, batch_size):
        """ADA: r_t = E[sign(D(real))]; raise p when D is overconfident on reals, lower it otherwise."""
        # Per image: a patch discriminator's logits count once per image, like a single logit.
        self.ada_signs.assign_add(tf.reduce_mean(tf.sign(real_logits)) * tf.cast(batch_size, tf.float32))
        self.ada_count.assign_add(tf.cast(batch_size, tf.float32))

        def adjust():
            r_t = self.ada_signs / self.ada_count
            step = self.ada_count / self.ada_speed_images
            p = self.augmenter.probability
            p.assign(tf.clip_by_value(p + tf.sign(r_t - self.ada_target) * step, 0.0, 1.0))
            self.ada_signs.assign(0.0)
            self.ada_count.assign(0.0)
            return 0

        tf.cond(self.d_steps % self.ada_interval == 0, adjust, lambda: 0)

    def _discriminator_step(self, real_images, batch_size):
        fake_images = self.generator(self._latents(batch_size), training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(self._augment(real_images), training=True)
            fake_logits = self.discriminator(self._augment(fake_images), training=True)
            d_loss = self.discriminator_loss(real_logits, fake_logits)
            total = d_loss
            if self.r1_gamma > 0:
                total += tf.cond(
                    self.d_steps % self.r1_every == 0,
                    lambda: self._r1_penalty(real_images) * float(self.r1_every),
                    lambda: 0.0,
                )
        variables = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(total, variables), variables))
        self.d_steps.assign_add(1)
        return d_loss, real_logits, fake_logits

    def _mean(self, values):
        """Mean over the batch and D's logits, each logit weighted (equal weights: the plain mean)."""
        if self.logit_weights is None:
            return tf.reduce_mean(values)
        return tf.reduce_mean(tf.cast(values, tf.float32) * self.logit_weights)

    def discriminator_loss(self, real_logits, fake_logits):
        if self.loss_name == "hinge":  # relu(1 - D(x)) + relu(1 + D(G(z)))
            return self._mean(tf.nn.relu(1.0 - real_logits)) + self._mean(tf.nn.relu(1.0 + fake_logits))
        # Non-saturating logistic loss: softplus(-D(x)) + softplus(D(G(z))).
        return self._mean(tf.nn.softplus(-real_logits)) + self._mean(tf.nn.softplus(fake_logits))

    def generator_loss(self, fake_logits):
        if self.loss_name == "hinge":
            return -self._mean(fake_logits)
        return self._mean(tf.nn.softplus(-fake_logits))  # non-saturating

    def _r1_penalty(self, real_images):
        """gamma/2 * E[|grad_x D(x)|^2] on (augmented) reals."""
        augmented = self._augment(real_images)
        with tf.GradientTape() as tape:
            tape.watch(augmented)
            logit_sum = tf.reduce_sum(self.discriminator(augmented, training=True))
        gradients = tape.gradient(logit_sum, augmented)
        return 0.5 * self.r1_gamma * tf.reduce_mean(tf.reduce_sum(tf.square(gradients), axis=[1, 2, 3]))

    def _generator_step(self, batch_size):
        latents = self._latents(batch_size)
        with tf.GradientTape() as tape:
            if self.cdc_weight > 0:
                fake_images, *features = self.cdc_target(latents, training=True)
            else:
                fake_images = self.generator(latents, training=True)
            fake_logits = self.discriminator(self._augment(fake_images), training=True)
            g_loss = self.generator_loss(fake_logits)
            total, cdc = g_loss, tf.constant(0.0)
            if self.cdc_weight > 0:
                cdc = cdc_loss(self.cdc_source(latents, training=False)[1:], features)
                total = g_loss + self.cdc_weight * cdc
        variables = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(total, variables), variables))
        return g_loss, cdc

    def ema_beta(self, batch_size):
        half_life = tf.constant(self.ema_half_life_images)
        if self.ema_rampup is not None:
            half_life = tf.minimum(half_life, tf.maximum(self.images_seen * self.ema_rampup, 1.0))
        return tf.pow(0.5, batch_size / half_life)

    def _update_ema(self, batch_size):
        self.images_seen.assign_add(batch_size)
        beta = self.ema_beta(batch_size) if self.use_ema else tf.constant(0.0)
        for weight, ema_weight in zip(self.generator.weights, self.ema_generator.weights):
            ema_weight.assign(beta * ema_weight + (1.0 - beta) * weight)

    def checkpoint_groups(self) -> dict[str, list]:
        """Every variable a resumed run needs, by group (see models/checkpoints.py)."""
        self.g_optimizer.build(self.generator.trainable_weights)
        self.d_optimizer.build(self.discriminator.trainable_weights)
        groups = {
            "generator": list(self.generator.weights),
            "ema_generator": list(self.ema_generator.weights),
            "discriminator": list(self.discriminator.weights),
            "g_optimizer": list(self.g_optimizer.variables),
            "d_optimizer": list(self.d_optimizer.variables),
            "counters": [self.images_seen, self.d_steps, self.ada_signs, self.ada_count],
            "noise_rng": [self.noise_seed.state],
        }
        if self.augmenter is not None:
            groups["augmenter"] = [self.augmenter.seed_generator.state, self.augmenter.probability]
        return groups

    def save_networks(self, run_dir: Path) -> None:
        """float32 networks, whatever precision trained them: saved images never depend on it."""
        as_float32(self.generator).save(run_dir / storage.GENERATOR_FILE)
        as_float32(self.ema_generator).save(run_dir / storage.GENERATOR_EMA_FILE)
        as_float32(self.discriminator).save(run_dir / storage.DISCRIMINATOR_FILE)
