"""How far each layer of a fine-tuned generator moved from the base it started from.

    .venv/bin/python tools/layer_change.py models/pretrained/emoji64-gan var/models/<fine-tuned id>

Prints, per layer with a kernel, ||W_tuned - W_base|| / ||W_base||, for the EMA generators (the served ones)
of two model folders of the same architecture. A diagnostic for issue 9: which layers a recipe actually
changes (coarse layers decide which figure a seed draws, fine ones its colour and line).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from models.loading import load_network, served_weights_file  # noqa: E402


def layer_changes(base, tuned) -> list[tuple[str, tuple, float]]:
    """(layer name, kernel shape, relative change) for each layer of `base` with a kernel, in order."""
    rows = []
    for layer in base.layers:
        kernels = [w for w in layer.weights if len(w.shape) > 1]
        if not kernels:
            continue
        before = np.asarray(kernels[0])
        after = np.asarray([w for w in tuned.get_layer(layer.name).weights if len(w.shape) > 1][0])
        if after.shape != before.shape:
            raise SystemExit(f"layer {layer.name}: shapes differ ({before.shape} vs {after.shape})")
        rows.append((layer.name, before.shape, float(np.linalg.norm(after - before) / np.linalg.norm(before))))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", type=Path, help="the base model's folder")
    parser.add_argument("tuned", type=Path, nargs="+", help="fine-tuned model folders")
    args = parser.parse_args()
    base = load_network(served_weights_file(args.base))
    for folder in args.tuned:
        print(folder.name)
        for name, shape, change in layer_changes(base, load_network(served_weights_file(folder))):
            print(f"  {name:<12} {str(shape):<20} {change:.3f}")


if __name__ == "__main__":
    main()
