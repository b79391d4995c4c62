"""In-process streaming with transformers: the CPU default, and GPUs without vLLM.

`model.generate` runs in a worker thread and pushes token ids through a
streamer into an asyncio queue. Closing the stream sets a cancel flag that a
stopping criterion checks after every token, so the thread ends promptly.
Lanes that name the same model share one loaded copy (`ModelPool`).
On ZeroGPU Spaces the tokens come from a GPU worker process instead (`zerogpu.py`);
the decoding, stop strings and counts here are the same for both.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from seedui.config import LaneConfig
from seedui.engines.base import Chunk, EngineStatus, GenerationRequest
from seedui.errors import EngineError
from seedui.sampling import DEFAULT_MAX_TOKENS, SamplingSettings
from seedui.streaming import StopMatcher
from seedui.weights import resolve_weights


@dataclass
class LoadedModel:
    model: Any
    tokenizer: Any
    device: str
    path: Path


Emit = Callable[[tuple[str, Any]], None]  # ("tokens", ids), ("error", message), ("end", None)


@dataclass(frozen=True)
class GenerateJob:
    """One `generate` call, apart from the model: plain data, so that it can be pickled (into a ZeroGPU worker)."""

    model: str  # the lane's model id
    prompt_ids: list[int]
    kwargs: dict[str, Any]  # `generate_kwargs(sampling)`
    sampling: SamplingSettings  # for the logits processors of our own (penalties, seed)

    @property
    def max_new_tokens(self) -> int:
        return self.kwargs["max_new_tokens"]


class ModelPool:
    """Loads each model once; every lane naming it gets the same object."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self._models: dict[str, LoadedModel] = {}
        self._lock = threading.Lock()

    def get(self, model_id: str) -> LoadedModel:
        with self._lock:
            if model_id not in self._models:
                self._models[model_id] = self._load(model_id)
            return self._models[model_id]

    def _load(self, model_id: str) -> LoadedModel:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = resolve_weights(model_id, self.cache_dir)
        device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = torch.bfloat16 if device == "cuda" else torch.float32
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).to(device).eval()
        tokenizer = AutoTokenizer.from_pretrained(path)
        return LoadedModel(model, tokenizer, device, path)


class IncrementalDecoder:
    """Token ids -> text deltas, O(n) overall, never splitting a multi-byte character.

    Decodes a short window before the new tokens and emits the difference (as
    vLLM's detokenizer does), so merged tokens and leading spaces come out right.

    `keep_special` (the Reasoning lane): when `<think>`/`</think>` are special tokens, the usual
    `skip_special_tokens=True` would drop the tags and the thinking would read as the answer. Such a
    decoder keeps special tokens and drops only end-of-text / padding / begin-of-text ids (the
    tokenizer's eos, pad and bos, plus `drop_ids`, e.g. the model's generation eos ids).
    """

    def __init__(self, tokenizer: Any, *, keep_special: bool = False, drop_ids: Iterable[int | None] = ()) -> None:
        self.tokenizer = tokenizer
        self.keep_special = keep_special
        self.drop = {
            i
            for i in (tokenizer.eos_token_id, tokenizer.pad_token_id, tokenizer.bos_token_id, *drop_ids)
            if isinstance(i, int)
        }
        self.ids: list[int] = []
        self.prefix = 0
        self.read = 0

    def add(self, new_ids: list[int], final: bool = False) -> str:
        if self.keep_special:
            new_ids = [i for i in new_ids if i not in self.drop]
        self.ids.extend(new_ids)
        skip = not self.keep_special
        decode = self.tokenizer.decode
        before = decode(self.ids[self.prefix : self.read], skip_special_tokens=skip)
        after = decode(self.ids[self.prefix :], skip_special_tokens=skip)
        if len(after) > len(before) and (final or not after.endswith("\ufffd")):
            self.prefix, self.read = self.read, len(self.ids)
            return after[len(before) :]
        return ""


def eos_ids(model: Any) -> list[int]:
    """The ids `generate` stops on (the generation config may list several: end of turn, end of text)."""
    eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if eos is None:
        return []
    return [eos] if isinstance(eos, int) else [int(i) for i in eos]


class Models(Protocol):
    """Where a lane gets its model: a `ModelPool` loads it; on ZeroGPU it was placed before launch."""

    def get(self, model_id: str) -> LoadedModel: ...


class TransformersEngine:
    """One lane on a model loaded in this process."""

    def __init__(self, lane: LaneConfig, pool: Models) -> None:
        self.lane = lane
        self.pool = pool
        self.name = "transformers"
        self._status = EngineStatus()
        self._loaded: LoadedModel | None = None
        # The service counts a request's tokens before streaming it: keep the ids so the
        # chat template and tokenizer run once per request, not twice.
        self._encoded: tuple[GenerationRequest, list[int]] | None = None

    @property
    def status(self) -> EngineStatus:
        return self._status

    async def start(self) -> None:
        self._status = EngineStatus("starting", f"loading {self.lane.model}")
        try:
            self._loaded = await asyncio.to_thread(self.pool.get, self.lane.model)
        except Exception as exc:  # shown on the page; the other lanes still start
            self._status = EngineStatus("failed", f"could not load {self.lane.model}: {exc}")
            return
        self.name = f"transformers ({self._loaded.device})"
        self._status = EngineStatus("ready", f"{self.lane.model} loaded on {self._loaded.device}")

    async def close(self) -> None:
        self._loaded = None

    def _require(self) -> LoadedModel:
        if self._loaded is None:
            raise EngineError(f"{self.lane.display_name} is not ready: {self._status.detail or 'still loading'}")
        return self._loaded

    def encode(self, request: GenerationRequest) -> list[int]:
        cached = self._encoded
        if cached is not None and cached[0] is request:
            return cached[1]
        tok = self._require().tokenizer
        if request.messages is not None:
            text = tok.apply_chat_template(list(request.messages), tokenize=False, add_generation_prompt=True)
            ids = tok(text, add_special_tokens=False)["input_ids"]
        else:
            ids = tok(request.prompt)["input_ids"]
        self._encoded = (request, ids)
        return ids

    async def count_prompt_tokens(self, request: GenerationRequest) -> int | None:
        return len(self.encode(request))

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Chunk]:
        loaded = self._require()
        prompt_ids = self.encode(request)
        job = GenerateJob(self.lane.model, prompt_ids, generate_kwargs(request.sampling), request.sampling)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        cancel = threading.Event()

        def emit(item: tuple[str, Any]) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the consumer's event loop is gone: nobody listens any more
                cancel.set()

        # The thread carries the request's context (a copy): on ZeroGPU the visitor's quota token is read from it.
        worker = threading.Thread(
            target=contextvars.copy_context().run,
            args=(self._produce, loaded, job, cancel, emit),
            name=f"generate-{self.lane.role}",
            daemon=True,
        )
        decoder = IncrementalDecoder(loaded.tokenizer, keep_special=self.lane.thinks, drop_ids=eos_ids(loaded.model))
        stops = StopMatcher(request.sampling.stop or ())
        produced = 0
        worker.start()
        try:
            yield Chunk(prompt_tokens=len(prompt_ids), completion_tokens=0)
            while True:
                kind, payload = await queue.get()
                if kind == "error":
                    raise EngineError(f"generation failed: {payload}")
                if kind == "end":
                    break
                produced += len(payload)
                text = stops.feed(decoder.add(payload))
                if stops.stopped:
                    yield Chunk(text=text, completion_tokens=produced, finish_reason="stop")
                    return
                if text:
                    yield Chunk(text=text, completion_tokens=produced)
            tail = stops.feed(decoder.add([], final=True)) + stops.flush()
            finish = "length" if produced >= job.max_new_tokens else "stop"
            yield Chunk(text=tail, completion_tokens=produced, finish_reason=finish)
        finally:
            cancel.set()  # the client went away, a stop string matched, or we finished

    def _produce(self, loaded: LoadedModel, job: GenerateJob, cancel: threading.Event, emit: Emit) -> None:
        """Worker thread: emit ("tokens", ids)... then ("end", None), or ("error", message) first; stop on `cancel`."""
        generate_tokens(loaded, job, cancel, emit)


def generate_kwargs(sampling: SamplingSettings) -> dict[str, Any]:
    """Keyword arguments for transformers `model.generate`.

    presence/frequency penalties and the seed have no `generate` kwarg: they are
    applied with logits processors of our own (seedui/engines/logits.py).
    """
    kw: dict[str, Any] = {"max_new_tokens": sampling.max_tokens or DEFAULT_MAX_TOKENS}
    greedy = sampling.temperature == 0
    kw["do_sample"] = not greedy
    if not greedy:
        if sampling.temperature is not None:
            kw["temperature"] = sampling.temperature
        if sampling.top_p is not None:
            kw["top_p"] = sampling.top_p
        # generate() defaults top_k to 50; 0 turns it off as in vLLM.
        kw["top_k"] = sampling.top_k if sampling.top_k is not None else 0
        if sampling.min_p:
            kw["min_p"] = sampling.min_p
    if sampling.repetition_penalty is not None:
        kw["repetition_penalty"] = sampling.repetition_penalty
    return kw


def generate_tokens(loaded: LoadedModel, job: GenerateJob, cancel: threading.Event, emit: Emit) -> None:
    """Thread body: run generate() and push ("tokens", ids) / ("error", msg) / ("end", None)."""
    import torch
    from transformers import LogitsProcessorList, StoppingCriteria, StoppingCriteriaList

    from seedui.engines.logits import extra_logits_processors

    class _Cancelled(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **_: Any) -> Any:
            return torch.full((input_ids.shape[0],), cancel.is_set(), dtype=torch.bool, device=input_ids.device)

    class _Streamer:
        first = True

        def put(self, value: Any) -> None:
            if self.first:  # generate() first pushes the prompt itself
                self.first = False
                return
            emit(("tokens", value.reshape(-1).tolist()))

        def end(self) -> None:
            pass

    tok = loaded.tokenizer
    try:
        input_ids = torch.tensor([job.prompt_ids], device=loaded.device)
        with torch.inference_mode():
            _model_generate(
                loaded.model,
                input_ids=input_ids,
                attention_mask=torch.ones_like(input_ids),
                streamer=_Streamer(),
                stopping_criteria=StoppingCriteriaList([_Cancelled()]),
                logits_processor=LogitsProcessorList(extra_logits_processors(job.sampling, len(job.prompt_ids))),
                pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id,
                **job.kwargs,
            )
    except Exception as exc:  # reported to the lane, never kills the app
        emit(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        emit(("end", None))


def _model_generate(model: Any, **kwargs: Any) -> Any:
    return model.generate(**kwargs)  # a seam: tests replay a model's ids through it
