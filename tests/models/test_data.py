"""The data order is a pure function of (seed, step): what makes a resumed run equal an uninterrupted one."""
import numpy as np

from models.data import batch_indices, training_pipeline


def test_batches_are_a_pure_function_of_seed_and_step():
    first = [batch_indices(10, 4, seed=3, step=s) for s in range(20)]
    again = [batch_indices(10, 4, seed=3, step=s) for s in range(20)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, [batch_indices(10, 4, seed=4, step=s) for s in range(20)]))


def test_each_epoch_is_a_permutation_even_across_batch_boundaries():
    order = np.concatenate([batch_indices(10, 4, seed=0, step=s) for s in range(10)])  # 40 = 4 epochs of 10
    for epoch in range(4):
        assert sorted(order[epoch * 10:(epoch + 1) * 10]) == list(range(10))
    assert not np.array_equal(order[:10], order[10:20])  # reshuffled each epoch
    tiny = batch_indices(3, 8, seed=0, step=0)  # a batch larger than the set repeats it
    assert np.bincount(tiny, minlength=3).tolist() in ([3, 3, 2], [3, 2, 3], [2, 3, 3])


def test_the_pipeline_resumed_at_a_step_yields_the_same_batches():
    images = np.arange(7 * 2 * 2 * 3, dtype=np.uint8).reshape(7, 2, 2, 3)
    full = [b.numpy() for b in training_pipeline(images, 3, seed=1).take(6)]
    resumed = [b.numpy() for b in training_pipeline(images, 3, seed=1, start_step=4).take(2)]
    assert all(np.array_equal(a, b) for a, b in zip(full[4:], resumed))
    assert full[0].dtype == np.float32 and full[0].min() >= -1.0 and full[0].max() <= 1.0


def test_pipeline_batch_of_a_step_is_those_images_scaled_with_a_static_shape():
    images = np.random.default_rng(0).integers(0, 256, size=(7, 4, 4, 3), dtype=np.uint8)
    dataset = training_pipeline(images, 5, seed=2, start_step=3)
    assert dataset.element_spec.shape.as_list() == [5, 4, 4, 3]  # Keras traces train_step once
    batch = next(iter(dataset)).numpy()
    expected = images[batch_indices(7, 5, seed=2, step=3)].astype(np.float32) / 127.5 - 1.0
    np.testing.assert_allclose(batch, expected, rtol=0, atol=1e-6)
