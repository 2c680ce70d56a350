"""URLs shown without credentials."""
from __future__ import annotations

import pytest

from jobs.redaction import redact_url


@pytest.mark.parametrize(("url", "shown"), [
    ("https://hooks.example.com/transfergen", "https://hooks.example.com/transfergen"),
    ("https://alice:secret@hooks.example.com/x", "https://***@hooks.example.com/x"),
    ("https://token@hooks.example.com/x", "https://***@hooks.example.com/x"),
    ("http://h.example/x?sig=abc&user=bob", "http://h.example/x?sig=***&user=***"),
    ("http://h.example/x#access_token=abc", "http://h.example/x"),
    ("http://[::1]:8080/x?k=v", "http://[::1]:8080/x?k=***"),
    ("http://h.example:99999/x", "***"),  # the parser gives up: show nothing of it
])
def test_redact_url(url, shown):
    assert redact_url(url) == shown
    assert "secret" not in redact_url(url) and "abc" not in redact_url(url)
