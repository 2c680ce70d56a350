"""The API and the worker parent must stay TensorFlow-free (fork safety, start-up time, memory)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

HEAVY = ("tensorflow", "keras")


@pytest.mark.parametrize("module", ["worker.queue", "worker.settings", "worker.connection", "worker.__main__",
                                    "worker.jobs", "worker.hooks", "worker.embedded_redis", "worker.records", "worker.lease",
                                    "worker.recovery", "worker.webhooks", "worker.training_worker", "models.checkpoints"])
def test_module_imports_no_tensorflow(module):
    code = (
        f"import importlib, sys; importlib.import_module({module!r}); "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
