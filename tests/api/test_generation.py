"""End to end: the launched app on the tiny model, driven through gradio_client."""

from __future__ import annotations

import time

import pytest
from gradio_client.exceptions import AppError

from tests.conftest import busy_generations

pytestmark = pytest.mark.e2e
LANE_KEYS = {"text", "reasoning", "stats", "error", "status", "prompt"}  # status: what a lane still loading waits for


def stream(client, *args, api_name):
    job = client.submit(*args, api_name=api_name)
    updates = list(job)
    return updates, job


def test_compare_streams_all_three_lanes(client):
    updates, _ = stream(client, "Write a Python hello world.", {"max_tokens": 24}, [], api_name="/compare")
    assert len(updates) > 2
    final = updates[-1]
    assert set(final) == {"base", "instruct", "reasoning"}
    for name, lane in final.items():
        assert set(lane) == LANE_KEYS, name
        assert lane["error"] is None and lane["text"], name
        assert lane["stats"]["finish_reason"] in ("stop", "length")
        assert lane["stats"]["ttft_s"] > 0 and lane["stats"]["completion_tokens"] >= 1
    # Streaming: text grew over the updates rather than arriving once.
    assert len({u["instruct"]["text"] for u in updates}) > 2


def test_compare_with_per_lane_override_and_subset(client):
    settings = {"max_tokens": 6, "temperature": 0, "instruct": {"max_tokens": 3}}
    updates, _ = stream(client, "Count to ten.", settings, ["instruct", "base"], api_name="/compare")
    final = updates[-1]
    assert list(final) == ["instruct", "base"]
    assert final["instruct"]["stats"]["completion_tokens"] <= 3
    assert final["base"]["stats"]["completion_tokens"] <= 6


def test_one_bad_lane_override_does_not_stop_the_others(client):
    updates, _ = stream(client, "Say hi.", {"max_tokens": 4, "base": {"temperature": 9}}, [], api_name="/compare")
    final = updates[-1]
    assert "temperature" in final["base"]["error"]
    assert final["instruct"]["error"] is None and final["instruct"]["text"]


def test_generate_streams_one_lane(client):
    updates, _ = stream(client, "instruct", "Write a haiku about Rust.", {"max_tokens": 16}, api_name="/generate")
    assert len(updates) > 1 and set(updates[-1]) == LANE_KEYS
    assert updates[-1]["stats"]["completion_tokens"] == 16 or updates[-1]["stats"]["finish_reason"] == "stop"


def test_complete_and_fim_on_the_tiny_model(client):
    out = client.predict("def add(a, b):", {"max_tokens": 8}, api_name="/complete")
    assert out["text"] and out["error"] is None
    with pytest.raises(AppError, match="no fill-in-the-middle tokens"):
        client.predict("def f():\n    ", "\n", {}, api_name="/fim")


@pytest.mark.parametrize(
    "args, api_name, fragment",
    [
        (("", {}, []), "/compare", "prompt is empty"),
        (("hi", {}, ["gpt"]), "/compare", "unknown lane 'gpt'"),
        (("hi", {"top_p": 0}, []), "/compare", None),  # per-lane error, not a request error
        (("hi", ["not", "a", "dict"], []), "/compare", "settings must be a JSON object"),
        (("instruct", "hi", {"temperature": 3}), "/generate", "temperature"),
        (("instruct", "hi", {"colour": "red"}), "/generate", "colour: unknown setting"),
        (("instruct", "x " * 5000, {"max_tokens": 8000}), "/generate", "only 192 fit"),
    ],
)
def test_bad_input_is_a_clear_error_and_the_server_stays_up(client, args, api_name, fragment):
    if fragment is None:
        final = client.predict(*args, api_name=api_name)
        assert all("top_p" in lane["error"] for lane in final.values())
    else:
        with pytest.raises(AppError) as err:
            client.predict(*args, api_name=api_name)
        assert fragment in str(err.value)
    assert client.predict("instruct", "hi", {"max_tokens": 2}, api_name="/generate")["error"] is None


def test_cancel_stops_the_run(client, seedui_app):
    job = client.submit("instruct", "Write a long essay about compilers.", {"max_tokens": 400}, api_name="/generate")
    deadline = time.time() + 60
    while time.time() < deadline and not job.outputs():
        time.sleep(0.05)
    assert busy_generations(seedui_app.engines.engines), "nothing was generating"
    job.cancel()
    # Generation ends within a token or two of the cancel; the bound is generous for a loaded machine.
    deadline = time.time() + 20
    while time.time() < deadline and busy_generations(seedui_app.engines.engines):
        time.sleep(0.05)
    assert not busy_generations(seedui_app.engines.engines)
    assert client.predict("instruct", "hi", {"max_tokens": 2}, api_name="/generate")["error"] is None


def test_lanes_endpoint(client):
    lanes = client.predict(api_name="/lanes")
    assert {v["status"] for v in lanes.values()} == {"ready"}
    assert lanes["base"]["fim"] is False
