"""Owners as the API shows them, and what a user key may do with shipped bases and its own things."""
from __future__ import annotations

from tests.app.factories import assert_error, zip_of_pngs


def test_views_name_their_owner(client, secured):
    alice, ids = secured.key_ids["alice"], secured.ids
    assert client.get(f"/v1/datasets/{ids['dataset']}", headers=secured.alice).json()["owner"] == alice
    assert client.get(f"/v1/models/{ids['model']}", headers=secured.alice).json()["owner"] == alice
    assert client.get(f"/v1/jobs/{ids['job']}", headers=secured.admin).json()["owner"] == alice
    assert client.get("/v1/models/emoji64-gan", headers=secured.bob).json()["owner"] is None
    uploaded = client.post("/v1/datasets", headers=secured.bob, files={"file": ("s.zip", zip_of_pngs(4))}).json()
    assert uploaded["owner"] == secured.key_ids["bob"]
    assert [d["id"] for d in client.get("/v1/datasets", headers=secured.bob).json()] == [uploaded["id"]]


def test_shipped_bases_are_public_and_read_only(client, secured):
    model = client.get("/v1/models/emoji64-gan", headers=secured.bob).json()
    assert model["deletable"] is False
    assert_error(client.delete("/v1/models/emoji64-gan", headers=secured.bob), 409, "model_protected")
    assert client.get("/v1/models/emoji64-gan/samples.png", headers=secured.bob).status_code == 200


def test_a_user_trains_on_its_own_dataset_from_its_own_model(client, secured):
    from tests.utils.training import tiny_config

    body = tiny_config(secured.ids["dataset_for_jobs"], base_model_id=secured.ids["model"]).model_dump(mode="json")
    body = {key: value for key, value in body.items() if key not in ("architecture", "latent_dim", "base_channels")}
    job = client.post("/v1/jobs", headers=secured.alice, json=body)
    assert job.status_code == 202, job.text
    assert_error(client.post("/v1/jobs", headers=secured.bob, json=body), 422, "unknown_dataset")


def test_admins_see_things_made_before_owners(client, secured, data_dir):
    from tests.utils.datasets import write_dataset

    legacy = write_dataset(data_dir)  # no owner.json
    assert client.get(f"/v1/datasets/{legacy}", headers=secured.admin).status_code == 200
    assert_error(client.get(f"/v1/datasets/{legacy}", headers=secured.alice), 404, "dataset_not_found")
