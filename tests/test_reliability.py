"""Reliability: bad input through the API, and every request limit's own message.

Each bad request must get a clear error that names the problem (never a bare
"Error"), no text may be generated for it, and the next good request must
work: the server stays up. Cases go through `gradio_client` against the
launched app; the few values that `gradio_client` cannot even encode (NaN,
infinity, lone surrogates: not valid JSON for httpx) are sent as raw JSON
text to Gradio's REST API, as any other HTTP client could.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from tests.conftest import api_call, serving, tiny_config

pytestmark = [
    pytest.mark.e2e,
]

MB = 1_000_000
GOOD = ("base", "def add(a, b):", {"max_tokens": 2, "temperature": 0})


class Raw(str):
    """JSON text for the request's `data` list, sent as is (bypasses gradio_client's encoder)."""


def outcome(client: Client, app_url: str, api_name: str, args: tuple | Raw) -> tuple[str, Any]:
    """("error", message) when the request was refused, else ("complete", final output)."""
    if isinstance(args, Raw):
        return api_call(app_url, api_name, args)
    try:
        return "complete", client.predict(*args, api_name=api_name)
    except AppError as exc:
        return "error", str(exc)


def lane_errors(result: Any) -> list[str]:
    """A /compare result refused per lane: every lane's error (and no lane generated text)."""
    assert isinstance(result, dict) and result, result
    for name, lane in result.items():
        assert lane["error"], f"lane {name} has no error: {lane}"
        assert not lane["text"], f"lane {name} generated text for a bad request"
    return [lane["error"] for lane in result.values()]


def big_stop_list() -> list[str]:
    return [f"stop{i}" for i in range(10_000)]


# (id, endpoint, arguments, a fragment the message must contain)
CASES: list[tuple[str, str, tuple | Raw, str]] = [
    # --- prompts
    ("empty-prompt", "/generate", ("instruct", "", {}), "the prompt is empty"),
    ("whitespace-prompt", "/generate", ("instruct", " \n\t  \r\n", {}), "the prompt is empty"),
    ("whitespace-compare", "/compare", ("   ", {}, []), "the prompt is empty"),
    ("1MB-prompt", "/generate", ("instruct", "x" * MB, {}), "1,000,000 characters; the limit is 32,000"),
    ("1MB-compare", "/compare", ("y" * MB, {}, []), "the limit is 32,000"),
    ("prompt-over-token-limit", "/generate", ("base", "a " * 15_000, {"max_tokens": 8}), "at most 8,192"),
    ("prompt-over-context", "/generate", ("base", "a " * 6_000, {"max_tokens": 4_000}), "in this lane's context"),
    ("prompt-not-string", "/generate", ("instruct", 42, {}), "must be a string, got int"),
    ("prompt-null", "/compare", (None, {}, []), "must be a string, got NoneType"),
    ("prompt-list", "/compare", (["a", "b"], {}, []), "must be a string, got list"),
    ("nul-byte", "/generate", ("instruct", "print(1)\x00rm -rf /", {}), "NUL character"),
    ("lone-surrogate", "/generate", Raw('["instruct", "bad \\ud800 text", {}]'), "lone surrogate"),
    ("lone-surrogate-compare", "/compare", Raw('["x\\udfff", {}, []]'), "lone surrogate"),
    # --- settings: values
    ("nan-temperature", "/generate", Raw('["instruct", "hi", {"temperature": NaN}]'), "must be a finite number"),
    ("infinite-top-p", "/generate", Raw('["instruct", "hi", {"top_p": Infinity}]'), "must be a finite number"),
    ("negative-temperature", "/generate", ("instruct", "hi", {"temperature": -1}), "greater than or equal to 0"),
    ("negative-max-tokens", "/generate", ("instruct", "hi", {"max_tokens": -5}), "greater than or equal to 1"),
    ("zero-top-p", "/generate", ("instruct", "hi", {"top_p": 0}), "top_p: Input should be greater than 0"),
    ("negative-seed", "/generate", ("instruct", "hi", {"seed": -7}), "seed"),
    ("huge-max-tokens", "/generate", ("instruct", "hi", {"max_tokens": 10**12}), "less than or equal to 65536"),
    ("huge-temperature", "/generate", ("instruct", "hi", {"temperature": 1e300}), "less than or equal to 2"),
    ("max-tokens-over-context", "/generate", ("instruct", "hi", {"max_tokens": 60_000}), "context of 8192"),
    ("string-temperature", "/generate", ("instruct", "hi", {"temperature": "0.5"}), "must be a number, not str"),
    ("string-max-tokens", "/generate", ("instruct", "hi", {"max_tokens": "lots"}), "must be a number, not str"),
    ("bool-temperature", "/generate", ("instruct", "hi", {"temperature": True}), "must be a number, not bool"),
    ("fractional-max-tokens", "/generate", ("instruct", "hi", {"max_tokens": 2.5}), "valid integer"),
    # --- settings: shape
    ("unknown-setting", "/generate", ("instruct", "hi", {"bogus": 1}), "bogus: unknown setting"),
    ("unknown-setting-compare", "/compare", ("hi", {"temprature": 0.2}, []), "temprature: unknown setting"),
    ("settings-list", "/generate", ("instruct", "hi", [1, 2]), "settings must be a JSON object (dict), got list"),
    ("settings-string", "/compare", ("hi", "temperature=0.2", []), "settings must be a JSON object (dict), got str"),
    ("settings-number", "/compare", ("hi", 3, []), "settings must be a JSON object (dict), got int"),
    ("lane-override-not-dict", "/generate", ("instruct", "hi", {"instruct": 5}), "settings.instruct"),
    ("10k-stop-strings", "/generate", ("instruct", "hi", {"stop": big_stop_list()}), "10,000 items; at most 8"),
    ("stop-not-list", "/generate", ("instruct", "hi", {"stop": 5}), "must be a list of strings"),
    ("empty-stop-string", "/generate", ("instruct", "hi", {"stop": [""]}), "non-empty strings"),
    ("long-stop-string", "/generate", ("instruct", "hi", {"stop": ["z" * 1000]}), "at most 64 characters"),
    ("system-prompt-not-string", "/generate", ("instruct", "hi", {"system_prompt": 7}), "system prompt must be a str"),
    ("system-prompt-nul", "/generate", ("instruct", "hi", {"system_prompt": "a\x00"}), "system prompt contains a NUL"),
    ("over-total-tokens", "/compare", ("hi", {"max_tokens": 6_000}, []), "the limit here is 16,384"),
    # --- lanes and endpoints
    ("unknown-lane", "/generate", ("gpt-4", "hi", {}), "unknown lane 'gpt-4'"),
    ("unknown-lane-compare", "/compare", ("hi", {}, ["base", "nope"]), "unknown lane 'nope'"),
    ("lanes-not-list", "/compare", ("hi", {}, 42), "lanes must be a list of lane names"),
    ("lanes-of-numbers", "/compare", ("hi", {}, [1, 2]), "lanes must be a list of lane names"),
    ("empty-lane-name", "/generate", ("", "hi", {}), "lanes here: base, instruct, reasoning"),
    ("fim-on-model-without-fim", "/fim", ("def f():\n    ", "\n", {}), "no fill-in-the-middle tokens"),
    ("fim-empty", "/fim", ("", "  ", {}), "both the prefix and the suffix are empty"),
    ("complete-whitespace", "/complete", ("\n\n", {}), "the prompt is empty"),
]


@pytest.mark.parametrize(("api_name", "args", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_error_and_the_server_stays_up(client, app_url, api_name, args, fragment):
    kind, result = outcome(client, app_url, api_name, args)
    if kind == "error":
        messages = [result]
    else:  # /compare refuses some problems per lane; then every lane says why
        assert api_name == "/compare", f"{api_name} accepted bad input: {result}"
        messages = lane_errors(result)
    for message in messages:
        assert fragment in message, message
        assert len(message) < 500, "the message should be short enough to read"
    # The server is still up, and the next good request works.
    good = client.predict(*GOOD, api_name="/generate")
    assert good["error"] is None and good["stats"]["completion_tokens"] >= 1


def test_at_least_25_bad_input_cases():
    assert len(CASES) >= 25
    assert len({c[0] for c in CASES}) == len(CASES)


# --- limits: each one, when hit, gives its own message -----------------------------------------------------------


@pytest.fixture(scope="module")
def tight_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A second app with small limits: one generation at a time, one waiting, four requests a minute, ..."""
    from seedui.webapp import build_app

    config = tiny_config(
        tmp_path_factory.mktemp("tight"),
        **{
            "limits.concurrency": 1,
            "limits.max_queue": 1,
            "limits.requests_per_minute": 4,
            "limits.max_prompt_chars": 200,
            "limits.max_prompt_tokens": 40,
            "limits.max_total_tokens": 450,
            "trusted_proxies": ["10.0.0.0/8"],  # the proxies in front of it, as behind a Space's ingress
        },
    )
    with serving(build_app(config)) as app:
        yield app


def tight_client(app: Any, who: str | None = None) -> Client:
    """A client with its own id for the per-client rate limit (the app reads X-Forwarded-For, as behind a proxy)."""
    headers = {"X-Forwarded-For": who or f"test-{uuid.uuid4().hex[:8]}"}
    return Client(app.blocks.local_url, verbose=False, headers=headers)


def wait_until(predicate, timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_limit_prompt_chars(tight_app):
    with pytest.raises(AppError, match=r"the prompt is 201 characters; the limit is 200"):
        tight_client(tight_app).predict("instruct", "p" * 201, {}, api_name="/generate")


def test_limit_prompt_tokens(tight_app):
    with pytest.raises(AppError, match=r"the prompt is \d+ tokens; this server allows at most 40"):
        tight_client(tight_app).predict("base", "one two three " * 14, {"max_tokens": 1}, api_name="/generate")


def test_limit_total_tokens(tight_app):
    with pytest.raises(
        AppError, match=r"up to 480 new tokens over its lanes .* the limit here is 450: lower max_tokens"
    ):
        tight_client(tight_app).predict("hi", {"max_tokens": 160}, [], api_name="/compare")


def test_limit_requests_per_minute(tight_app):
    client = tight_client(tight_app)
    for _ in range(4):
        assert client.predict("base", "x = ", {"max_tokens": 1}, api_name="/generate")["error"] is None
    with pytest.raises(AppError, match=r"too many requests from this client\b.*\b4\b.*minute.*try again in \d+ s"):
        client.predict("base", "x = ", {"max_tokens": 1}, api_name="/generate")
    # The limit is per client: another client is served.
    assert tight_client(tight_app).predict(*GOOD, api_name="/generate")["error"] is None


def test_limit_concurrency_and_queue_size(tight_app):
    """concurrency=1: a second request waits its turn; max_queue=1: a third is refused with 'queue is full'."""
    from gradio_client.utils import QueueError, Status

    long_run = ("base", "def fib(n):", {"max_tokens": 400, "temperature": 0})
    first_client, second_client, third_client = (tight_client(tight_app) for _ in range(3))
    first = first_client.submit(*long_run, api_name="/generate")
    wait_until(lambda: first.status().code == Status.ITERATING or first.done(), what="the first request to stream")
    assert not first.done(), first.result()
    second = second_client.submit(*GOOD, api_name="/generate")
    wait_until(lambda: second.status().code == Status.IN_QUEUE, what="the second request to wait in the queue")
    assert second.status().rank == 0  # first in line: the concurrency limit holds it back, it is not refused
    assert not first.done()

    third = third_client.submit(*GOOD, api_name="/generate")
    with pytest.raises(QueueError, match="Queue is full"):
        third.result(timeout=60)

    first.cancel()  # free the slot; the waiting request then runs and succeeds
    assert second.result(timeout=120)["error"] is None


def test_limits_in_flight_stay_isolated(tight_app):
    """A request refused by a limit does not disturb one already streaming."""
    client = tight_client(tight_app)
    job = client.submit("base", "for i in range(", {"max_tokens": 6, "temperature": 0}, api_name="/generate")
    errors: list[str] = []

    def refused() -> None:
        try:
            tight_client(tight_app).predict("instruct", "q" * 500, {}, api_name="/generate")
        except AppError as exc:
            errors.append(str(exc))

    thread = threading.Thread(target=refused)
    thread.start()
    thread.join(timeout=120)
    assert errors and "the limit is 200" in errors[0]
    final = job.result(timeout=120)
    assert final["error"] is None and final["stats"]["completion_tokens"] >= 1


def test_rate_limit_counts_the_visitor_behind_trusted_proxies(tight_app):
    """Behind a proxy each visitor is its own client (not the proxy), and what a visitor writes into
    X-Forwarded-For itself (the left end, before the proxies append) does not make it another client."""
    proxy = "10.0.0.1"
    url = tight_app.blocks.local_url
    a = Client(url, verbose=False, headers={"X-Forwarded-For": f"203.0.113.5, {proxy}"})
    a_forged = Client(url, verbose=False, headers={"X-Forwarded-For": f"198.51.100.77, 203.0.113.5, {proxy}"})
    b = Client(url, verbose=False, headers={"X-Forwarded-For": f"203.0.113.6, {proxy}"})
    for _ in range(4):
        a.predict("base", "x = ", {"max_tokens": 1}, api_name="/generate")
    for who in (a, a_forged):
        with pytest.raises(AppError, match="too many requests"):
            who.predict("base", "x = ", {"max_tokens": 1}, api_name="/generate")
    assert b.predict("base", "x = ", {"max_tokens": 1}, api_name="/generate")["error"] is None


def test_a_settings_flood_is_refused_at_once_with_a_short_answer(client, app_url):
    """300,000 keys once took 6.8 s of the server's loop and echoed every key back (23 MB)."""
    flood = json.dumps(["instruct", "hi", {f"k{i}": 1 for i in range(300_000)}])
    kind, message = api_call(app_url, "generate", flood)
    assert kind == "error" and len(message) < 300, message[:300]
    assert "settings have too many keys: the limit is 64" in message
    kind, message = api_call(app_url, "generate", json.dumps(["instruct", "hi", {f"bad{i}": 1 for i in range(40)}]))
    assert kind == "error" and message.count("unknown setting") == 3 and "and 37 more" in message, message
    deep = json.dumps(["instruct", "hi", {"instruct": {"stop": [{"a": {"b": 1}}]}}])
    assert api_call(app_url, "generate", deep) == ("error", api_call(app_url, "generate", deep)[1])
    assert "nest too deep" in api_call(app_url, "generate", deep)[1]
    huge = json.dumps(["instruct", "hi", {"system_prompt": "x" * 10_000_000}])
    assert "settings are too large" in api_call(app_url, "generate", huge)[1]
    assert client.predict("base", "x = ", {"max_tokens": 1}, api_name="/generate")["error"] is None


def test_a_share_settings_flood_is_refused_with_a_short_answer(app_url):
    share = {"prompt": "p", "settings": {f"k{i}": 1 for i in range(300_000)}, "lanes": {"instruct": {"text": "t"}}}
    kind, message = api_call(app_url, "share", json.dumps([share]))
    assert kind == "error" and len(message) < 300 and "too many keys" in message, message[:300]
