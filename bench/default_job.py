"""The default fine-tune as a user gets it, through the HTTP API, scored on held-out images.

    .venv/bin/python bench/default_job.py --data ../shared/data/emoji --shots 100,10
    .venv/bin/python bench/default_job.py --data var/targets --prefix clipart64 --shots 100 --scratch

Starts the service (`python -m app.serve` on a free port with a fresh DATA_DIR; the local Redis's db 14
when one answers, else the embedded one), then for each shot count:
- uploads <prefix>_train<shots>.zip as a user would (POST /v1/datasets, default options: 10% held out
  for validation from 50 images up, none below);
- scores the base's zero-shot images;
- POST /v1/jobs with ONLY dataset_id and base_model_id (the default recipe, preset "auto"), waits for it;
- with --scratch, the same from scratch (base_model_id null) at the same step count;
- with --also NAME='{"option": value}' (repeatable), one more job per NAME on the same upload with those
  options on top of dataset_id and base_model_id, to measure a candidate default side by side;
- with several comma-separated --base ids, the zero-shot score and the default job for each base on the
  same upload, one after the other in the same run (scratch once, beside the first), to compare bases;
- fetches --samples images of each model by seed through POST /v1/models/{id}/images (seeds 0, 1, ...)
  and scores them with bench/scoring.py against <prefix>_eval.zip (KID-EffLite0, KID-EffLite2, SWD,
  memorisation ratio against every uploaded image: copies of validation images count too).
Reports each job's wall time from submit to succeeded and the training CPU time its model card records.
Writes bench/results/default_job[_<prefix>].json and _grid.png (seeds 0-7 of every scored model, one row each).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from scoring import Scorer, read_zip, require_files, write_sample_rows  # noqa: E402  (bench/scoring.py)

RECIPE_FIELDS = ("method", "augment", "learning_rate", "r1_gamma", "batch_size", "discriminator",
                 "projected_resolution", "projected_pixel", "projected_pixel_weight")
ZIP_BATCH = 250  # seeds per POST .../images (the server's max_zip_images is 256)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def local_redis_url() -> str | None:
    import redis

    try:
        if redis.Redis.from_url("redis://127.0.0.1:6379/14", socket_connect_timeout=0.5).ping():
            return "redis://127.0.0.1:6379/14"
    except (redis.RedisError, OSError):
        pass
    return None


class Service:
    """`python -m app.serve` in a fresh DATA_DIR, stopped on exit."""

    def __init__(self, data_dir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, DATA_DIR=str(data_dir), PORT=str(self.port), LOG_LEVEL="WARNING")
        redis_url = local_redis_url()
        if redis_url:
            import redis

            redis.Redis.from_url(redis_url).flushdb()  # db 14 is this benchmark's
            env["REDIS_URL"] = redis_url
        self.process = subprocess.Popen([sys.executable, "-m", "app.serve"], cwd=REPO, env=env)

    def __enter__(self):
        import httpx

        self.client = httpx.Client(base_url=self.url, timeout=120)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if self.client.get("/readyz").status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError("the service did not become ready in 120 s")

    def __exit__(self, *exc):
        self.client.close()
        self.process.terminate()
        self.process.wait(timeout=60)


def upload(client, zip_path: Path) -> dict:
    with open(zip_path, "rb") as f:
        response = client.post("/v1/datasets", files={"file": (zip_path.name, f, "application/zip")},
                               data={"name": zip_path.stem})
    response.raise_for_status()
    return response.json()


def run_job(client, body: dict) -> tuple[dict, float]:
    started = time.monotonic()
    response = client.post("/v1/jobs", json=body)
    if response.status_code != 202:
        raise RuntimeError(f"POST /v1/jobs {body} -> {response.status_code} {response.text}")
    job_id = response.json()["id"]
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "canceled"):
            break
        time.sleep(2)
    if job["status"] != "succeeded":
        raise RuntimeError(f"job {job_id} ended {job['status']}: {job.get('error')}")
    return job, time.monotonic() - started


def images_by_seed(client, model_id: str, count: int) -> np.ndarray:
    images = []
    for start in range(0, count, ZIP_BATCH):
        seeds = list(range(start, min(start + ZIP_BATCH, count)))
        response = client.post(f"/v1/models/{model_id}/images", json={"seeds": seeds})
        response.raise_for_status()
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            names = sorted(archive.namelist(), key=lambda n: int("".join(filter(str.isdigit, n))))
            images.extend(np.asarray(Image.open(io.BytesIO(archive.read(n))).convert("RGB")) for n in names)
    return np.stack(images)


GRID_SAMPLES = 8  # seeds 0..7 of each scored model, one row each in the grid


def score_model(client, scorer: Scorer, model_id: str, train_images: np.ndarray, count: int) -> dict:
    images = images_by_seed(client, model_id, count)
    row = scorer.score_images(images, train_images)
    row.pop("fakes")
    return {**row, "grid": images[:GRID_SAMPLES]}


def trained_row(client, scorer: Scorer, body: dict, run: str, shots: int, zip_images: np.ndarray,
                samples: int) -> tuple[dict, dict]:
    """POST /v1/jobs with `body`, wait, and score the model: (its row, the finished job)."""
    job, wall = run_job(client, body)
    view = client.get(f"/v1/models/{job['model_id']}").json()
    served_step = view["metrics"].get("served_step")  # set when the job evaluated (eval_every)
    row = {"run": run, "base": body["base_model_id"], "shots": shots, "steps": view["card"]["steps"],
           "job_wall_seconds": round(wall, 1), "train_cpu_seconds": view["card"].get("cpu_seconds"),
           **({"served_step": served_step} if served_step is not None else {}),
           **score_model(client, scorer, job["model_id"], zip_images, samples)}
    return row, job


def run_base(client, scorer: Scorer, dataset: dict, base: str, shots: int, zip_images: np.ndarray, args,
             scratch: bool) -> list[dict]:
    """One base on one upload: its zero-shot images, the default job on it and, with `scratch`, the same
    steps from scratch; each row names the base."""
    rows = [{"run": "base_zero_shot", "base": base, "shots": shots, "steps": 0,
             **score_model(client, scorer, base, zip_images, args.samples)}]
    print(_format(rows[-1]), flush=True)
    row, job = trained_row(client, scorer, {"dataset_id": dataset["id"], "base_model_id": base},
                           "default_finetune", shots, zip_images, args.samples)
    # the options the preset resolved to, as the job was queued
    rows.append({**row, "recipe": {k: (job["config"] or {}).get(k) for k in RECIPE_FIELDS}})
    print(_format(rows[-1]), flush=True)
    steps = row["steps"]
    for name, options in args.also:
        row, _ = trained_row(client, scorer, {"dataset_id": dataset["id"], "base_model_id": base, **options},
                             name, shots, zip_images, args.samples)
        rows.append({**row, "options": options})
        print(_format(rows[-1]), flush=True)
    if scratch:
        row, _ = trained_row(client, scorer, {"dataset_id": dataset["id"], "base_model_id": None, "steps": steps},
                             "scratch", shots, zip_images, args.samples)
        rows.append(row)
        print(_format(rows[-1]), flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--prefix", default="openmoji64")
    parser.add_argument("--shots", default="100,10")
    parser.add_argument("--base", default="emoji64-gan",
                        help="a base model id, or several, comma-separated, each fine-tuned on the same upload")
    parser.add_argument("--scratch", action="store_true", help="also train from scratch at the same step count")
    parser.add_argument("--also", action="append", default=[], type=_named_options, metavar="NAME=JSON",
                        help="one more job with these options beside the default one (repeatable)")
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    shots_list = [int(s) for s in args.shots.split(",")]
    bases = args.base.split(",")
    data = require_files(args.data, [f"{args.prefix}_eval.zip"] + [f"{args.prefix}_train{n}.zip" for n in shots_list],
                         "bench/default_job.py")
    out = args.out or REPO / "bench" / "results" / (
        "default_job.json" if args.prefix == "openmoji64" else f"default_job_{args.prefix}.json")
    scorer = Scorer(read_zip(data / f"{args.prefix}_eval.zip"), args.samples, REPO / "var" / "cache" / "features")
    rows = []
    with Service(Path(tempfile.mkdtemp(prefix="default-job-"))) as service:
        client = service.client
        for shots in shots_list:
            zip_path = data / f"{args.prefix}_train{shots}.zip"
            zip_images = read_zip(zip_path)
            dataset = upload(client, zip_path)
            print(f"{shots} shots: dataset {dataset['id']} ({dataset['num_train']} train, {dataset['num_val']} val)",
                  flush=True)
            for base in bases:
                # scratch does not depend on the base: trained once, beside the first base's job
                rows += run_base(client, scorer, dataset, base, shots, zip_images, args,
                                 scratch=args.scratch and base == bases[0])
    _add_ratios(rows)
    print()
    for row in rows:
        print(_format(row))
    out.parent.mkdir(parents=True, exist_ok=True)
    # seeds 0..7 of every scored model as the API served them, one row per line of the table
    write_sample_rows([r["grid"] for r in rows], out.with_name(f"{out.stem}_grid.png"), GRID_SAMPLES)
    clean = [{k: (round(v, 6) if isinstance(v, float) else v) for k, v in r.items() if k != "grid"} for r in rows]
    base = bases[0] if len(bases) == 1 else bases
    out.write_text(json.dumps({"target": args.prefix, "base": base, "networks": scorer.labels,
                               "samples": args.samples, "rows": clean}, indent=2) + "\n")
    print(f"wrote {out}")


def _named_options(text: str) -> tuple[str, dict]:
    name, _, options = text.partition("=")
    parsed = json.loads(options)
    if not name or not isinstance(parsed, dict):
        raise argparse.ArgumentTypeError("expected NAME={json object}")
    return name, parsed


def _add_ratios(rows):
    for row in rows:
        if row["run"] in ("base_zero_shot", "scratch"):
            continue
        for reference in ("base_zero_shot", "scratch"):
            other = next((r for r in rows if r["shots"] == row["shots"] and r["run"] == reference
                          and r["base"] in (row["base"], None)), None)
            if other is not None:
                row[f"kid_ratio_vs_{reference}"] = row["kid_mean"] / other["kid_mean"]


def _format(row: dict) -> str:
    second = f" EffLite2 {row['kid_mean_efflite2']:.4f}" if "kid_mean_efflite2" in row else ""
    ratios = " ".join(f"{k[10:]}={v:.3f}" for k, v in row.items() if k.startswith("kid_ratio_vs_"))
    timing = (f" wall {row['job_wall_seconds']:.0f} s, cpu {row['train_cpu_seconds']:.0f} s"
              if row.get("job_wall_seconds") else "")
    served = f" served step {row['served_step']}" if row.get("served_step") is not None else ""
    return (f"{row['run']:<17} {row['base'] or '-':<15} {row['shots']:>5} shots {row['steps']:>6} steps  "
            f"KID {row['kid_mean']:.4f} ± {row['kid_std']:.4f}{second}  SWD {row['swd']:.1f}"
            f"  blank {row['blank_share']:.2f}  memo {row['memorization_ratio']:.3f}{timing}{served} {ratios}")


if __name__ == "__main__":
    main()
