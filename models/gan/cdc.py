"""Cross-domain correspondence (CDC, Ojha et al. 2021, "Few-shot Image Generation via Cross-domain
Correspondence"): keep how a batch's samples relate to each other while their style moves to the target.

For a batch of latents, every intermediate feature map of the fine-tuned G and of a frozen copy of the
source G is flattened; for each sample i, the cosine similarities to the other samples j != i form a
softmax distribution; the loss is KL(source || fine-tuned), averaged over samples and layers. It is 0
when the two generators agree on the batch's relative structure, so a fine-tune that collapses its
samples onto a few images (or fades them all to the same near-blank tile) pays for it, while colour
and style are free to move. The paper samples one layer per step; all of our small G's layers cost
little more, so all count. The paper's anchor/patch discriminator is not used here.

Measured on OpenMoji at 10 shots (README "Results"): it delays the projected D's fade to blank tiles but
ends worse than no CDC by 30 CPU-minutes, so it is opt-in (`cdc_weight`), not in any preset.
"""
from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers

CONV_LAYERS = (layers.Conv2D, layers.Conv2DTranspose)
OUTPUT_LAYER = "to_rgb"


def feature_layer_names(generator: keras.Model) -> list[str]:
    """The generator's convolutions that produce feature maps (not its RGB output, not SLE's gates)."""
    return [layer.name for layer in generator.layers
            if isinstance(layer, CONV_LAYERS) and layer.name != OUTPUT_LAYER and not layer.name.startswith("sle")]


def feature_model(generator: keras.Model, names: list[str]) -> keras.Model:
    """z -> [image, feature maps...], sharing `generator`'s layers and weights (training it trains G)."""
    return keras.Model(generator.inputs, [generator.output] + [generator.get_layer(n).output for n in names],
                       name=f"{generator.name}_features")


def _similarity_log_softmax(features) -> tf.Tensor:
    """(batch, ...) -> (batch, batch - 1): log-softmax over each sample's cosine similarities to the others."""
    flat = tf.cast(tf.reshape(features, (tf.shape(features)[0], -1)), tf.float32)
    unit = tf.math.l2_normalize(flat, axis=1)
    similarity = tf.matmul(unit, unit, transpose_b=True)
    batch = tf.shape(similarity)[0]
    off_diagonal = tf.reshape(tf.boolean_mask(similarity, ~tf.eye(batch, dtype=tf.bool)), (batch, batch - 1))
    return tf.nn.log_softmax(off_diagonal, axis=1)


def cdc_loss(source_features: list, target_features: list) -> tf.Tensor:
    """Mean over layers of the batch-mean KL(source || target) of the similarity distributions."""
    losses = []
    for source, target in zip(source_features, target_features, strict=True):
        log_p = tf.stop_gradient(_similarity_log_softmax(source))
        log_q = _similarity_log_softmax(target)
        losses.append(tf.reduce_mean(tf.reduce_sum(tf.exp(log_p) * (log_p - log_q), axis=1)))
    return tf.add_n(losses) / float(len(losses))
