import numpy as np

from models.metrics.features import FeatureExtractor
from tests.utils.features import write_tiny_feature_model


def test_features_from_a_model_file_are_cached(tmp_path):
    path = tmp_path / "features.keras"
    write_tiny_feature_model(path)
    extractor = FeatureExtractor(path, batch_size=3, cache_dir=tmp_path / "cache")
    images = np.random.default_rng(0).integers(0, 256, (7, 16, 16, 3), dtype=np.uint8)
    features = extractor.cached(images)
    assert features.shape == (7, 4)
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 1
    assert np.array_equal(extractor.cached(images), features)
    assert np.allclose(extractor(images), features, atol=1e-5)
