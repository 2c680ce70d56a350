"""RunHooks pieces that resume and job progress rely on (no model needed)."""
import json
import math

import pytest

from models import storage
from models.callbacks import RunHooks
from models.errors import TrainingError


def _hooks(run_dir, start_step=0, **kwargs):
    return RunHooks(run_dir=run_dir, start_step=start_step, total_steps=100, batch_size=4, preview_every=1000,
                    checkpoint_every=1000, progress_fn=None, abort_fn=None, **kwargs)


def test_nan_losses_fail_with_advice(tmp_path):
    hooks = _hooks(tmp_path, start_step=6)
    with pytest.raises(TrainingError, match=r"^training diverged at step 7 \(loss is not a number\); try a lower "
                                            r"learning_rate$"):
        hooks.on_train_batch_end(0, {"g_loss": math.nan, "d_loss": 0.5})


def test_a_resumed_run_drops_rows_after_its_checkpoint_and_reports_its_last_evaluation(tmp_path):
    rows = [{"step": 10, "g_loss": 1.0}, {"event": "evaluation", "step": 10, "kid_mean": 0.5},
            {"step": 20, "g_loss": 0.9}, {"event": "evaluation", "step": 30, "kid_mean": 0.4}, {"step": 30}]
    (tmp_path / storage.METRICS_FILE).write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"step": 4')

    hooks = _hooks(tmp_path, start_step=20)

    assert storage.read_jsonl(tmp_path / storage.METRICS_FILE) == rows[:3]
    progress = hooks.progress()
    assert progress.latest_metrics == {"step": 10, "kid_mean": 0.5}
    assert progress.checkpoint_step == 20 and progress.preview_step is None
    assert progress.step == 20 and progress.fraction == 0.2


def test_a_fresh_run_has_no_checkpoint_yet(tmp_path):
    assert _hooks(tmp_path).progress().checkpoint_step is None
