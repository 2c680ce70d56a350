"""The GAN losses on known logits: the hinge loss (Projected GAN) and the non-saturating logistic loss."""
import math

import numpy as np
import pytest
import tensorflow as tf

from models.gan.model import GAN
from models.gan.networks import build_discriminator, build_generator


def _gan(loss: str) -> GAN:
    generator = build_generator("lite", 16, 8, 16)
    ema = build_generator("lite", 16, 8, 16)
    return GAN(generator, build_discriminator("lite", 16, 16), ema, loss=loss)


def _logits(*values):
    return tf.constant(values, dtype=tf.float32)


def test_hinge_discriminator_loss_counts_only_logits_inside_the_margin():
    gan = _gan("hinge")
    # reals: relu(1 - 2) = 0, relu(1 - 0.5) = 0.5 -> 0.25; fakes: relu(1 - 2) = 0, relu(1 + 0) = 1 -> 0.5
    loss = gan.discriminator_loss(_logits(2.0, 0.5), _logits(-2.0, 0.0))
    assert float(loss) == pytest.approx(0.75)
    # every logit beyond its margin: nothing to learn
    assert float(gan.discriminator_loss(_logits(1.0, 3.0), _logits(-1.0, -5.0))) == 0.0


def test_hinge_generator_loss_is_minus_the_mean_fake_logit():
    gan = _gan("hinge")
    assert float(gan.generator_loss(_logits(-2.0, 0.0, 5.0))) == pytest.approx(-1.0)


def test_logistic_losses_are_softplus():
    gan = _gan("logistic")
    assert float(gan.discriminator_loss(_logits(0.0), _logits(0.0))) == pytest.approx(2 * math.log(2))
    assert float(gan.generator_loss(_logits(0.0, 0.0))) == pytest.approx(math.log(2))
    confident = float(gan.discriminator_loss(_logits(20.0), _logits(-20.0)))
    assert confident == pytest.approx(0.0, abs=1e-6)


def test_an_unknown_loss_is_refused():
    with pytest.raises(ValueError, match="loss"):
        _gan("wasserstein")


def test_patch_logits_are_averaged_like_single_logits():
    """A patch discriminator's (batch, patches) logits give the same loss as their flat list."""
    gan = _gan("hinge")
    logits = np.array([[0.5, -0.5], [2.0, 0.0]], dtype="float32")
    assert float(gan.discriminator_loss(tf.constant(logits), -tf.constant(logits))) == pytest.approx(
        float(gan.discriminator_loss(tf.constant(logits.ravel()), -tf.constant(logits.ravel()))))
