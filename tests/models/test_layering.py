"""models/ is the core: it knows neither the web, the queue, nor the job or worker code."""
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import models

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(m.name for m in pkgutil.walk_packages(models.__path__, "models."))  # every subpackage, found
SERVICE = ("fastapi", "starlette", "rq", "redis", "app", "jobs", "worker")
TF_FREE = ["models.config", "models.storage", "models.errors", "models.ids", "models.atomic", "models.latents",
           "models.progress", "models.datasets", "models.preflight", "models.checkpoints", "models.images"]


def test_every_subpackage_is_covered():
    packages = {p.parent.relative_to(REPO_ROOT).as_posix().replace("/", ".")
                for p in (REPO_ROOT / "models").rglob("__init__.py")}
    assert packages <= {"models", *MODULES} and {"models.gan", "models.vae", "models.metrics"} <= packages


@pytest.mark.slow  # fresh interpreters
def test_models_import_neither_web_nor_queue_nor_job_code():
    code = (
        "import importlib, sys\n"
        f"for name in {MODULES!r}: importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {SERVICE!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == ""


@pytest.mark.slow  # fresh interpreters
def test_light_modules_do_not_import_tensorflow():
    """What the API, the job package and the worker parent use from models/ stays TensorFlow-free."""
    code = f"import importlib, sys\nfor m in {TF_FREE!r}: importlib.import_module(m)\nprint('tensorflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr[-2000:]
