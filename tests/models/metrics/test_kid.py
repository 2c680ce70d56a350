import numpy as np
import pytest

from models.metrics.kid import kid, mmd2_unbiased


def _gaussian(n, shift=0.0, seed=0, dim=16):
    return np.random.default_rng(seed).standard_normal((n, dim)) + shift


def test_kid_of_a_set_with_itself_is_about_zero_and_shifted_sets_are_far():
    real = _gaussian(300)
    same_mean, _ = kid(real, _gaussian(300, seed=1), num_subsets=10)
    shifted_mean, shifted_std = kid(real, _gaussian(300, shift=1.0, seed=1), num_subsets=10)
    assert abs(same_mean) < 0.02
    assert shifted_mean > 0.5 and shifted_mean > 10 * abs(same_mean)
    assert shifted_std >= 0


def test_mmd_is_unbiased_for_identical_distributions():
    values = [mmd2_unbiased(_gaussian(50, seed=2 * i), _gaussian(50, seed=2 * i + 1)) for i in range(40)]
    assert abs(np.mean(values)) < 3 * np.std(values) / np.sqrt(len(values))


def test_kid_needs_two_samples():
    with pytest.raises(ValueError):
        kid(np.zeros((1, 4)), np.zeros((5, 4)))

