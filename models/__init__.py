"""Generative models for transfergen: plain TensorFlow/Keras + numpy.

This package never imports fastapi, rq or redis. Importing it (or `models.config`,
`models.storage`) does not import TensorFlow; only the training and loading
modules do, lazily, so light processes can use the config and storage layout.
"""
