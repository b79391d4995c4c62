"""What the sampling controls show for some settings, and what they send back: pure, both ways.

The page has one set of controls per lane and a shared set; each set shows
every `SamplingSettings` field. A field's control, label, step and the value it
shows while unset come from the model (`sampling.field_spec`), so this module
holds only the two mappings:

    shown_values(settings, limit)  -> {field: value its control shows}, notes
    sent_settings({field: value})  -> the settings dict those controls send

An unset seed shows -1 ("random") and empty stop strings show ""; both are
sent as unset. Stop strings are one per line, so a newline in one is written
``\\n`` (and a tab ``\\t``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from seedui.config import AppConfig
from seedui.sampling import SamplingSettings, field_spec, field_specs

SLIDER_FIELDS = tuple(spec.name for spec in field_specs() if spec.slider)


def max_tokens_limit(config: AppConfig) -> int:
    """The most a max_tokens control offers: the longest lane context, within the request limit."""
    longest = max(lane.context_length for lane in config.lanes.values())
    return max(1, min(longest, config.limits.max_total_tokens))


def stop_text(stops: Iterable[str] | None) -> str:
    """Stop strings as the one-per-line text box shows them."""
    return "\n".join(s.replace("\n", "\\n").replace("\t", "\\t") for s in stops or ())


def parse_stop_text(text: str | None) -> list[str]:
    """The inverse of `stop_text`; blank lines are dropped."""
    return [s.replace("\\n", "\n").replace("\\t", "\t") for s in (text or "").split("\n") if s]


def shown_values(settings: SamplingSettings, limit: int, where: str = "") -> tuple[dict[str, Any], list[str]]:
    """Field -> the value its control shows for `settings`, and notes on what could not be shown as is.

    `limit` is the max_tokens control's maximum; `where` prefixes a note (e.g. "lane base: ").
    """
    notes: list[str] = []
    out: dict[str, Any] = {}
    for spec in field_specs():
        value = getattr(settings, spec.name)
        if spec.name == "stop":
            out["stop"] = stop_text(value)
        elif spec.name == "max_tokens":
            wanted = value or spec.unset
            if wanted > limit:
                notes.append(f"{where}max_tokens {wanted} is over this server's limit; set to {limit}")
            out["max_tokens"] = min(wanted, limit)
        else:
            out[spec.name] = value if value is not None else spec.unset
    return out, notes


def card_values(card: SamplingSettings, limit: int) -> dict[str, Any]:
    """What a lane's controls show at start and after "reset": its card's values, seed and stop empty.

    A card's own seed or stop still applies: what the controls send is merged over the card.
    """
    shown, _ = shown_values(card, limit)
    return {**shown, "seed": field_spec("seed").unset, "stop": field_spec("stop").unset}


def sent_settings(shown: Mapping[str, Any], include_sliders: bool = True) -> dict[str, Any]:
    """The settings that controls showing `shown` send (the fields given; sliders left out on request)."""
    out: dict[str, Any] = {}
    for name, value in shown.items():
        spec = field_spec(name)
        if spec.slider:
            if include_sliders and value is not None:
                out[name] = int(value) if spec.kind == "int" else value
        elif name == "seed":
            if value is not None and value >= 0:
                out["seed"] = int(value)
        elif name == "stop":
            stops = parse_stop_text(value)
            if stops:
                out["stop"] = stops
    return out
