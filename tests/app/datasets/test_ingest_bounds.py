"""What an upload may cost, whatever its files claim (issue 11 defects 1, 5 and 9)."""
from __future__ import annotations

import io
import time
import tracemalloc
import zlib

import pytest
from PIL import Image

from app.datasets.ingest import Limits, NoImages, TooLarge, Upload, ingest
from tests.app.factories import assert_error, distinct_pngs, leftovers, upload_zip, zip_bytes
from tests.utils.hostile import GIB, forged_zip, png_header_only, zip_with_raw_member

MB = 1024 * 1024
LIMITS = Limits(max_images=100, max_image_pixels=4096 * 4096, max_extracted_bytes=10 * MB)


class CountingFile(io.BytesIO):
    """Counts the bytes read from it: how much of the compressed upload was consumed."""

    bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def run(uploads: dict[str, bytes], limits: Limits = LIMITS) -> tuple[int, list[dict], int]:
    """(images saved, rejected, rejected_omitted)."""
    saved = []
    files = [Upload(name, io.BytesIO(data)) for name, data in uploads.items()]
    report = ingest(files, resolution=16, limits=limits, save=saved.append)
    return len(saved), report.rejected, report.rejected_omitted


def one_bit_png(side: int, marker: int = 0) -> bytes:
    """A tiny file that decodes to side x side pixels (the decode-amplification case)."""
    image = Image.new("1", (side, side), 0)
    image.putpixel((marker % side, 0), 1)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def test_forged_member_is_inflated_only_as_far_as_it_declares():
    """Defect 1: 1 GiB of zeros behind headers that declare 4,096 bytes."""
    upload = CountingFile(forged_zip(declared=4096, inflated=GIB))
    tracemalloc.start()
    try:
        with pytest.raises(NoImages) as caught:
            ingest([Upload("bomb.zip", upload)], resolution=16, limits=LIMITS, save=lambda image: None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.details["rejected"][0]["file"] == "zeros.png"
    assert peak < 8 * MB  # the old whole-member read held the full 1 GiB
    assert upload.bytes_read < 512 * 1024  # of the ~1 MB compressed stream: inflating stopped early


def test_forged_upload_is_a_quick_4xx_and_leaves_nothing(client, data_dir):
    started = time.monotonic()
    response = upload_zip(client, forged_zip(declared=4096, inflated=GIB))
    assert time.monotonic() - started < 5
    assert_error(response, 422, "no_images")
    assert leftovers(data_dir) == []


def test_real_inflated_bytes_are_capped_in_total():
    members = {f"{i}.bin": bytes(300_000) for i in range(4)}  # declared honestly: 1.2 MB in all
    limits = Limits(max_images=10, max_image_pixels=100, max_extracted_bytes=1_000_000)
    with pytest.raises(TooLarge):  # refused on the declared sizes already
        run({"set.zip": zip_bytes(members)}, limits)
    capped = Limits(max_images=10, max_image_pixels=100, max_extracted_bytes=10 * MB, max_member_bytes=100_000)
    with pytest.raises(TooLarge):  # and on the real size of one member
        run({"set.zip": zip_bytes(members)}, capped)


def test_byte_identical_copies_are_not_decoded_again():
    """Defect 5: copies are found on the raw bytes; with a budget of 1.5 images, 50 copies still pass."""
    side = 1024
    copies = zip_bytes({f"copy{i}.png": one_bit_png(side) for i in range(50)})
    limits = Limits(max_images=100, max_image_pixels=side * side, max_extracted_bytes=10 * MB,
                    max_decode_pixels=side * side * 3 // 2)
    saved, rejected, _ = run({"copies.zip": copies}, limits)
    assert saved == 1
    assert len(rejected) == 49 and {r["reason"] for r in rejected} == {"duplicate"}


def test_decode_pixel_budget_stops_distinct_images_before_decoding():
    side = 1024
    distinct = zip_bytes({f"img{i}.png": one_bit_png(side, marker=i) for i in range(5)})
    limits = Limits(max_images=100, max_image_pixels=side * side, max_extracted_bytes=10 * MB,
                    max_decode_pixels=side * side * 3)
    with pytest.raises(TooLarge) as caught:
        run({"distinct.zip": distinct}, limits)
    assert caught.value.details == {"max_decode_pixels": side * side * 3}


def test_decode_cpu_budget(make_client, data_dir):
    client = make_client(max_decode_seconds=1e-6)
    error = assert_error(upload_zip(client, zip_bytes({"a.png": one_bit_png(512)})), 413, "too_large")
    assert "CPU seconds" in error["message"]
    assert leftovers(data_dir) == []


def test_huge_header_dimensions_are_refused_before_decoding(client, data_dir):
    started = time.monotonic()
    response = client.post("/v1/datasets", files={"files": ("huge.png", png_header_only(60_000, 60_000), "image/png")})
    assert time.monotonic() - started < 2
    assert_error(response, 413, "too_large")
    assert leftovers(data_dir) == []


def test_rejected_list_is_capped_with_a_count_and_short_names(client):
    """Defect 9: 500 rejected names of 65,000 chars used to make a 32.5 MB dataset.json."""
    members = {f"{i:03d}" + "n" * 60_000 + ".txt": b"not an image" for i in range(150)}
    members["good.png"] = distinct_pngs(1)[0]
    response = upload_zip(client, zip_bytes(members))
    assert response.status_code == 201, response.text
    dataset = response.json()
    assert len(dataset["rejected"]) == 100 and dataset["rejected_omitted"] == 50
    assert max(len(item["file"]) for item in dataset["rejected"]) <= 203
    assert len(client.get("/v1/datasets").content) < 50_000


def test_damaged_deflate_stream_is_a_rejected_member_not_a_crash():
    """Found by tools/fuzz_ingest.py: zlib.error ("invalid distance too far back") escaped the ingest (a 500)."""
    good = distinct_pngs(1)[0]
    damaged = zip_with_raw_member(b"\x04\x00\xfe\xff" + bytes(64), 1000, 0, "damaged.png")  # a far-back distance
    saved, rejected, _ = run({"damaged.zip": damaged, "good.png": good})
    assert saved == 1 and rejected == [{"file": "damaged.png", "reason": "corrupt_archive_entry"}]


def test_member_without_a_name_is_skipped_not_a_crash():
    """Found by tools/fuzz_ingest.py: an empty member name made zipfile raise IndexError (a 500)."""
    nameless = zip_with_raw_member(zlib.compress(b"x", wbits=-15), 1, zlib.crc32(b"x"), "")
    with pytest.raises(NoImages):
        run({"nameless.zip": nameless})
