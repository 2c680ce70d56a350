"""app.datasets.split: sizes and determinism of the train/validation split."""
from __future__ import annotations

import pytest

from app.datasets.split import split_indices


@pytest.mark.parametrize(
    ("count", "fraction", "num_val"),
    [(1, 0.1, 0), (9, 0.1, 0), (9, 0.5, 0), (10, 0.1, 1), (10, 0.01, 1), (25, 0.1, 2), (100, 0.1, 10), (100, 0.0, 0)],
)
def test_validation_size(count, fraction, num_val):
    train, val = split_indices(count, fraction, seed=0)
    assert len(val) == num_val
    assert sorted(train + val) == list(range(count))


def test_split_is_seeded():
    assert split_indices(50, 0.2, seed=1) == split_indices(50, 0.2, seed=1)
    assert split_indices(50, 0.2, seed=1) != split_indices(50, 0.2, seed=2)
