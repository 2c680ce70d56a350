"""Small in-memory images and archives for upload tests."""
from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from models import storage
from models.errors import ModelNotFoundError
from models.loading import SeededGenerator


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (16, 16), color=(200, 30, 30), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def distinct_pngs(count: int, size: tuple[int, int] = (16, 16)) -> list[bytes]:
    """`count` PNGs that differ in pixels (so none is dropped as a duplicate)."""
    return [image_bytes("PNG", size, (i * 7 % 256, i * 13 % 256, i // 37)) for i in range(count)]


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_of_pngs(count: int, size: tuple[int, int] = (16, 16)) -> bytes:
    return zip_bytes({f"images/{i:03d}.png": data for i, data in enumerate(distinct_pngs(count, size))})


def upload_zip(client, data: bytes, filename: str = "set.zip", **fields):
    return client.post("/v1/datasets", files={"file": (filename, data, "application/zip")}, data=fields)


def upload_files(client, files: list[tuple[str, bytes]], **fields):
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    return client.post("/v1/datasets", files=parts, data=fields)


def decode_png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    image.load()
    return image


def leftovers(data_dir: Path) -> list[Path]:
    """Anything in DATA_DIR/datasets or DATA_DIR/tmp (a failed upload must leave neither)."""
    return [p for folder in ("datasets", "tmp") if (data_dir / folder).is_dir() for p in (data_dir / folder).iterdir()]


def assert_error(response, status: int, code: str) -> dict:
    """The response has the API's error shape with this status and code; returns the error."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return body["error"]


def write_model_card(data_dir: Path, model_id: str, resolution: int = 16, root: Path | None = None, **card) -> Path:
    """A model folder with its card and stand-in network files (no TensorFlow); returns the folder."""
    folder = (root or storage.models_root(data_dir)) / model_id
    folder.mkdir(parents=True, exist_ok=True)
    card = {
        "id": model_id, "family": "gan", "architecture": "lite", "resolution": resolution, "latent_dim": 8,
        "parent_id": None, "dataset_id": None, "job_id": None, "created_at": "2025-01-01T00:00:00+00:00",
        "metrics": {}, "card": {}, **card,
    }
    for name in (storage.GENERATOR_EMA_FILE, storage.FAMILY_FILES[card["family"]]):
        (folder / name).write_bytes(b"weights stand-in")
    storage.write_json_atomic(folder / storage.MODEL_CARD, card)
    return folder


class FakeGenerator(SeededGenerator):
    """A SeededGenerator whose network is a fixed numpy projection: no TensorFlow, same batching code.

    Pixels depend only on psi * latent, like the real one; `calls` records the rows of each network call.
    """

    memory_bytes = 1000

    def __init__(self, fingerprint: str = "fake", resolution: int = 16, latent_dim: int = 8, batch_size: int = 4):
        card = {"family": "gan", "resolution": resolution, "latent_dim": latent_dim}
        super().__init__("fake", Path("."), card, network=None, fingerprint=fingerprint)
        self.batch_size = batch_size
        self.calls: list[int] = []
        self._projection = np.random.default_rng(0).standard_normal((latent_dim, resolution * resolution * 3))

    def _compile(self):
        def run(z, psi):
            assert z.shape == (self.batch_size, self.latent_dim)  # always the fixed, padded size
            self.calls.append(int(np.count_nonzero(np.any(z != 0, axis=1))))
            pixels = np.tanh((z * psi[:, None]) @ self._projection)
            return pixels.reshape(self.batch_size, self.resolution, self.resolution, 3).astype(np.float32)

        self._compiled = run
        return run


def fake_loader(loaded: list[str]):
    """A stand-in for app.generation._load: a FakeGenerator whose fingerprint hashes the weights file."""

    def load(model_id: str, data_dir: Path) -> FakeGenerator:
        folder = storage.model_dir(data_dir, model_id)
        if folder is None:
            raise ModelNotFoundError(model_id)
        loaded.append(model_id)
        weights = (folder / storage.GENERATOR_EMA_FILE).read_bytes()
        return FakeGenerator(fingerprint=hashlib.sha256(weights).hexdigest()[:20])

    return load
