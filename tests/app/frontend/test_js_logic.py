"""The frontend's non-trivial JavaScript, run as the ES modules it is, in Chromium: the SSE parser, the
training-log merge, chart ticks, formatting, errors to words, schema limits, routing; and the API key
flow (a 401 asks for a key, later requests send it) against a server with a real API key."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.slow


def run_module(page, module: str, body: str):
    """Evaluate `body` (an async function body with the module as `m`) in the page."""
    return page.evaluate(f"async () => {{ const m = await import('/ui/js/{module}'); {body} }}")


@pytest.fixture
def app_page(page):
    page.goto("/#/")
    page.wait_for_selector("h1")
    return page


def test_sse_parser_handles_any_chunking(app_page):
    stream = "retry: 2000\n\n: keep-alive\n\nid: 1\nevent: started\ndata: {\"seq\": 1}\n\nevent: progress\r\ndata: a\r\ndata: b\r\n\r\n"
    expected = [{"event": "started", "data": '{"seq": 1}', "id": "1"}, {"event": "progress", "data": "a\nb", "id": "1"}]
    for size in (1, 2, 3, 7, len(stream)):
        messages = run_module(app_page, "sse.js", f"""
            const parser = new m.SSEParser(); const text = {stream!r}; const out = [];
            for (let i = 0; i < text.length; i += {size}) out.push(...parser.push(text.slice(i, i + {size})));
            return out;""")
        assert messages == expected, size


def test_training_log_merges_repeated_and_split_reads(app_page):
    result = run_module(app_page, "training-log.js", """
        const log = new m.TrainingLog();
        const first = log.merge([{step: 10, g_loss: 1}, {step: 20, g_loss: 2}]);
        const next = log.nextAfterStep;
        const again = log.merge([{step: 20, g_loss: 2}]);  // the last step asked for again: nothing new
        const more = log.merge([{step: 20, g_loss: 2}, {event: 'evaluation', step: 20, kid_mean: 0.3}, {step: 30, g_loss: 3}]);
        return {first, next, again, more, losses: log.losses.map(r => r.step), evals: log.evaluations.map(r => r.kid_mean),
                last: log.lastStep};""")
    assert result == {"first": True, "next": 19, "again": False, "more": True, "losses": [10, 20, 30], "evals": [0.3],
                      "last": 30}


def test_chart_axes(app_page):
    cases = run_module(app_page, "chart.js", """
        return [m.niceTicks(0, 600, 6), m.niceTicks(0, 1.83, 5), m.niceTicks(0.12, 0.12, 5), m.niceTicks(0, 1, 6),
                [m.xExtent(0, 600), m.xExtent(100, 600), m.xExtent(200, 600), m.xExtent(96, 1000000)]];""")
    assert cases[0] == [0, 200, 400, 600]
    assert cases[1] == [0, 0.5, 1, 1.5, 2]
    assert cases[2][0] <= 0.12 <= cases[2][-1] and len(cases[2]) >= 2
    assert cases[3] == [0, 0.2, 0.4, 0.6, 0.8, 1]
    assert cases[4] == [10, 150, 600, 144]  # the whole run once a third is logged; else 1.5x the logged steps


def test_formatting(app_page):
    result = run_module(app_page, "format.js", """
        return [m.duration(42.4), m.duration(185), m.duration(7260), m.duration(3599.6), m.duration(null),
                m.ordinal(1), m.ordinal(2), m.ordinal(3), m.ordinal(11), m.ordinal(22), m.percent(0.005), m.percent(0.999), m.percent(0.0000096),
                m.number(0.000123456), m.number(1234567), m.number(1.8002), m.bytes(2_600_000), m.plural(1, 'image')];""")
    assert result == ["42 s", "3 min 5 s", "2 h 1 min", "1 h", "–", "1st", "2nd", "3rd", "11th", "22nd", "0.5%", "99%", "<0.1%",
                      "0.000123", "1,234,567", "1.8", "2.6 MB", "1 image"]


def test_api_errors_in_words(app_page):
    result = run_module(app_page, "errors.js", """
        const validation = {status: 422, code: 'validation_error', message: 'The request is not valid.', details: [
          {loc: ['body', 'steps'], msg: 'Input should be greater than or equal to 1'},
          {loc: ['body'], msg: "Value error, method 'freeze_d' needs a base_model_id"}]};
        return {fields: Object.fromEntries(m.fieldErrors(validation)), text: m.errorText(validation),
                offline: m.errorText({status: 0, code: 'network_error', message: ''}),
                limited: m.errorText({status: 429, code: 'rate_limited', message: 'Slow down.', retryAfter: 7}),
                tiff: m.rejectionText('unsupported_format: TIFF')};""")
    assert result["fields"] == {"steps": "Input should be greater than or equal to 1",
                                "request": "method 'freeze_d' needs a base_model_id"}
    assert "steps: Input should be greater than or equal to 1" in result["text"]
    assert "Cannot reach the server" in result["offline"]
    assert result["limited"] == "Slow down. Try again in 7 s."
    assert result["tiff"].startswith("TIFF images are not supported")


def test_schema_specs_from_the_servers_openapi(app_page):
    result = run_module(app_page, "schema.js", """
        const doc = await m.openapi(); const fields = m.componentFields(doc, 'JobRequest');
        const spec = (n) => fields.get(n);
        return {steps: spec('steps'), lr: m.limitsText(spec('learning_rate')), evalEvery: spec('eval_every').nullable,
                augment: spec('augment').enum, parsed: [m.parseValue(spec('steps'), ' 12 '), m.parseValue(spec('steps'), ''),
                m.parseValue(spec('eval_every'), ''), m.parseValue(spec('ema'), false)],
                resolution: m.multipartFields(doc, '/v1/datasets').get('resolution').enum};""")
    assert result["steps"]["min"] == 1 and result["steps"]["max"] == 1_000_000 and result["steps"]["default"] == 1000
    assert result["lr"] == "above 0, at most 0.1"
    assert result["evalEvery"] is True and result["augment"] == ["none", "diffaugment", "ada"]
    assert result["parsed"] == [12, None, None, False]  # undefined comes back as None too: steps left out
    assert result["resolution"] == [16, 32, 64, 128, 256]


def test_routes(app_page):
    result = run_module(app_page, "router.js", """
        const routes = [[/^\\/jobs\\/([^/]+)$/, 'job'], [/^\\/$/, 'home']];
        const parsed = m.parseHash('#/jobs/abc/?x=1');
        return [parsed.path, parsed.query.get('x'), m.match(routes, parsed.path), m.parseHash('').path, m.match(routes, '/nope')];""")
    assert result == ["/jobs/abc", "1", {"render": "job", "params": ["abc"]}, "/", None]


def test_api_key_is_asked_for_on_401_then_sent(page, page_problems, live_server, settings):
    """A real server with a user key: its 401 asks for the key, then every request sends it, images too."""
    from jobs.connection import connect
    from jobs.keys import KeyStore

    key = KeyStore(connect(settings), settings.queue_name).create("browser", "user").key
    page_problems.allow("status of 401")
    authorizations = []
    page.on("request", lambda request: authorizations.append(request.headers.get("authorization"))
            if "/v1/" in request.url else None)
    page.goto("/#/models")
    dialog = page.locator("#key-dialog")
    expect(dialog).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("This server needs an API key")
    page.fill("#api-key-input", key)
    dialog.get_by_role("button", name="Save key").click()
    expect(page.locator("#model-list li").first).to_be_visible()  # the view rendered again, with the key
    expect(page.locator("#key-status")).to_contain_text(f"API key …{key[-4:]}")
    assert authorizations[-1] == f"Bearer {key}"
    assert page.evaluate("localStorage.getItem('transfergen.apiKey')") == key
    # Images are fetched with the key too (an <img> cannot send it): shown from blob: URLs.
    page.wait_for_function("() => [...document.querySelectorAll('#model-list img')].every(i => i.src.startsWith('blob:') && i.naturalWidth > 0)")
    page.get_by_role("button", name="Forget").click()
    assert page.evaluate("localStorage.getItem('transfergen.apiKey')") is None
