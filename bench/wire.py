"""Wire cost: bytes the page downloads for a long answer vs. a short one.

The page's Run button on the Compare tab is driven exactly as the browser
drives it: the `run_compare` event is joined on Gradio's queue with the
page's own input values, and its SSE stream is read, counting bytes as they
arrive. The Base lane runs greedily on a prompt it continues at length (a
markdown document of recipes: headings, prose and fenced code), so the
short answer is a prefix of the long one. If the model stops before
max_tokens, the ratio is normalised per token.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
from tqdm import tqdm

from bench.sse import find_dependency, run_event

LANE = "base"
PROMPT = """# Python recipes

Short, tested recipes. Each one has a title, a sentence and a fenced code block.

## 1. Read a text file

Read the whole file at once.

```python
with open("notes.txt", encoding="utf-8") as f:
    text = f.read()
```

## 2. Count words

"""
TOKENS_RE = re.compile(r"(\d+) tokens")


def page_inputs(config: dict[str, Any], dep: dict[str, Any], overrides: dict[str, Any]) -> list[Any]:
    """The event's input values as the page would send them: each component's value, some set by elem_id."""
    components = {c["id"]: c for c in config["components"]}
    data = []
    for cid in dep["inputs"]:
        props = components[cid].get("props", {})
        value = props.get("value")
        elem_id = props.get("elem_id")
        if elem_id in overrides:
            value = overrides[elem_id]
        data.append(value)
    return data


def trigger_id(config: dict[str, Any], elem_id: str) -> int | None:
    for c in config["components"]:
        if c.get("props", {}).get("elem_id") == elem_id:
            return c["id"]
    return None


async def one_answer(url: str, max_tokens: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(30, read=600)) as http:
        config = (await http.get("config")).json()
        dep = find_dependency(config, "run_compare")
        data = page_inputs(
            config,
            dep,
            {
                "compare-prompt": PROMPT,
                "compare-lanes": [LANE],
                "card-defaults": False,  # send the panel's values: greedy, and this max_tokens
                "unlink-lanes": False,
                "shared-temperature": 0,
                "shared-max_tokens": max_tokens,
            },
        )
        bar = tqdm(total=max_tokens, desc=f"wire cost: {max_tokens}-token answer", unit="tok", leave=False)
        seen = {"tokens": 0}

        def progress(_t: float, values: list[Any]) -> None:
            stats = next((v.get("stats", "") for v in values if isinstance(v, dict) and v.get("lane") == LANE), "")
            match = TOKENS_RE.search(stats or "")
            if match and int(match.group(1)) > seen["tokens"]:
                bar.update(int(match.group(1)) - seen["tokens"])
                seen["tokens"] = int(match.group(1))

        run = await run_event(
            http,
            dep["id"],
            data,
            trigger_id=trigger_id(config, "compare-run"),
            headers={"X-Forwarded-For": f"bench-wire-{max_tokens}"},
            on_outputs=progress,
        )
        bar.close()
    if run.rejected or run.error or not run.outputs:
        raise RuntimeError(f"the compare event failed: {run.rejected or run.error}")
    view = next(v for v in run.outputs if isinstance(v, dict) and v.get("lane") == LANE)
    match = TOKENS_RE.search(view.get("stats", ""))
    tokens = int(match.group(1)) if match else 0
    html_chars = sum(
        len(b) if isinstance(b, str) else sum(len(x) for x in b) for m in view["messages"] for b in m.get("blocks", [])
    )
    return {
        "max_tokens": max_tokens,
        "tokens": tokens,
        "wire_bytes": run.wire_bytes,
        "bytes_per_token": round(run.wire_bytes / tokens, 1) if tokens else None,
        "content_encoding": run.content_encoding,
        "messages": run.messages,
        "largest_message_bytes": run.largest_message,
        "final_html_chars": html_chars,
        "seconds": round(run.ended_at or 0, 1),
    }


def wire_cost(url: str, short: int, long: int) -> dict[str, Any]:
    runs = {}
    for n in tqdm([short, long], desc="wire cost", unit="answer"):
        runs[n] = asyncio.run(one_answer(url, n))
    s, g = runs[short], runs[long]
    raw = g["wire_bytes"] / s["wire_bytes"]
    # Per token: what the ratio would be had both answers run to max_tokens.
    normalised = (g["bytes_per_token"] / s["bytes_per_token"]) * (long / short) if s["tokens"] and g["tokens"] else None
    figure = normalised if normalised is not None else raw
    return {
        "goal": "<= 10 (linear: 8 would be exactly proportional; quadratic would be ~64)",
        "ratio": round(figure, 2),
        "pass": figure <= 10,
        "ratio_raw_bytes": round(raw, 2),
        "definition": f"bytes of the Compare tab's SSE stream for a {long}-token answer over a {short}-token one "
        "(Base lane, greedy); normalised per token when the model stopped early",
        "short": s,
        "long": g,
    }
