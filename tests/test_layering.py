"""The layers of the tree: who may import whom, and which processes stay free of TensorFlow.

models/  TensorFlow/Keras + numpy; imports none of app/, jobs/, worker/ (tests/models/test_layering.py)
jobs/    TF-free job package; imports models/ (TF-free parts) but neither app/ nor worker/
app/     the API; reaches jobs through jobs/, never imports worker/; creating it loads no TensorFlow
worker/  the runner; builds on jobs/ and models/; its parent process loads no TensorFlow (only the horse does)

The import rules are read from the source (every file, so a lazy import inside a function counts
too); what a process loads is checked by importing it in a fresh interpreter.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
TENSORFLOW = ("tensorflow", "keras")


def imported_packages(package: str) -> dict[str, set[str]]:
    """file -> top-level names it imports, for every .py file of a package."""
    found = {}
    for path in sorted((REPO_ROOT / package).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(REPO_ROOT))] = names
    return found


@pytest.mark.parametrize(("package", "forbidden"), [
    ("models", {"app", "jobs", "worker", "fastapi", "starlette", "rq", "redis"}),
    ("jobs", {"app", "worker", "fastapi", "starlette", "tensorflow", "keras"}),
    ("app", {"worker"}),
])
def test_packages_import_only_the_layers_below_them(package, forbidden):
    offenders = {path: sorted(names & forbidden) for path, names in imported_packages(package).items()
                 if names & forbidden}
    assert offenders == {}


def test_saved_networks_are_loaded_in_one_place():
    """models.loading.load_network is the one caller of keras.saving.load_model (safe_mode, custom layers)."""
    callers = []
    for package in ("app", "jobs", "worker", "models", "bench", "tests"):
        for path in (REPO_ROOT / package).rglob("*.py"):
            calls = [node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Call)
                     and isinstance(node.func, ast.Attribute) and node.func.attr == "load_model"]
            if calls and path != REPO_ROOT / "models" / "loading.py":
                callers.append(str(path.relative_to(REPO_ROOT)))
    assert callers == []


def _loaded_after(code: str) -> set[str]:
    """Modules loaded by running `code` in a fresh interpreter: full names and their top-level packages."""
    probe = code + "\nimport sys\nprint(','.join(sorted(set(sys.modules) | {m.split('.')[0] for m in sys.modules})))\n"
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return set(result.stdout.strip().splitlines()[-1].split(","))


@pytest.mark.slow  # fresh interpreters
def test_creating_the_app_loads_neither_tensorflow_nor_the_worker(tmp_path):
    loaded = _loaded_after(
        "from app.main import create_app\nfrom app.settings import Settings\n"
        f"create_app(Settings(redis_url='redis://127.0.0.1:1/0', data_dir={str(tmp_path)!r}))\n"
    )
    assert "jobs.queue" in loaded  # the probe sees the app's imports
    assert loaded & {*TENSORFLOW, "worker", "models.training", "models.setup"} == set()


@pytest.mark.slow  # fresh interpreters
def test_the_worker_parent_and_the_jobs_package_load_no_tensorflow():
    """The RQ parent forks a horse per job: TensorFlow must only ever be imported in the horse."""
    modules = ["worker.__main__", "worker.training_worker", "worker.jobs", "worker.hooks", "worker.recovery",
               "worker.lease", *(f"jobs.{p.stem}" for p in sorted((REPO_ROOT / "jobs").glob("*.py")))]
    loaded = _loaded_after("import importlib\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules))
    assert "worker.training_worker" in loaded
    assert loaded & {*TENSORFLOW, "app", "fastapi"} == set()
