"""tools/layer_change.py on known inputs: a generator against itself and against a scaled copy."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from models.gan.networks import build_generator

TOOL = Path(__file__).resolve().parents[2] / "tools" / "layer_change.py"


@pytest.fixture(scope="module")
def layer_change():
    spec = importlib.util.spec_from_file_location("layer_change", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_unchanged_generator_moved_zero(layer_change):
    base = build_generator("lite", 16, 8, 16)
    rows = layer_change.layer_changes(base, base)
    assert [name for name, _, _ in rows] == ["fc", "conv8", "conv16", "conv_out", "to_rgb"]
    assert all(change == 0.0 for _, _, change in rows)


def test_scaled_kernel_reports_its_relative_change(layer_change):
    base = build_generator("lite", 16, 8, 16)
    tuned = build_generator("lite", 16, 8, 16)
    tuned.set_weights(base.get_weights())
    kernel = tuned.get_layer("conv8").kernel
    kernel.assign(np.asarray(kernel) * 1.1)
    changes = {name: change for name, _, change in layer_change.layer_changes(base, tuned)}
    assert changes["conv8"] == pytest.approx(0.1, rel=1e-4)
    assert changes["fc"] == 0.0 and changes["to_rgb"] == 0.0
