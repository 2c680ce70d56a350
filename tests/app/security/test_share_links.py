"""Signed image links: an `<img src=...?token=...>` works without a header, for one model, until it expires."""
from __future__ import annotations

import pytest

from app.security.share_links import InvalidLink, LinkSigner
from tests.app.factories import assert_error


def test_a_link_names_its_model_key_and_expiry():
    signer = LinkSigner(b"secret")
    token = signer.sign("m1", "k1", expires_at=2000)
    assert signer.verify(token, "m1", now=1999) == "k1"
    for model, now, message in (("m2", 1999, "another model"), ("m1", 2000, "expired")):
        with pytest.raises(InvalidLink, match=message):
            signer.verify(token, model, now=now)


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # the signature
    lambda t: "e" + t,  # the payload
    lambda t: t.split(".")[0],  # no signature
    lambda t: "",
])
def test_a_changed_token_is_refused(tamper):
    signer = LinkSigner(b"secret")
    with pytest.raises(InvalidLink):
        signer.verify(tamper(signer.sign("m1", "k1", expires_at=10**10)), "m1")
    with pytest.raises(InvalidLink):
        LinkSigner(b"other secret").verify(signer.sign("m1", "k1", expires_at=10**10), "m1")


def _share(client, sec, model_id, **body):
    response = client.post(f"/v1/models/{model_id}/share", headers=sec.alice, json=body or None)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_link_opens_the_models_images_without_a_header(client, secured):
    model = secured.ids["model"]
    link = _share(client, secured, model)
    assert client.get(link["image_url"]).status_code == 200
    token = link["token"]
    for path in (f"images/5.png?token={token}", f"grid.png?count=4&token={token}",
                 f"interpolate.gif?from=1&to=2&steps=3&token={token}", f"samples.png?token={token}"):
        response = client.get(f"/v1/models/{model}/{path}")
        assert response.status_code == 200, (path, response.text)
        assert response.headers["cache-control"].startswith("private") or path.startswith("samples")


def test_a_link_opens_nothing_else(client, secured):
    model, other_model = secured.ids["model"], secured.ids["model_to_delete"]
    token = _share(client, secured, model)["token"]
    for method, path in (("GET", f"/v1/models/{model}?token={token}"), ("DELETE", f"/v1/models/{model}?token={token}"),
                         ("GET", f"/v1/datasets?token={token}"),
                         ("POST", f"/v1/models/{model}/images?token={token}")):
        assert_error(client.request(method, path), 401, "invalid_token")
    assert_error(client.get(f"/v1/models/{other_model}/images/1.png?token={token}"), 401, "invalid_token")


def test_a_link_dies_with_its_key(client, secured):
    link = _share(client, secured, secured.ids["model"])
    revoked = client.delete(f"/v1/keys/{secured.key_ids['alice']}", headers=secured.admin)
    assert revoked.status_code == 200
    assert_error(client.get(link["image_url"]), 401, "invalid_token")


def test_only_readers_make_links_and_not_for_too_long(client, secured):
    model = secured.ids["model"]
    assert_error(client.post(f"/v1/models/{model}/share", headers=secured.bob), 404, "model_not_found")
    limit = client.app.state.settings.share_max_ttl_s
    too_long = client.post(f"/v1/models/{model}/share", headers=secured.alice, json={"ttl_s": limit + 1})
    assert_error(too_long, 422, "ttl_too_long")
    assert client.post("/v1/models/emoji64-gan/share", headers=secured.bob).status_code == 200  # a public base


def test_anonymous_links_end_with_anonymous_mode(client, fake_models, data_dir):
    from tests.app.factories import write_model_card

    model = write_model_card(data_dir, "m1").name
    link = client.post(f"/v1/models/{model}/share").json()
    assert client.get(link["image_url"], headers={}).status_code == 200
    assert client.post("/v1/keys", json={"name": "first", "role": "admin"}).status_code == 201
    assert_error(client.get(link["image_url"]), 401, "invalid_token")
