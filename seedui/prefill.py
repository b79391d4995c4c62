"""What the page's inputs show for a deep link or a stored comparison: plain data, no Gradio.

A `PageFill` names what it sets by tab, lane and sampling field; the page
(seedui/ui/fill.py) turns it into component updates. Anything that cannot be
kept as asked (an unknown lane, a value over this server's limit, a setting
that does not validate) is left out or adjusted, and said in `notes`, so the
visitor sees what changed.

    deeplink_fill(link, offered, limit)        ?prompt=...&lanes=...&temperature=...
    playground_fill(comparison, config, limit) "Open in playground" on a shared comparison
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from seedui.config import AppConfig
from seedui.controls import SLIDER_FIELDS, shown_values
from seedui.deeplink import DeepLink
from seedui.errors import UserError
from seedui.prompts import AS_TYPED, INSTRUCTION_AS
from seedui.sampling import SamplingSettings
from seedui.service import NON_SAMPLING_KEYS, lane_settings

COMPARE = "compare"


@dataclass
class SamplingFill:
    """What the sampling panel shows; None or empty leaves a control as it is."""

    card_defaults: bool | None = None
    unlink: bool | None = None
    system_prompt: str | None = None
    shared: dict[str, Any] = field(default_factory=dict)  # field -> value the shared controls show
    per_lane: dict[str, dict[str, Any]] = field(default_factory=dict)  # lane -> field -> value


@dataclass
class PageFill:
    """What the page's inputs show; what is not named is left as it is."""

    tab: str | None = None  # the tab to select
    text: dict[str, str] = field(default_factory=dict)  # tab -> its prompt / message / code box
    lanes: dict[str, list[str]] = field(default_factory=dict)  # tab -> the lanes to tick
    instruction_as: dict[str, str] = field(default_factory=dict)  # Base lane -> how the prompt reaches it
    sampling: SamplingFill = field(default_factory=SamplingFill)
    notes: list[str] = field(default_factory=list)


def deeplink_fill(link: DeepLink, offered: Mapping[str, Sequence[str]], limit: int) -> PageFill:
    """A parsed link's fill, its notices first.

    `offered` maps each tab on this page to the lanes its lane box offers (none
    for a tab without one); `limit` is the max_tokens controls' maximum.
    """
    fill = PageFill(notes=list(link.notices))
    note = fill.notes.append
    tab = link.tab or COMPARE
    if tab not in offered:
        note(f"ignored tab={tab}: that tab is not on this server")
        tab = COMPARE
    if link.tab:
        fill.tab = tab
    if link.prompt is not None:
        fill.text[tab] = link.prompt
    if link.lanes:
        lanes = list(offered.get(tab) or ())
        if not lanes:
            note("ignored lanes: the Completion / FIM tab always uses the Base lane")
        else:
            for name in link.lanes:
                if name not in lanes:
                    note(f"ignored lane {name!r}: the {tab} tab offers {', '.join(lanes)}")
            chosen = [name for name in link.lanes if name in lanes]
            if chosen:
                fill.lanes[tab] = chosen

    values = dict(link.settings)
    if values:
        sampling = fill.sampling
        sampling.unlink = False
        if values.get("max_tokens", 0) > limit:
            note(f"max_tokens={values['max_tokens']} is over this server's limit; set to {limit}")
            values["max_tokens"] = limit
        sampling.shared = values
        # The sliders are sent only with "card defaults" off; a seed alone is sent either way.
        if set(values) & set(SLIDER_FIELDS):
            sampling.card_defaults = False
    return fill


def playground_fill(comparison: Mapping[str, Any], config: AppConfig, limit: int) -> PageFill:
    """The Compare tab's inputs for a stored comparison, to run it again here.

    Settings are reproduced as the run saw them: the shared controls when the
    comparison carries only shared values (a full set of sliders, or only a seed
    and stop strings, which "card defaults" mode sends), each lane's own controls
    otherwise (its model card defaults, then the shared values, then the lane's
    overrides — the order `service.lane_settings` applies).
    """
    notes: list[str] = []
    here = list(config.lanes)
    stored = list(comparison.get("lanes") or {})
    for name in stored:
        if name not in here:
            notes.append(f"lane {name!r} is not on this server (lanes here: {', '.join(here)})")
    chosen = [name for name in here if name in stored] or here
    fill = PageFill(tab=COMPARE, text={COMPARE: comparison.get("prompt") or ""}, lanes={COMPARE: chosen}, notes=notes)
    settings = _known_settings(comparison.get("settings") or {}, here, notes)

    per_lane = {k: v for k, v in settings.items() if isinstance(v, dict)}
    shared = {k: v for k, v in settings.items() if not isinstance(v, dict)}
    system = shared.get("system_prompt") or next(
        (v.get("system_prompt") for v in per_lane.values() if v.get("system_prompt")), ""
    )
    for name in here:
        if not config.lanes[name].chats:
            way = (per_lane.get(name) or {}).get("instruction_as", shared.get("instruction_as", AS_TYPED))
            fill.instruction_as[name] = way if way in INSTRUCTION_AS else AS_TYPED
    sampling = fill.sampling
    sampling.system_prompt = system if isinstance(system, str) else ""
    shared_sampling = {k: v for k, v in shared.items() if k not in NON_SAMPLING_KEYS}
    lane_sampling = any(set(v) - set(NON_SAMPLING_KEYS) for v in per_lane.values())
    full_set = set(SLIDER_FIELDS) <= set(shared_sampling)
    light = set(shared_sampling) <= {"seed", "stop"}

    if not lane_sampling and (light or full_set):
        try:
            parsed = SamplingSettings.parse(shared_sampling)
        except UserError:
            parsed = None  # shown lane by lane below, each with its note
        if parsed is not None:
            values, more = shown_values(parsed, limit)
            sampling.unlink, sampling.card_defaults = False, light
            # In "card defaults" mode the sliders are not sent: leave them as they are.
            sampling.shared = {k: v for k, v in values.items() if not light or k in ("seed", "stop")}
            notes += more if not light else []
            return fill

    sampling.unlink = True
    for name in here:
        try:
            lane, _ = lane_settings(config, settings, name)
        except UserError as exc:
            notes.append(f"{exc}; lane {name} shows its model card defaults")
            lane = config.lanes[name].sampling
        sampling.per_lane[name], more = shown_values(lane, limit, f"lane {name}: ")
        notes += more
    return fill


def _known_settings(raw: Mapping[str, Any], here: Sequence[str], notes: list[str]) -> dict[str, Any]:
    """A stored comparison's settings that mean something here; the rest noted and dropped."""
    fields = set(SamplingSettings.model_fields)
    settings: dict[str, Any] = {}
    for key, value in raw.items():
        if key in here:
            if isinstance(value, dict):
                settings[key] = value
            else:
                notes.append(f"ignored settings.{key}: per-lane settings must be a dict")
        elif isinstance(value, dict):
            notes.append(f"ignored the settings for lane {key!r}, which is not on this server")
        elif key in fields or key in NON_SAMPLING_KEYS:
            settings[key] = value
        else:
            notes.append(f"ignored the unknown setting {key!r}")
    return settings
