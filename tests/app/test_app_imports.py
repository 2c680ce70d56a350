"""The API process stays light: no TensorFlow, training or job code until an image is asked for."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import sys
from app.main import create_app
from app.settings import Settings
create_app(Settings(redis_url="redis://127.0.0.1:1/0", data_dir=sys.argv[1]))
loaded = [m for m in ("tensorflow", "keras", "models.training", "models.loading", "worker.jobs") if m in sys.modules]
print(",".join(loaded))
"""


def test_creating_the_app_imports_no_tensorflow_and_no_job_code(tmp_path):
    result = subprocess.run([sys.executable, "-c", CHECK, str(tmp_path)], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == ""
