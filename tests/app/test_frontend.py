"""The frontend's files as the app serves them (no browser): the page, its modules, offline API docs."""
from __future__ import annotations

import re

from app.frontend import STATIC_DIR

IMPORT_RE = re.compile(r"""(?:import|from)\s*\(?\s*["'](\.{1,2}/[^"']+)["']""")
URL_RE = re.compile(r"https?://[^\s\"'`)]+")
XML_NAMESPACES = {"http://www.w3.org/2000/svg"}  # names, not requests


def test_the_page_and_its_modules_are_served(client):
    response = client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-cache"
    assert '<script type="module" src="/ui/js/main.js">' in response.text
    for path in re.findall(r'(?:src|href)="(/ui/[^"]+)"', response.text):
        assert client.get(path).status_code == 200, path

    modules = sorted(STATIC_DIR.rglob("*.js"))
    assert len(modules) > 10
    for module in modules:
        served = client.get(f"/ui/{module.relative_to(STATIC_DIR).as_posix()}")
        assert served.status_code == 200 and "javascript" in served.headers["content-type"], module
        for target in IMPORT_RE.findall(module.read_text()):
            assert (module.parent / target).resolve().is_file(), f"{module.name} imports missing {target}"


def test_no_file_of_the_frontend_points_off_the_server():
    for path in STATIC_DIR.rglob("*"):
        if path.is_file():
            urls = set(URL_RE.findall(path.read_text())) - XML_NAMESPACES
            assert not urls, f"{path.name} refers to {urls}"


def test_unknown_frontend_file_is_a_json_404(client):
    response = client.get("/ui/js/nope.js")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_api_docs_work_offline(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert assets and all(asset.startswith("/docs-assets/") for asset in assets), assets
    assert not re.search(r"https?://(?!www\.w3\.org)", response.text), "docs page loads something from elsewhere"
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert client.get("/redoc").status_code == 404  # ReDoc's page loads its logo from the internet


def test_openapi_lists_the_frontends_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/v1/jobs/{job_id}/metrics" in paths and "/v1/models/{model_id}/samples.png" in paths
    assert "/" not in paths and not any(path.startswith("/ui") for path in paths)
