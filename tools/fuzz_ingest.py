"""Coverage-guided fuzzing of the upload ingest (app.datasets.ingest) with atheris (libFuzzer for Python).

Every input is one uploaded file (a zip or a loose image, told apart by content as in the API). The
ingest may refuse it only with an IngestError (the API's 4xx); any other exception is a finding, and
libFuzzer's own limits catch the rest: -rss_limit_mb (a bomb that inflates in memory) and -timeout (a
decode that takes too long for one request).

    .venv/bin/python tools/fuzz_ingest.py --seeds var/fuzz/seeds      # writes the seed corpus, then exits
    nice -n 10 .venv/bin/python tools/fuzz_ingest.py var/fuzz/corpus var/fuzz/seeds \\
        -max_total_time=300 -rss_limit_mb=1024 -timeout=10 -artifact_prefix=var/fuzz/

libFuzzer prints "Done N runs in T second(s)" at the end; a finding is saved as var/fuzz/crash-<sha1>.
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    import zipfile

    from app.datasets.ingest import IngestError, Limits, Upload, ingest

# Small limits, so inputs that pass them still run in milliseconds; what is tested is that every
# limit holds and nothing but an IngestError gets out.
LIMITS = Limits(max_images=16, max_image_pixels=1024 * 1024, max_extracted_bytes=8 * 1024 * 1024,
                max_member_bytes=4 * 1024 * 1024, max_decode_pixels=4 * 1024 * 1024, max_decode_seconds=5.0)


def test_one_input(data: bytes) -> None:
    try:
        ingest([Upload("fuzz", io.BytesIO(data))], resolution=16, limits=LIMITS, save=lambda image: None)
    except IngestError:
        pass  # refused as the API would refuse it (413/415/422)


def write_seeds(folder: Path) -> None:
    """A few valid files of each kind the ingest reads, for libFuzzer to mutate."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    images = {}
    for fmt, mode in (("PNG", "RGBA"), ("JPEG", "RGB"), ("WEBP", "RGB"), ("BMP", "RGB"), ("GIF", "P"), ("PNG", "1")):
        buffer = io.BytesIO()
        Image.new(mode, (12, 9), 1 if mode in ("P", "1") else (200, 40, 40)).save(buffer, format=fmt)
        images[f"{fmt.lower()}-{mode}"] = buffer.getvalue()
    for name, data in images.items():
        (folder / name).write_bytes(data)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in images.items():
            zf.writestr(f"set/{name}.img", data)
        zf.writestr("__MACOSX/._x", b"junk")
    (folder / "set.zip").write_bytes(archive.getvalue())
    stored = io.BytesIO()
    with zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("a.png", images["png-RGBA"])
    (folder / "stored.zip").write_bytes(stored.getvalue())


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--seeds":
        write_seeds(Path(sys.argv[2]))
        return
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
