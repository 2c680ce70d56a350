"""app.datasets.split: sizes and determinism of the train/validation split."""
from __future__ import annotations

import pytest

from app.datasets.split import effective_fraction, split_indices


@pytest.mark.parametrize(
    ("count", "fraction", "num_val"),
    [(1, 0.1, 0), (9, 0.1, 0), (9, 0.5, 0), (10, 0.1, 1), (10, 0.01, 1), (25, 0.1, 2), (100, 0.1, 10), (100, 0.0, 0),
     # the default (None): nothing held out below 50 images, 10% from there
     (10, None, 0), (49, None, 0), (50, None, 5), (100, None, 10), (1000, None, 100)],
)
def test_validation_size(count, fraction, num_val):
    train, val = split_indices(count, fraction, seed=0)
    assert len(val) == num_val
    assert sorted(train + val) == list(range(count))


def test_effective_fraction_is_the_users_or_the_default_for_the_size():
    assert effective_fraction(10, None) == 0.0
    assert effective_fraction(10, 0.2) == 0.2
    assert effective_fraction(50, None) == 0.1


def test_split_is_seeded():
    assert split_indices(50, 0.2, seed=1) == split_indices(50, 0.2, seed=1)
    assert split_indices(50, 0.2, seed=1) != split_indices(50, 0.2, seed=2)
