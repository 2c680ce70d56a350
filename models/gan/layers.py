"""Custom layers: pixel normalisation (ProGAN) and spectral normalisation (Miyato et al. 2018).

Keras' own SpectralNormalization writes the normalised kernel back into the wrapped layer in
training mode, even when the layer is frozen; FreezeD needs frozen blocks to stay bit-identical,
so these layers normalise on the fly and update their power-iteration vector only when trainable.
All are registered so `keras.saving.load_model(..., safe_mode=True)` can rebuild them.
"""
from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="transfergen")
class PixelNorm(keras.layers.Layer):
    """Normalise each pixel's feature vector to unit RMS: batch-independent, unlike BatchNorm."""

    def __init__(self, epsilon: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def call(self, inputs):
        return inputs * ops.rsqrt(ops.mean(ops.square(inputs), axis=-1, keepdims=True) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


def _spectral_normalize(layer, kernel, training):
    """Kernel divided by its largest singular value (one power iteration per training step)."""
    matrix = ops.reshape(kernel, (-1, ops.shape(kernel)[-1]))
    u = ops.stop_gradient(layer.sn_u)
    v = ops.normalize(ops.matmul(u, ops.transpose(matrix)), axis=-1, epsilon=1e-12)
    u_new = ops.normalize(ops.matmul(v, matrix), axis=-1, epsilon=1e-12)
    v, u_new = ops.stop_gradient(v), ops.stop_gradient(u_new)
    sigma = ops.sum(ops.matmul(v, matrix) * u_new)
    if training and layer.trainable:  # frozen layers keep every variable bit-identical
        layer.sn_u.assign(u_new)
    return kernel / sigma


class _SavesPowerIterationVector:
    """Conv2D/Dense save only kernel and bias; the generic Layer methods also keep sn_u."""

    def save_own_variables(self, store):
        keras.layers.Layer.save_own_variables(self, store)

    def load_own_variables(self, store):
        keras.layers.Layer.load_own_variables(self, store)


def _add_power_iteration_vector(layer, units):
    layer.sn_u = layer.add_weight(
        name="sn_u", shape=(1, units), trainable=False,
        initializer=keras.initializers.RandomNormal(stddev=1.0),
    )


@keras.saving.register_keras_serializable(package="transfergen")
class SNConv2D(_SavesPowerIterationVector, keras.layers.Conv2D):
    def build(self, input_shape):
        super().build(input_shape)
        _add_power_iteration_vector(self, self.filters)

    def call(self, inputs, training=False):
        outputs = self.convolution_op(inputs, _spectral_normalize(self, self.kernel, training))
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs) if self.activation is not None else outputs


@keras.saving.register_keras_serializable(package="transfergen")
class SNDense(_SavesPowerIterationVector, keras.layers.Dense):
    def build(self, input_shape):
        super().build(input_shape)
        _add_power_iteration_vector(self, self.units)

    def call(self, inputs, training=False):
        outputs = ops.matmul(inputs, _spectral_normalize(self, self.kernel, training))
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs) if self.activation is not None else outputs
