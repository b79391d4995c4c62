"""What each OpenAI-compatible server wants on the wire, beyond what the OpenAI API itself says.

A lane's `engine` names its server's dialect (`vllm`, `llamacpp`, or plain
`openai_http`), whether SeedUI starts the server or it runs elsewhere
(`base_url`). The dialect decides:

- the body: standard fields as the `openai` client's arguments; the others
  (top_k, min_p, repetition penalty) in `extra_body` under the server's own
  names; and, for fields left unset, the value that means what OpenAI means by
  unset (no truncation) where the server's own default differs (llama.cpp
  samples with top_k 40, top_p 0.95, min_p 0.05, temperature 0.8 unless told);
- running usage: vLLM sends exact counts in every chunk when asked;
- counting a prompt's tokens before sending it (vLLM's `/tokenize` takes chat
  messages; llama.cpp renders them with `/apply-template`, then `/tokenize`s);
- what a thinking lane needs so that `<think>` special tokens reach the text:
  vLLM keeps them when told not to skip special tokens; llama.cpp drops control
  tokens from its output unless a request lists them in `preserved_tokens`,
  which its chat endpoint overwrites with the template's own list. So a
  thinking lane's chat is rendered with the GGUF's template (`/apply-template`,
  exactly what the chat endpoint would feed the model) and sent to
  `/v1/completions` with its think tags preserved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import openai

from seedui.engines.base import GenerationRequest, Message
from seedui.errors import EngineError
from seedui.sampling import SamplingSettings

STANDARD_FIELDS = ("temperature", "top_p", "presence_penalty", "frequency_penalty", "max_tokens", "seed")
EXTRA_FIELDS = ("top_k", "min_p", "repetition_penalty")  # outside the OpenAI API: in the body, by the server's name


@dataclass(frozen=True)
class Dialect:
    label: str  # the engine's name on the page: "<label> @ <url>"
    names: Mapping[str, str] = field(default_factory=dict)  # our extra field -> the server's name for it
    unset: Mapping[str, Any] = field(default_factory=dict)  # sent for a field that is not set
    continuous_usage: bool = False
    tokenizer: Literal["vllm", "llamacpp"] | None = None
    # How a thinking lane keeps its think tags when they are special tokens (see above).
    keeps_tags: Literal["skip_special_tokens", "preserved_tokens"] | None = None

    @property
    def renders_thinking_chats(self) -> bool:
        """A thinking lane's chat goes to the completions endpoint, rendered here with the model's template."""
        return self.keeps_tags == "preserved_tokens"

    def body(
        self, sampling: SamplingSettings, think_tags: tuple[str, str] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(standard OpenAI params, extra_body) for these settings; `think_tags` for a lane that thinks."""
        values = {**self.unset, **sampling.set_values()}
        std = {k: values[k] for k in STANDARD_FIELDS if k in values}
        if sampling.stop:
            std["stop"] = list(sampling.stop)
        extra = {self.names.get(k, k): values[k] for k in EXTRA_FIELDS if k in values}
        if think_tags and self.keeps_tags == "skip_special_tokens":
            extra["skip_special_tokens"] = False  # vLLM never puts the end-of-text token that stopped it in the text
        elif think_tags and self.keeps_tags == "preserved_tokens":
            extra["preserved_tokens"] = list(think_tags)
        return std, extra

    async def render(self, client: openai.AsyncOpenAI, root_url: str, messages: tuple[Message, ...]) -> str:
        """llama.cpp: the prompt its chat endpoint would make of `messages` (the GGUF's template)."""
        rendered = await client.post(f"{root_url}/apply-template", body={"messages": list(messages)}, cast_to=object)
        prompt = rendered.get("prompt") if isinstance(rendered, dict) else None
        if not isinstance(prompt, str):
            raise EngineError(f"{root_url}/apply-template answered no prompt")
        return prompt

    async def count_tokens(
        self, client: openai.AsyncOpenAI, root_url: str, model: str, request: GenerationRequest
    ) -> int | None:
        """The prompt's tokens as the server will count them; None where the dialect cannot tell.

        Raises the `openai` client's errors (NotFoundError: the server has no such route).
        """
        if self.tokenizer == "vllm":
            body: dict[str, Any] = {"model": model}
            if request.messages is not None:
                body.update(messages=list(request.messages), add_generation_prompt=True)
            else:
                body["prompt"] = request.prompt
            data = await client.post(f"{root_url}/tokenize", body=body, cast_to=object)
            count = data.get("count") if isinstance(data, dict) else None
            return count if isinstance(count, int) else None
        if self.tokenizer == "llamacpp":
            prompt = request.prompt
            if request.messages is not None:  # rendered exactly as the chat endpoint renders it
                prompt = await self.render(client, root_url, request.messages)
            # As the endpoints tokenize: BOS added where the model wants one (the template's own BOS text is
            # stripped when it renders), special tokens parsed (FIM markers are one token each).
            body = {"content": prompt, "add_special": True, "parse_special": True}
            data = await client.post(f"{root_url}/tokenize", body=body, cast_to=object)
            tokens = data.get("tokens") if isinstance(data, dict) else None
            return len(tokens) if isinstance(tokens, list) else None
        return None


OPENAI = Dialect("openai")
VLLM = Dialect(
    "vLLM",
    continuous_usage=True,
    tokenizer="vllm",
    keeps_tags="skip_special_tokens",
)
LLAMACPP = Dialect(
    "llama.cpp",
    names={"repetition_penalty": "repeat_penalty"},
    unset={"temperature": 1.0, "top_p": 1.0, "top_k": 0, "min_p": 0.0},
    tokenizer="llamacpp",
    keeps_tags="preserved_tokens",
)
DIALECTS = {"vllm": VLLM, "llamacpp": LLAMACPP}


def dialect_for(engine: str) -> Dialect:
    return DIALECTS.get(engine, OPENAI)
