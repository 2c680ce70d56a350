"""The SSRF-proof webhook sender (issue 11 defect 3): no internal addresses, no rebinding, no
redirects, no socket detail in what the job's owner sees."""
from __future__ import annotations

import socket
import ssl

import pytest
import trustme

from jobs import webhook_http
from jobs.webhook_http import CONNECTION_ERROR, DeliveryFailed
from tests.utils.webhooks import WebhookReceiver

INTERNAL_HOSTS = [
    "127.0.0.1", "127.1", "2130706433", "0x7f000001", "0177.0.0.1", "0.0.0.0", "10.0.0.1", "172.16.0.1",
    "192.168.1.1", "169.254.169.254", "100.64.0.1", "224.0.0.1", "240.0.0.1", "255.255.255.255",
    "[::1]", "[::]", "[::ffff:127.0.0.1]", "[::ffff:169.254.169.254]", "[fe80::1]", "[fc00::1]", "[ff02::1]",
    "[2002:7f00:1::]", "localhost",
]


def fixed_resolver(*answers: str, calls: list | None = None):
    """A getaddrinfo that answers `answers[i]` on its i-th call (the last one from then on)."""
    calls = [] if calls is None else calls

    def resolve(host, port, *args, **kwargs):
        calls.append(host)
        address = answers[min(len(calls), len(answers)) - 1]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    return resolve


def send(url: str, allowed: list[str] = (), resolver=socket.getaddrinfo, **headers) -> None:
    webhook_http.post(url, b"{}", {"Content-Type": "application/json", **headers}, timeout_s=2,
                      allowed_hosts=allowed, resolver=resolver)


@pytest.mark.parametrize("host", INTERNAL_HOSTS)
def test_internal_literal_addresses_are_refused_up_front(host):
    assert webhook_http.url_problem(f"http://{host}:8000/hook", []) is not None


@pytest.mark.parametrize("host", [h for h in INTERNAL_HOSTS if h != "localhost"])
def test_internal_addresses_are_refused_when_sending(host):
    with pytest.raises(DeliveryFailed) as caught:
        send(f"http://{host}:9/hook")
    assert str(caught.value) == CONNECTION_ERROR


def test_public_addresses_and_names_pass_the_up_front_check():
    assert webhook_http.url_problem("https://93.184.216.34/hook", []) is None
    assert webhook_http.url_problem("https://hooks.example.com/hook", []) is None  # resolved only when sending


def test_a_name_that_resolves_inside_is_refused_and_nothing_is_sent():
    with WebhookReceiver() as receiver:
        port = receiver.server.server_address[1]
        with pytest.raises(DeliveryFailed) as caught:
            send(f"http://hooks.example.com:{port}/hook", resolver=fixed_resolver("127.0.0.1"))
    assert str(caught.value) == CONNECTION_ERROR and receiver.requests == []


def test_allowed_host_is_reached_at_the_checked_address_with_its_own_host_header():
    calls: list[str] = []
    with WebhookReceiver() as receiver:
        port = receiver.server.server_address[1]
        send(f"http://Hooks.Internal:{port}/hook?x=1", allowed=["hooks.internal"],
             resolver=fixed_resolver("127.0.0.1", calls=calls))
    [request] = receiver.requests
    assert request["path"] == "/hook?x=1"
    assert request["headers"]["Host"] == f"hooks.internal:{port}"
    assert calls == ["hooks.internal"]  # resolved once


def test_no_dns_rebinding_the_first_answer_is_the_one_connected_to():
    """First answer public (passes the check), later answers loopback: only the first is ever used."""
    calls: list[str] = []
    with WebhookReceiver() as receiver:
        port = receiver.server.server_address[1]
        with pytest.raises(DeliveryFailed):  # 8.8.8.8 on the receiver's port: refused or unreachable here
            send(f"http://rebind.example:{port}/hook", resolver=fixed_resolver("8.8.8.8", "127.0.0.1", calls=calls))
    assert calls == ["rebind.example"] and receiver.requests == []


def test_redirects_are_not_followed():
    with WebhookReceiver() as target, WebhookReceiver(statuses=[302], redirect_to=None) as first:
        first.redirect_to = target.url
        with pytest.raises(DeliveryFailed) as caught:
            send(first.url, allowed=["127.0.0.1"])
    assert str(caught.value) == "delivery failed: HTTP 302"
    assert len(first.requests) == 1 and target.requests == []


def test_failures_carry_no_socket_detail():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # bound, not listening: connection refused
        with pytest.raises(DeliveryFailed) as caught:
            send(f"http://127.0.0.1:{port}/hook", allowed=["127.0.0.1"])
    assert str(caught.value) == CONNECTION_ERROR
    with pytest.raises(DeliveryFailed) as caught:
        send("http://no-such-host.invalid/hook")
    assert str(caught.value) == CONNECTION_ERROR
    with WebhookReceiver(statuses=[500]) as receiver:
        with pytest.raises(DeliveryFailed) as caught:
            send(receiver.url, allowed=["127.0.0.1"])
    assert str(caught.value) == "delivery failed: HTTP 500"


def test_credentials_in_the_url_become_basic_auth():
    with WebhookReceiver() as receiver:
        send(receiver.url.replace("http://", "http://user:p%40ss@"), allowed=["127.0.0.1"])
    assert receiver.requests[0]["headers"]["Authorization"] == "Basic dXNlcjpwQHNz"


def test_https_checks_the_certificate_and_sends_sni_for_the_host_name_not_the_address():
    ca = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("hooks.test").configure_cert(server_tls)
    client_tls = ssl.create_default_context()
    ca.configure_trust(client_tls)
    with WebhookReceiver(tls=server_tls) as receiver:
        port = receiver.server.server_address[1]
        url = f"https://hooks.test:{port}/hook"
        webhook_http.post(url, b"{}", {}, timeout_s=5, allowed_hosts=["hooks.test"],
                          resolver=fixed_resolver("127.0.0.1"), tls=client_tls)
        with pytest.raises(DeliveryFailed) as caught:  # the certificate is for hooks.test, not for other.test
            webhook_http.post(f"https://other.test:{port}/hook", b"{}", {}, timeout_s=5, allowed_hosts=["other.test"],
                              resolver=fixed_resolver("127.0.0.1"), tls=client_tls)
    assert len(receiver.requests) == 1 and receiver.requests[0]["headers"]["Host"] == f"hooks.test:{port}"
    assert receiver.server_names == ["hooks.test", "other.test"]
    assert str(caught.value) == CONNECTION_ERROR
