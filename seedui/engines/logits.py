"""Logits processors for settings that `generate()` has no keyword for.

presence/frequency penalties follow the OpenAI/vLLM definition; a seed gets
its own `torch.Generator` so concurrent lanes never share random state.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import LogitsProcessor

from seedui.sampling import SamplingSettings


class PresenceFrequencyPenalty(LogitsProcessor):
    """logits[t] -= presence * (count[t] > 0) + frequency * count[t], over generated tokens only."""

    def __init__(self, presence: float, frequency: float, prompt_len: int) -> None:
        self.presence = presence
        self.frequency = frequency
        self.prompt_len = prompt_len

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        generated = input_ids[:, self.prompt_len :]
        if generated.shape[1] == 0:
            return scores
        counts = torch.zeros_like(scores).scatter_add_(1, generated, torch.ones_like(generated, dtype=scores.dtype))
        return scores - self.presence * (counts > 0).to(scores.dtype) - self.frequency * counts


class SeededSampler(LogitsProcessor):
    """Samples from the (already warped) distribution with a private generator.

    Runs last: it returns logits where only the chosen token is finite, so
    generate()'s own multinomial draw picks that token with probability 1.
    """

    def __init__(self, seed: int) -> None:
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        probs = torch.softmax(scores.float(), dim=-1).cpu()
        choice = torch.multinomial(probs, 1, generator=self.generator).to(scores.device)
        out = torch.full_like(scores, float("-inf"))
        return out.scatter_(1, choice, 0.0)


def extra_logits_processors(sampling: SamplingSettings, prompt_len: int) -> list[Any]:
    procs: list[Any] = []
    if sampling.presence_penalty or sampling.frequency_penalty:
        procs.append(
            PresenceFrequencyPenalty(sampling.presence_penalty or 0.0, sampling.frequency_penalty or 0.0, prompt_len)
        )
    if sampling.seed is not None and sampling.temperature != 0:
        procs.append(SeededSampler(sampling.seed))
    return procs
