import numpy as np
import pytest

from models.errors import ModelNotFoundError
from models.images import encode_png
from models.loading import load_generator


def test_same_seed_same_bytes_and_seeds_differ(tiny_base_model, data_dir):
    generator = load_generator(tiny_base_model, data_dir)
    first = encode_png(generator.generate([5])[0])
    again = encode_png(load_generator(tiny_base_model, data_dir).generate([5])[0])
    assert first == again
    assert first != encode_png(generator.generate([6])[0])
    assert generator.generate([1, 2]).shape == (2, 16, 16, 3)


def test_unknown_or_malformed_ids_are_not_found(data_dir):
    for model_id in ("nope", "../etc", ""):
        with pytest.raises(ModelNotFoundError):
            load_generator(model_id, data_dir)
