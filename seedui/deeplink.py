"""Deep links: URL query parameters that prefill the page.

``/?prompt=...&lanes=base,instruct&tab=compare&temperature=0.2&share=ID``

`parse_query` never raises: a value that is not valid is dropped and a notice
says why (the page shows the notices), so one bad parameter never costs the
others. Sampling values are checked one by one against `SamplingSettings`,
the same model the request path uses.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from seedui.errors import UserError
from seedui.sampling import SamplingSettings, field_spec, field_specs
from seedui.shares import SHARE_ID_RE

MAX_LINK_PROMPT_BYTES = 32 * 1024
# Gradio serves through uvicorn + h11, which refuses a request head over 16 KiB;
# links we make stay well under it (the prompt is percent-encoded, up to 9x).
MAX_BUILT_QUERY_CHARS = 12_000
TABS = ("compare", "chat", "fim")
# Links carry the numeric sampling fields (not stop strings), as the model lists them.
SAMPLING_PARAMS = tuple(spec.name for spec in field_specs() if spec.numeric)
KNOWN_PARAMS = ("prompt", "lanes", "tab", "share", *SAMPLING_PARAMS)
# Set by Gradio or Hugging Face Spaces, not by our links: ignored without a notice.
FRAMEWORK_PARAMS = frozenset({"view", "logs"})
MAX_NAMED = 8  # unknown parameters or lanes named in notices; the rest are counted


@dataclass
class DeepLink:
    """What a link asks for; None / empty means "not given"."""

    prompt: str | None = None
    lanes: list[str] | None = None
    tab: str | None = None
    settings: dict[str, int | float] = field(default_factory=dict)  # valid sampling values only
    share: str | None = None
    notices: list[str] = field(default_factory=list)

    def sampling(self) -> SamplingSettings:
        return SamplingSettings.parse(self.settings)


def _show(value: str, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 2] + "…" + text[0]


def _parse_number(name: str, raw: str) -> int | float:
    text = raw.strip()
    if field_spec(name).kind == "int":
        return int(text)  # ValueError for "1.5", "abc", and > 4300 digits
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("not finite")
    return value


def parse_query(params: Mapping[str, str], known_lanes: list[str]) -> DeepLink:
    """Turn query parameters into a prefill; invalid values become notices."""
    link = DeepLink()
    note = link.notices.append
    unknown: list[str] = []
    for name, raw in params.items():
        value = raw if isinstance(raw, str) else str(raw)
        if name in SAMPLING_PARAMS:
            try:
                number = _parse_number(name, value)
                SamplingSettings.parse({name: number})
            except (ValueError, UserError):
                note(f"ignored {name}={_show(value)}: {field_spec(name).rule()}")
                continue
            link.settings[name] = number
        elif name == "prompt":
            size = len(value.encode("utf-8"))
            if size > MAX_LINK_PROMPT_BYTES:
                note(f"ignored prompt: {size:,} bytes is over the {MAX_LINK_PROMPT_BYTES // 1024} KB limit for links")
            elif value:
                link.prompt = value
        elif name == "lanes":
            link.lanes = _parse_lanes(value, known_lanes, note)
        elif name == "tab":
            tab = value.strip().lower()
            if tab in TABS:
                link.tab = tab
            else:
                note(f"ignored tab={_show(value)}: must be one of {', '.join(TABS)}")
        elif name == "share":
            share = value.strip()
            if SHARE_ID_RE.fullmatch(share):
                link.share = share
            else:
                note(f"ignored share={_show(value)}: not a valid share id; the link may be incomplete")
        elif name.startswith("__") or name in FRAMEWORK_PARAMS:
            continue
        else:
            unknown.append(name)
    _note_some(note, unknown, lambda name: f"unknown parameter {_show(name)}; known: {', '.join(KNOWN_PARAMS)}",
               "unknown parameters")  # fmt: skip
    return link


def _note_some(note: Any, names: list[str], each: Any, rest: str) -> None:
    """A notice for each of the first MAX_NAMED names, then one that counts the rest."""
    for name in names[:MAX_NAMED]:
        note(f"ignored {each(name)}")
    if len(names) > MAX_NAMED:
        note(f"ignored {len(names) - MAX_NAMED} more {rest}")


def _parse_lanes(value: str, known_lanes: list[str], note: Any) -> list[str] | None:
    asked = [part.strip() for part in value.split(",") if part.strip()]
    if not asked:
        note(f"ignored lanes={_show(value)}: name one or more of {', '.join(known_lanes)}")
        return None
    unknown = [name for name in asked if name not in known_lanes]
    _note_some(note, unknown, lambda name: f"lane {_show(name)}: known lanes are {', '.join(known_lanes)}",
               "unknown lanes")  # fmt: skip
    chosen = [name for name in known_lanes if name in asked]
    if not chosen:
        note("no known lane was named, so the lane selection is left as it is")
        return None
    return chosen


def build_query(
    prompt: str | None = None,
    lanes: Iterable[str] | None = None,
    tab: str | None = None,
    settings: Mapping[str, Any] | SamplingSettings | None = None,
) -> str:
    """A query string (without '?') that `parse_query` turns back into these values.

    `settings` may hold only the sampling parameters links carry (None values
    are skipped); anything else is a ValueError, as is an unknown tab.
    """
    pairs: list[tuple[str, str]] = []
    if prompt:
        size = len(prompt.encode("utf-8"))
        if size > MAX_LINK_PROMPT_BYTES:
            raise UserError(
                f"the prompt is too long for a link: {size:,} bytes, the limit is "
                f"{MAX_LINK_PROMPT_BYTES // 1024} KB; use Share instead"
            )
        pairs.append(("prompt", prompt))
    if lanes is not None:
        names = list(lanes)
        if names:
            pairs.append(("lanes", ",".join(names)))
    if tab is not None:
        if tab not in TABS:
            raise ValueError(f"tab must be one of {', '.join(TABS)}, got {tab!r}")
        pairs.append(("tab", tab))
    if not isinstance(settings, SamplingSettings):
        given = {k: v for k, v in (settings or {}).items() if v is not None}
        extra = sorted(set(given) - set(SAMPLING_PARAMS))
        if extra:
            raise ValueError(f"links cannot carry {', '.join(extra)}; they carry {', '.join(SAMPLING_PARAMS)}")
        settings = SamplingSettings.parse(given)  # UserError for out-of-range values
    values = settings.set_values()
    for name in SAMPLING_PARAMS:
        if name in values:
            value = values[name]
            pairs.append((name, str(int(value)) if field_spec(name).kind == "int" else repr(float(value))))
    query = urlencode(pairs, quote_via=quote, safe=",")
    if len(query) > MAX_BUILT_QUERY_CHARS:
        raise UserError(
            f"this prompt is too long for a link: {len(query):,} characters once encoded, the limit is "
            f"{MAX_BUILT_QUERY_CHARS:,}; use Share instead"
        )
    return query
