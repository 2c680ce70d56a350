"""Benchmark: images by seed over HTTP against the generator's own batched throughput.

    .venv/bin/python bench/serve.py                # full run, writes bench/results/serve.json
    .venv/bin/python bench/serve.py --duration 3 --out /tmp/serve.json   # a quick check

Measures, in one run, on the shipped 64x64 base (models/pretrained/emoji64-gan):
  (a) the limit: in this process, SeededGenerator.generate() on 32 distinct seeds at a time plus
      encode_png of each image, back to back (what the server does per batch, minus HTTP);
  (b) the real service (uvicorn, app.main:create_app, default settings) with 1, 8 and 32 concurrent
      keep-alive clients asking distinct seeds: images/s, p50 and p99 latency, images/s / limit;
  (c) 32 clients asking again seeds already served (the byte cache): images/s and the speedup.
The limit is measured before the server starts, so the two never share the CPU. The clients are a
minimal asyncio HTTP/1.1 client (no httpx): they share the machine with the server, and a heavy client
would be measured instead of the service. Run it on an otherwise idle machine.
"""
from __future__ import annotations
from machine import background_training  # noqa: E402  (bench/machine.py)

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # CPU: the numbers are this machine's

BASE = "emoji64-gan"
LIMIT_BATCH = 32
LEVELS = (1, 8, 32)
CACHED_SEEDS = 256  # distinct seeds the cached phase cycles through (all in the byte cache)


def measure_limit(duration: float) -> float:
    """Images/s of generate(32 seeds) + encode_png per image, in this process."""
    from models.images import encode_png
    from models.loading import load_generator

    generator = load_generator(BASE, REPO_ROOT / "var")  # a shipped base: DATA_DIR is not read
    seed = 10**9  # far from the seeds the HTTP phases ask for
    for _ in range(3):  # warm-up: trace the compiled function, fill caches
        [encode_png(image) for image in generator.generate(range(seed, seed + LIMIT_BATCH))]
        seed += LIMIT_BATCH
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < duration:
        [encode_png(image) for image in generator.generate(range(seed, seed + LIMIT_BATCH))]
        seed += LIMIT_BATCH
        done += LIMIT_BATCH
    return done / (time.perf_counter() - started)


class Connection:
    """One keep-alive HTTP/1.1 connection: GET, read status and Content-Length body."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str):
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer, host)

    async def get(self, path: str) -> tuple[int, bytes]:
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def load_phase(port: int, clients: int, duration: float, next_seed) -> dict:
    """`clients` connections asking `next_seed()` images back to back for `duration` seconds."""
    latencies: list[float] = []
    errors = 0
    connections = [await Connection.open("127.0.0.1", port) for _ in range(clients)]
    stop_at = time.perf_counter() + duration

    async def client(connection: Connection) -> None:
        nonlocal errors
        while time.perf_counter() < stop_at:
            path = f"/v1/models/{BASE}/images/{next_seed()}.png"
            started = time.perf_counter()
            status, body = await connection.get(path)
            latencies.append(time.perf_counter() - started)
            if status != 200 or not body.startswith(b"\x89PNG"):
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in connections))
    elapsed = time.perf_counter() - started
    for connection in connections:
        connection.close()
    latencies.sort()
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": errors,
        "images_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
        "p99_ms": round(1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1),
    }


def batch_stats(port: int) -> tuple[float, float]:
    """(generator calls, images) so far, from the service's own /metrics."""
    import urllib.request

    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    values = {}
    for line in text.splitlines():
        if line.startswith("transfergen_generator_batch_size_"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    prefix = "transfergen_generator_batch_size"
    return values.get(f"{prefix}_count", 0.0), values.get(f"{prefix}_sum", 0.0)


def start_service(port: int, data_dir: Path) -> subprocess.Popen:
    env = dict(os.environ, DATA_DIR=str(data_dir), LOG_LEVEL="WARNING")
    command = [
        sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1",
        "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the service exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("the service did not start in 120 s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def http_phases(port: int, duration: float) -> dict:
    counter = iter(range(1, 2**31))
    next_seed = counter.__next__  # distinct seeds across all phases: nothing is cached

    await load_phase(port, 1, 0.5, next_seed)  # loads the model and traces the compiled function
    await load_phase(port, 32, min(3.0, duration), next_seed)  # warm-up under load
    results = {}
    for clients in LEVELS:
        calls0, images0 = batch_stats(port)
        results[str(clients)] = await load_phase(port, clients, duration, next_seed)
        calls1, images1 = batch_stats(port)
        results[str(clients)]["mean_batch"] = round((images1 - images0) / max(calls1 - calls0, 1), 1)

    await prime(port, range(CACHED_SEEDS))
    ring = (seed for _ in iter(int, 1) for seed in range(CACHED_SEEDS))  # 0, 1, ..., 255, 0, 1, ...
    return results | {"cached": await load_phase(port, 32, duration, ring.__next__)}


async def prime(port: int, seeds) -> None:
    """Ask each seed once (32 at a time), so the next phase finds them all in the byte cache."""
    connections = [await Connection.open("127.0.0.1", port) for _ in range(32)]
    seeds = list(seeds)
    for start in range(0, len(seeds), len(connections)):
        chunk = seeds[start : start + len(connections)]
        await asyncio.gather(*(c.get(f"/v1/models/{BASE}/images/{s}.png") for c, s in zip(connections, chunk)))
    for connection in connections:
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured phase")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results" / "serve.json")
    args = parser.parse_args()

    from app.settings import Settings
    from models.loading import INFERENCE_BATCH_SIZE

    settings = Settings()  # what the service reads from this environment
    training = background_training()
    if training:
        print("WARNING: a models.pretrain training is running: these numbers are not representative", flush=True)
    print(f"(a) limit: generate({LIMIT_BATCH} seeds) + encode_png, in process, {args.duration:.0f} s ...", flush=True)
    limit = measure_limit(args.duration)
    print(f"    {limit:.1f} images/s", flush=True)

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as data_dir:
        redis_server = None
        if not os.environ.get("REDIS_URL"):  # the service needs a Redis: an embedded one, stopped at the end
            from jobs.embedded_redis import EmbeddedRedis

            redis_server = EmbeddedRedis(Path(data_dir))
            os.environ["REDIS_URL"] = redis_server.start()
        service = start_service(port, Path(data_dir))
        try:
            try:
                import uvloop

                uvloop.install()  # a cheaper client leaves more of the CPU to the service
            except ImportError:
                pass
            phases = asyncio.run(http_phases(port, args.duration))
        finally:
            service.terminate()
            service.wait(30)
            if redis_server is not None:
                redis_server.stop()

    cached = phases.pop("cached")
    uncached_top = phases[str(LEVELS[-1])]["images_per_second"]
    for level in phases.values():
        level["ratio"] = round(level["images_per_second"] / limit, 3)
    report = {
        "limit_images_per_second": round(limit, 1),
        "concurrency": phases,
        "cached": cached,
        "cached_speedup": round(cached["images_per_second"] / uncached_top, 1),
        "model": BASE,
        "settings": {"inference_batch_size": INFERENCE_BATCH_SIZE, "batch_max_size": settings.batch_max_size,
                     "batch_max_wait_ms": settings.batch_max_wait_ms, "image_cache_bytes": settings.image_cache_bytes},
        "phase_seconds": args.duration,
        "background_training": training,
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "python": platform.python_version()},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }

    print(f"\n{'clients':>8} {'images/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6} {'batch':>6} {'errors':>6}")
    for name, level in phases.items():
        print(f"{name:>8} {level['images_per_second']:>9.1f} {level['p50_ms']:>7.1f} {level['p99_ms']:>7.1f} "
              f"{level['ratio']:>6.3f} {level['mean_batch']:>6.1f} {level['errors']:>6}")
    print(f"{'cached':>8} {cached['images_per_second']:>9.1f} {cached['p50_ms']:>7.1f} {cached['p99_ms']:>7.1f}")
    print(f"\nlimit {limit:.1f} images/s; served/limit at {LEVELS[-1]} clients: "
          f"{phases[str(LEVELS[-1])]['ratio']:.3f}; cached speedup {report['cached_speedup']:.1f}x")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
