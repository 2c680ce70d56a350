"""Checkpoint files: a process killed in the middle of writing one leaves the previous one intact."""
import subprocess
import sys

import numpy as np
import pytest

from models.atomic import TEMP_PREFIX
from models.checkpoints import CHECKPOINT_NAME, checkpoint_step, restore_checkpoint
from tests.conftest import REPO_ROOT

# A "model" with one variable; the second save is killed (os._exit, like SIGKILL: no cleanup runs)
# after half of the file is written.
KILLED_WRITER = """
import os, sys
import numpy as np
from pathlib import Path
from models import checkpoints

class Var:
    def __init__(self, value): self.value = np.asarray(value, np.float32)
    def numpy(self): return self.value

class Model:
    def __init__(self, value): self.var = Var(value)
    def checkpoint_groups(self): return {"weights": [self.var]}

folder = Path(sys.argv[1])
checkpoints.save_checkpoint(Model(np.ones(1000)), folder, step=10)
real_savez = np.savez
def dying_savez(f, **arrays):
    f.write(b"PK\\x03\\x04 half a zip file")
    f.flush()
    os._exit(9)
np.savez = dying_savez
checkpoints.save_checkpoint(Model(np.zeros(1000)), folder, step=20)
"""


class _Variable:
    def __init__(self):
        self.value = None

    def assign(self, value):
        self.value = np.asarray(value)


class _Model:
    def __init__(self):
        self.var = _Variable()

    def checkpoint_groups(self):
        return {"weights": [self.var]}


@pytest.mark.slow  # kills a writer process
def test_a_kill_during_a_write_keeps_the_last_good_checkpoint(tmp_path):
    folder = tmp_path / "checkpoints"
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(folder)], cwd=REPO_ROOT)
    assert done.returncode == 9
    assert len(list(folder.glob(f"{TEMP_PREFIX}*"))) == 1  # the half-written temp file

    assert checkpoint_step(folder) == 10
    model = _Model()
    assert restore_checkpoint(model, folder) == 10
    assert np.array_equal(model.var.value, np.ones(1000, np.float32))
    assert sorted(p.name for p in folder.iterdir()) == [CHECKPOINT_NAME]  # the leftover is cleaned up
