"""Stream from any OpenAI-compatible server (vLLM, llama.cpp server, SGLang).

Requests go through the `openai` client: chat lanes use `/v1/chat/completions`
(the server applies the model's chat template), raw prompts (plain completion,
FIM strings) use `/v1/completions`. The body is built here (`request_kwargs`)
in the server's dialect (`dialects.py`: field names, unset values, running
usage, token counting), which the lane's `engine` names.

Reasoning: when the server splits thinking itself (vLLM `--reasoning-parser`,
llama.cpp for a template it knows) its `reasoning_content` (or `reasoning`)
deltas become `Chunk.reasoning`; otherwise `<think>` text stays in
`Chunk.text` and the fan-out splits it.

The engine talks to a fixed URL (a remote lane) or to a supervised
`ManagedServer` (whose URL and state it reads from the server). It has one
`openai.AsyncOpenAI` client (one connection pool), made on first use and
closed by `close()`, both on the loop that serves requests: the engine lives
on that one loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import openai

from seedui.config import LaneConfig
from seedui.engines.base import Chunk, EngineStatus, FinishReason, GenerationRequest
from seedui.engines.dialects import dialect_for
from seedui.errors import EngineError

if TYPE_CHECKING:
    from seedui.engines.servers import ManagedServer

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
CHECK_TIMEOUT_S = 10.0  # start-up check of /v1/models
TOKENIZE_TIMEOUT_S = 10.0
NO_KEY = "EMPTY"  # the openai client insists on a key; servers without --api-key ignore it


class OpenAIHttpEngine:
    """One lane on an OpenAI-compatible server."""

    def __init__(
        self,
        lane: LaneConfig,
        *,
        base_url: str | None = None,
        server: ManagedServer | None = None,
        timeout_s: float = 120.0,
        environ: dict[str, str] | None = None,
    ) -> None:
        if (base_url is None) == (server is None):
            raise ValueError("give either base_url or server")
        self.lane = lane
        self.server = server
        self._base_url = base_url
        self.timeout_s = timeout_s
        self.model_name = lane.served_model_name or lane.model
        self.dialect = dialect_for(lane.engine)
        self._environ = os.environ if environ is None else environ
        self._api_key: str | None = None
        self._status = EngineStatus("starting", f"checking {self.base_url}")
        self._http: openai.AsyncOpenAI | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # where the client was made (for a clear error)
        self._process = 0  # which start of a supervised server the client's connections belong to
        self._can_tokenize = self.dialect.tokenizer is not None

    # --- identity and state -------------------------------------------------

    @property
    def base_url(self) -> str:
        """The server's OpenAI base URL, ending in /v1."""
        return self.server.base_url if self.server is not None else self._base_url  # type: ignore[return-value]

    @property
    def root_url(self) -> str:
        """The server root (where /tokenize and /health live)."""
        url = self.base_url
        return url[: -len("/v1")] if url.endswith("/v1") else url

    @property
    def name(self) -> str:
        return f"{self.dialect.label} @ {self.root_url if self.dialect.tokenizer else self.base_url}"

    @property
    def status(self) -> EngineStatus:
        return self.server.status if self.server is not None else self._status

    async def start(self) -> None:
        """Start (or join) the supervised server, or check the remote one. Never raises."""
        try:
            self._api_key = self._read_api_key()
        except EngineError as exc:
            self._status = EngineStatus("failed", str(exc))
            log.warning("%s", exc)
            return
        if self.server is not None:
            await self.server.start()
            return
        self._status = await self.check_remote()
        if self._status.state == "failed":
            log.warning("lane %s: %s", self.lane.display_name, self._status.detail)

    def _read_api_key(self) -> str:
        env = self.lane.api_key_env
        if not env:
            return NO_KEY
        key = self._environ.get(env)
        if not key:
            raise EngineError(
                f"{self.lane.display_name}: the API key is read from the environment variable {env}, "
                "which is not set (on a Space: add it as a secret)"
            )
        return key

    async def check_remote(self) -> EngineStatus:
        """Is the host up, and does it serve our model? Says which, and what it serves instead."""
        client = (await self._client()).with_options(timeout=CHECK_TIMEOUT_S)
        try:
            page = await client.models.list()
        except openai.APIError as exc:
            return EngineStatus("failed", self._describe(exc, "checking the model list"))
        served = [m.id for m in page.data]
        if self.model_name not in served:
            listed = ", ".join(served[:10]) or "nothing"
            return EngineStatus(
                "failed",
                f"{self.base_url} is up but does not serve the model {self.model_name!r}; it serves: {listed}. "
                f"Set lanes.<lane>.served_model_name (or model) to one of these.",
            )
        return EngineStatus("ready", f"{self.model_name} at {self.base_url}")

    async def close(self) -> None:
        client, self._http, self._loop = self._http, None, None
        if client is not None:
            await client.close()

    # --- the client ---------------------------------------------------------

    async def _client(self) -> openai.AsyncOpenAI:
        """The engine's one client, made on first use on the running (serving) loop."""
        loop = asyncio.get_running_loop()
        if self._loop is not None and self._loop is not loop:
            raise RuntimeError(
                f"{self.name}: used from a second event loop; an engine starts, streams and closes on one loop"
            )
        client = self._http
        # A supervised server started again (a restart, or its turn after taking turns) is a new process, maybe on
        # the same port: the pool's kept-alive connections went with the old one and must not be reused.
        process = self.server.spawns if self.server is not None else 0
        if client is not None and (str(client.base_url).rstrip("/") != self.base_url or process != self._process):
            await client.close()
            client = None
        if client is None:
            client = openai.AsyncOpenAI(
                base_url=self.base_url,
                api_key=self._api_key or self._read_api_key(),
                max_retries=0,  # a retried stream would repeat text; errors go to the lane
                timeout=openai.Timeout(self.timeout_s, connect=CONNECT_TIMEOUT_S),
            )
            self._http, self._loop, self._process = client, loop, process
        return client

    def _require_ready(self) -> None:
        """A supervised server must be up; a remote one is simply tried (it may be back by now)."""
        if self.server is None:
            return
        status = self.server.status
        if status.state == "starting":
            raise EngineError(f"{self.lane.display_name} is not ready yet: {status.detail}")
        if status.state == "failed":
            raise EngineError(f"{self.lane.display_name} is unavailable: {status.detail}")

    # --- protocol -----------------------------------------------------------

    async def count_prompt_tokens(self, request: GenerationRequest) -> int | None:
        """The server's own count (same template as the chat endpoint); None where it cannot tell or on failure."""
        if not self._can_tokenize or self.status.state != "ready":
            return None
        try:
            client = (await self._client()).with_options(timeout=TOKENIZE_TIMEOUT_S)
            return await self.dialect.count_tokens(client, self.root_url, self.model_name, request)
        except EngineError:
            return None
        except openai.NotFoundError:
            self._can_tokenize = False  # not the server the dialect says: stop asking
            return None
        except openai.APIError:
            return None  # the stream itself will report what is wrong

    def request_kwargs(self, request: GenerationRequest) -> dict[str, Any]:
        """The exact keyword arguments for `chat.completions.create` / `completions.create`."""
        std, extra = self.dialect.body(request.sampling, self.lane.think_tags if self.lane.thinks else None)
        stream_options: dict[str, Any] = {"include_usage": True}
        if self.dialect.continuous_usage:
            stream_options["continuous_usage_stats"] = True  # usage in every chunk
        kwargs: dict[str, Any] = {"model": self.model_name, "stream": True, "stream_options": stream_options, **std}
        if extra:
            kwargs["extra_body"] = extra
        if request.messages is not None:
            kwargs["messages"] = list(request.messages)
        else:
            kwargs["prompt"] = request.prompt
        return kwargs

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        self._require_ready()
        # Taking turns: wake this lane's server (others wait); else a no-op.
        lease = self.server.lease() if self.server is not None else contextlib.nullcontext()
        async with lease, contextlib.aclosing(self._stream(request)) as chunks:
            async for chunk in chunks:
                yield chunk

    async def _stream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        """One request's stream; closing it closes the HTTP response, so the server stops generating."""
        client = await self._client()
        try:
            if request.messages is not None and self.lane.thinks and self.dialect.renders_thinking_chats:
                prompt = await self.dialect.render(client, self.root_url, request.messages)
                request = GenerationRequest(request.sampling, prompt=prompt)
            kwargs = self.request_kwargs(request)
            chat = request.messages is not None
            if chat:
                events = await client.chat.completions.create(**kwargs)
            else:
                events = await client.completions.create(**kwargs)
        except openai.APIError as exc:
            raise EngineError(self._describe(exc, "starting the answer")) from None
        if self.server is None and self._status.state != "ready":
            self._status = EngineStatus("ready", f"{self.model_name} at {self.base_url}")  # the host is back
        # Running counts: the server's usage when it sends it in every chunk
        # (vLLM), else one token per content event until the final usage.
        prompt_tokens: int | None = None
        completion_tokens = 0
        finish: FinishReason | None = None
        try:
            async for event in events:
                usage = getattr(event, "usage", None)
                if usage is not None:
                    prompt_tokens = usage.prompt_tokens
                    completion_tokens = usage.completion_tokens
                if not event.choices:
                    continue
                choice = event.choices[0]
                text, reasoning = _delta_text(choice, chat)
                if usage is None and (text or reasoning):
                    completion_tokens += 1
                if choice.finish_reason is not None:
                    finish = _finish(choice.finish_reason)
                if text or reasoning:  # usage alone waits for the next text: no empty updates downstream
                    yield Chunk(text, reasoning, prompt_tokens, completion_tokens)
        except openai.APIError as exc:
            raise EngineError(self._describe(exc, "streaming", mid_stream=True)) from None
        finally:
            await events.close()  # also when the consumer left: the server stops generating
        if finish is None:
            raise EngineError(f"{self.name} ended the stream without finishing the answer (did the server stop?)")
        yield Chunk(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, finish_reason=finish)

    # --- errors -------------------------------------------------------------

    def _describe(self, exc: openai.APIError, doing: str, mid_stream: bool = False) -> str:
        """An openai error -> what happened, where, and what to do."""
        url = self.base_url
        if isinstance(exc, openai.APITimeoutError):
            return f"{url} did not answer within {self.timeout_s:g} s while {doing}: the server is overloaded or stuck"
        if isinstance(exc, openai.APIConnectionError):
            if self.server is not None and self.server.status.state != "ready":
                return f"{self.dialect.label} for {self.lane.model} stopped ({self.server.status.detail})"
            cause = _root_cause(exc)
            if mid_stream:
                return f"the connection to {url} broke while {doing} ({cause}): did the server stop or restart?"
            if isinstance(_root_exception(exc), ConnectionRefusedError) or "refused" in cause.lower():
                return f"cannot connect to {url}: connection refused. Is the server running, and is the URL right?"
            return f"cannot connect to {url}: {cause}"
        if isinstance(exc, openai.APIStatusError):
            message = _server_message(exc)
            if exc.status_code in (401, 403):
                hint = f" (check the API key in ${self.lane.api_key_env})" if self.lane.api_key_env else ""
                return f"{url} refused the request ({exc.status_code}): {message}{hint}"
            return f"{url} answered {exc.status_code} while {doing}: {message}"
        return f"{url}: {exc}"


def _delta_text(choice: Any, chat: bool) -> tuple[str, str]:
    """(answer text, reasoning text) of one streamed choice."""
    if not chat:
        return choice.text or "", ""
    delta = choice.delta
    if delta is None:
        return "", ""
    extra = delta.model_extra or {}
    reasoning = extra.get("reasoning_content") or extra.get("reasoning") or ""
    return delta.content or "", reasoning if isinstance(reasoning, str) else ""


def _finish(reason: str) -> FinishReason:
    if reason == "length":
        return "length"
    if reason == "abort":
        raise EngineError("the server aborted the request (it may be shutting down or out of memory)")
    return "stop"  # stop, eos, tool_calls, content_filter: the answer is complete


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return inner["message"]
        if isinstance(body.get("message"), str):
            return body["message"]
        if isinstance(body.get("detail"), str):
            return body["detail"]
    if isinstance(body, str) and body:
        return body[:500]
    return exc.message


def _root_exception(exc: BaseException) -> BaseException:
    seen = set()
    while (exc.__cause__ or exc.__context__) is not None and id(exc) not in seen:
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return exc


def _root_cause(exc: BaseException) -> str:
    root = _root_exception(exc)
    text = str(root) or type(root).__name__
    return text
