"""app.fastpath: images of loaded models answered before routing, with the route's exact bytes and headers."""
from __future__ import annotations

import pytest

from app import generation
from app.byte_cache import ByteCache
from app.fastpath import _truncation
from app.routes import images
from tests.app.factories import FakeGenerator, assert_error, fake_loader, write_model_card

URL = "/v1/models/m1/images/7.png"


@pytest.fixture
def client(make_client, data_dir, monkeypatch):
    monkeypatch.setattr(generation, "_load", fake_loader([]))
    write_model_card(data_dir, "m1")
    return make_client(model_check_interval_s=3600)


@pytest.fixture
def disable_route(monkeypatch):
    """disable_route(): from then on the route fails, so only the fast path can answer."""

    async def fail(*args):
        raise AssertionError("the route was called")

    return lambda: monkeypatch.setattr(images, "get_model", fail)


def headers_of(response) -> dict:
    names = ("etag", "cache-control", "content-type", "content-length")
    return {name: value for name, value in response.headers.items() if name in names}


@pytest.mark.parametrize("query", ["", "?truncation=0.5", "?truncation=1", "?truncation=0"])
def test_same_bytes_and_headers_without_the_route(client, disable_route, query):
    from_route = client.get(URL + query)
    other_from_route = client.get("/v1/models/m1/images/8.png" + query)
    disable_route()
    client.app.state.renderer.cache = ByteCache(1 << 20)  # empty: the fast path computes seed 8 again
    fast = client.get(URL + query)
    assert fast.status_code == 200 and fast.content == from_route.content
    assert headers_of(fast) == headers_of(from_route)
    assert client.get("/v1/models/m1/images/8.png" + query).content == other_from_route.content


def test_a_model_that_is_not_loaded_goes_to_the_route(client, disable_route):
    disable_route()
    with pytest.raises(AssertionError, match="the route was called"):
        client.get(URL)


def test_not_modified_without_the_route(client, disable_route):
    etag = client.get(URL).headers["etag"]
    from_route = client.get(URL, headers={"If-None-Match": etag})
    disable_route()
    fast = client.get(URL, headers={"If-None-Match": f'"x", W/{etag}'})
    assert fast.status_code == from_route.status_code == 304 and fast.content == b""
    assert headers_of(fast) == headers_of(from_route)


def test_anything_uncertain_goes_to_the_route(client):
    client.get(URL)
    for query in ("?truncation=0.50&x=1", "?truncation=%2E5", "?truncation=2", "?truncation=-0", "?truncation="):
        response = client.get(URL + query)
        assert response.status_code in (200, 422)
    assert client.get(URL + "?truncation=2").status_code == 422  # the route's validation
    assert client.get("/v1/models/m1/images/4294967296.png").status_code == 422


def test_fast_answers_are_counted_as_the_image_route(client, disable_route):
    client.get(URL)
    disable_route()
    client.get(URL)
    metrics = client.get("/metrics").text
    assert 'transfergen_http_requests_total{handler="get_image",method="GET",status="200"} 2.0' in metrics


@pytest.mark.parametrize(("query", "value"), [
    (b"", 1.0), (b"truncation=0.25", 0.25), (b"truncation=1", 1.0), (b"truncation=.5", 0.5),
    (b"truncation=1.5", None), (b"truncation=", None), (b"truncation=.", None), (b"truncation=1e-1", None),
    (b"truncation=0.5&truncation=1", None), (b"other=1", None),
])
def test_truncation_query(query, value):
    assert _truncation(query) == value


def test_a_failing_generator_gets_the_routes_error_shape(make_client, data_dir, monkeypatch):
    class Broken(FakeGenerator):
        def _compile(self):
            raise RuntimeError("broken weights")

    monkeypatch.setattr(generation, "_load", lambda model_id, data_dir: Broken())
    write_model_card(data_dir, "m2")
    client = make_client(raise_server_exceptions=False, model_check_interval_s=3600)
    for _ in range(2):  # the first through the route (loads), the next through the fast path
        assert_error(client.get("/v1/models/m2/images/1.png"), 500, "internal_error")
