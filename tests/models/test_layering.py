"""models/ is the core: it must not know the web or queue layers."""
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULES = ["models." + p.stem for p in (REPO_ROOT / "models").glob("*.py") if p.stem != "__init__"]
MODULES += ["models.gan." + p.stem for p in (REPO_ROOT / "models" / "gan").glob("*.py") if p.stem != "__init__"]


def test_models_import_neither_web_nor_queue_code():
    code = (
        "import importlib, sys\n"
        f"for name in {MODULES!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette', 'rq', 'redis'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == ""


def test_config_and_storage_do_not_import_tensorflow():
    code = "import sys, models.config, models.storage, models.errors; print('tensorflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr[-2000:]
