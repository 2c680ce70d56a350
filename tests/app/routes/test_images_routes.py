"""Image routes with a stand-in generator: seeds, ETags and 304, truncation, grids, interpolation, zips, bounds."""
from __future__ import annotations

import io
import os
import zipfile

import numpy as np
import pytest
from PIL import Image

from app import generation
from tests.app.factories import assert_error, decode_png, fake_loader, write_model_card


@pytest.fixture
def loads(monkeypatch) -> list[str]:
    """Model ids the app loaded, in order; loading returns a FakeGenerator (16x16)."""
    loaded: list[str] = []
    monkeypatch.setattr(generation, "_load", fake_loader(loaded))
    return loaded


@pytest.fixture
def m1(data_dir, loads):
    return write_model_card(data_dir, "m1")


def pixels(response) -> np.ndarray:
    return np.asarray(decode_png(response.content))


def test_png_is_deterministic_and_cacheable(client, m1, loads):
    first, again, other = (client.get(f"/v1/models/m1/images/{seed}.png") for seed in (7, 7, 8))
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert decode_png(first.content).size == (16, 16)
    assert first.content == again.content and first.content != other.content
    assert first.headers["etag"] == again.headers["etag"] != other.headers["etag"]
    assert first.headers["etag"].startswith('"')  # strong
    assert first.headers["cache-control"] == "private, max-age=31536000, immutable"  # sent to one key
    assert loads == ["m1"]  # loaded once, then served from the cache


def test_repeated_seeds_come_from_the_byte_cache(client, m1):
    client.get("/v1/models/m1/images/7.png")
    generator = client.app.state.generators._entries["m1"].generator
    calls = len(generator.calls)
    for _ in range(3):
        client.get("/v1/models/m1/images/7.png")
    assert len(generator.calls) == calls


def test_if_none_match_gives_304(client, m1):
    etag = client.get("/v1/models/m1/images/1.png").headers["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = client.get("/v1/models/m1/images/1.png", headers={"If-None-Match": header})
        assert response.status_code == 304 and response.content == b""
        assert response.headers["etag"] == etag
    assert client.get("/v1/models/m1/images/1.png", headers={"If-None-Match": '"other"'}).status_code == 200


def test_etag_follows_the_weights_content_not_their_mtime(make_client, m1, loads):
    client = make_client(model_check_interval_s=0)
    etag = client.get("/v1/models/m1/images/1.png").headers["etag"]
    weights = m1 / "generator_ema.keras"
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))
    assert client.get("/v1/models/m1/images/1.png").headers["etag"] == etag  # reloaded, same bytes: same tag
    weights.write_bytes(b"new weights")
    assert client.get("/v1/models/m1/images/1.png").headers["etag"] != etag
    assert loads == ["m1", "m1", "m1"]


def test_files_are_checked_at_most_every_interval(make_client, m1, loads):
    client = make_client(model_check_interval_s=3600)
    client.get("/v1/models/m1/images/1.png")
    (m1 / "generator_ema.keras").write_bytes(b"new weights")
    client.get("/v1/models/m1/images/1.png")
    assert loads == ["m1"]


@pytest.mark.parametrize("seed", ["0", "4294967295"])
def test_seed_range_ends(client, m1, seed):
    assert client.get(f"/v1/models/m1/images/{seed}.png").status_code == 200


@pytest.mark.parametrize("seed", ["-1", "4294967296", "99999999999", "abc", "1.5", "1e3"])
def test_invalid_seed(client, m1, loads, seed):
    assert_error(client.get(f"/v1/models/m1/images/{seed}.png"), 422, "invalid_seed")
    assert loads == []


def test_unknown_model_is_404(client, loads):
    assert_error(client.get("/v1/models/nope/images/1.png"), 404, "model_not_found")
    assert_error(client.get("/v1/models/nope/grid.png"), 404, "model_not_found")
    assert loads == []


def test_truncation_changes_the_image_and_psi_1_is_the_plain_image(client, m1):
    url = "/v1/models/m1/images/5.png"
    plain = client.get(url)
    same = client.get(url, params={"truncation": "1.0"})
    assert same.content == plain.content and same.headers["etag"] == plain.headers["etag"]
    half = client.get(url, params={"truncation": 0.5})
    assert half.status_code == 200 and half.content != plain.content
    other_psi = client.get(url, params={"truncation": 0.6})
    assert half.headers["etag"] not in (plain.headers["etag"], other_psi.headers["etag"])
    assert client.get(url, params={"truncation": 0.5}).content == half.content
    # psi = 0: every seed gives the same (average) image
    assert client.get(url, params={"truncation": 0}).content == client.get(
        "/v1/models/m1/images/6.png", params={"truncation": 0}
    ).content


@pytest.mark.parametrize("psi", ["-0.1", "1.01", "nan", "abc"])
def test_truncation_out_of_range(client, m1, psi):
    assert_error(client.get("/v1/models/m1/images/5.png", params={"truncation": psi}), 422, "validation_error")


def test_grid_of_listed_seeds(client, m1):
    response = client.get("/v1/models/m1/grid.png", params={"seeds": "1,2,3", "columns": 2})
    assert response.status_code == 200 and response.headers["etag"].startswith('"')
    grid = pixels(response)
    assert grid.shape == (2 * 18 + 2, 2 * 18 + 2, 3)
    # each cell is that seed's image (2 px white padding)
    second = pixels(client.get("/v1/models/m1/images/2.png"))
    assert np.array_equal(grid[2:18, 20:36], second)
    assert client.get("/v1/models/m1/grid.png", params={"seeds": "1,2,3", "columns": 2},
                      headers={"If-None-Match": response.headers["etag"]}).status_code == 304


def test_grid_by_range(client, m1):
    response = client.get("/v1/models/m1/grid.png", params={"start": 10, "count": 16, "columns": 4})
    assert decode_png(response.content).size == (4 * 18 + 2, 4 * 18 + 2)
    default = client.get("/v1/models/m1/grid.png", params={"count": 5})  # start 0, ceil(sqrt(5)) = 3 columns
    assert decode_png(default.content).size == (3 * 18 + 2, 2 * 18 + 2)


def test_grid_bounds(make_client, m1, loads):
    client = make_client(max_grid_images=8)
    assert_error(client.get("/v1/models/m1/grid.png", params={"count": 9}), 422, "too_many_images")
    assert_error(client.get("/v1/models/m1/grid.png", params={"seeds": ",".join(map(str, range(9)))}),
                 422, "too_many_images")
    assert_error(client.get("/v1/models/m1/grid.png", params={"count": 0}), 422, "validation_error")
    assert_error(client.get("/v1/models/m1/grid.png", params={"seeds": "1,x"}), 422, "invalid_seed")
    assert_error(client.get("/v1/models/m1/grid.png", params={"seeds": "1", "start": 3}), 422, "invalid_grid")
    assert_error(client.get("/v1/models/m1/grid.png", params={"start": 2**32 - 2, "count": 4}), 422, "invalid_seed")
    assert loads == []
    assert client.get("/v1/models/m1/grid.png", params={"count": 8}).status_code == 200


def test_interpolation_strip_and_gif(client, m1):
    params = {"from": 1, "to": 2, "steps": 5}
    strip = client.get("/v1/models/m1/interpolate.png", params=params)
    assert strip.status_code == 200 and strip.headers["content-type"] == "image/png"
    frames = pixels(strip)
    assert frames.shape == (18 + 2, 5 * 18 + 2, 3)
    # the ends are exactly the two seeds' images
    assert np.array_equal(frames[2:18, 2:18], pixels(client.get("/v1/models/m1/images/1.png")))
    assert np.array_equal(frames[2:18, 4 * 18 + 2 : 5 * 18], pixels(client.get("/v1/models/m1/images/2.png")))

    gif = client.get("/v1/models/m1/interpolate.gif", params={**params, "frame_ms": 50})
    assert gif.status_code == 200 and gif.headers["content-type"] == "image/gif"
    image = Image.open(io.BytesIO(gif.content))
    assert image.format == "GIF" and image.size == (16, 16) and image.n_frames == 5
    assert image.info["duration"] == 50
    assert gif.headers["etag"] != strip.headers["etag"]
    assert client.get("/v1/models/m1/interpolate.gif", params={**params, "frame_ms": 50}).content == gif.content


def test_interpolation_bounds(make_client, m1):
    client = make_client(max_interpolation_steps=6)
    url = "/v1/models/m1/interpolate.png"
    assert_error(client.get(url, params={"from": 1, "to": 2, "steps": 7}), 422, "too_many_steps")
    assert_error(client.get(url, params={"from": 1, "to": 2, "steps": 1}), 422, "validation_error")
    assert_error(client.get(url, params={"from": 1}), 422, "validation_error")
    assert_error(client.get(url, params={"from": -1, "to": 2}), 422, "invalid_seed")
    assert_error(client.get("/v1/models/m1/interpolate.gif", params={"from": 1, "to": 2, "frame_ms": 1}),
                 422, "validation_error")
    assert client.get(url, params={"from": 1, "to": 2, "steps": 6}).status_code == 200


def test_zip_of_seeds_matches_single_images(client, m1):
    response = client.post("/v1/models/m1/images", json={"seeds": [3, 1, 3, 20], "truncation": 0.7})
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.namelist() == ["seed0003.png", "seed0001.png", "seed0020.png"]
        member = archive.read("seed0020.png")
    assert member == client.get("/v1/models/m1/images/20.png", params={"truncation": 0.7}).content
    again = client.post("/v1/models/m1/images", json={"seeds": [3, 1, 3, 20], "truncation": 0.7})
    assert again.content == response.content


def test_zip_bounds(make_client, m1, loads):
    client = make_client(max_zip_images=3)
    url = "/v1/models/m1/images"
    assert_error(client.post(url, json={"seeds": [1, 2, 3, 4]}), 422, "too_many_images")
    assert_error(client.post(url, json={"seeds": []}), 422, "validation_error")
    assert_error(client.post(url, json={"seeds": [2**32]}), 422, "validation_error")
    assert_error(client.post(url, json={"seeds": [1], "truncation": 2}), 422, "validation_error")
    assert loads == []
    assert client.post(url, json={"seeds": [1, 2, 3, 1]}).status_code == 200  # duplicates count once


def test_delete_evicts_the_cached_generator(client, m1):
    client.get("/v1/models/m1/images/1.png")
    assert len(client.app.state.generators) == 1
    assert client.delete("/v1/models/m1").status_code == 204
    assert len(client.app.state.generators) == 0
    assert_error(client.get("/v1/models/m1/images/1.png"), 404, "model_not_found")
