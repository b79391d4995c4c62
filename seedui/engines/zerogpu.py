"""ZeroGPU Spaces: the transformers lanes generate in the GPU worker that `spaces` forks for each call.

The contract, read from the `spaces` package's source (0.51.3, `spaces/zero/`):
- A `@spaces.GPU` function runs in a worker process forked from the Space (`wrappers.py` `Worker`). Its
  arguments and everything it yields cross pickling queues: only plain data goes in and comes out.
- A generator function streams: each value reaches the caller as it is yielded. Closing the caller's
  generator sets the worker's stop event, which the worker checks after the function's next yield; it then
  closes the function's generator. Async functions are refused.
- `duration` may be a callable: it gets the call's own arguments (`static_duration`), and the seconds are asked
  of the scheduler together with the visitor's quota token, which is read from the request's context
  (`LocalContext.request`, a context variable) when the call starts.
- At import `spaces` patches torch so that `.to("cuda")` works without a GPU, on the importing thread only
  (torch modes are thread-local); `Blocks.launch` is hooked (`one_launch`) to pack what was placed on "cuda",
  and each worker moves it onto its GPU.

So: `spaces` is imported first (app.py imports this module before anything else), every lane's model is
placed on the main thread before launch (`PLACED.place`), and one module-level GPU generator
(`gpu_tokens`) takes a `GenerateJob` (plain data: the model's id, the prompt's token ids, the `generate`
kwargs, the sampling settings), runs `generate` with a streamer in the worker and yields token ids.
`ZeroGPUEngine` iterates it in a thread that carries the request's context, decodes in this process as the
in-process engine does, and closes it on Stop. Off ZeroGPU the same engine runs the generator in this process
(no fork): tests use that to check the engine cheaply.
"""

from __future__ import annotations

import math
import os
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from seedui.config import AppConfig
from seedui.engines.transformers_local import (
    Emit,
    GenerateJob,
    LoadedModel,
    ModelPool,
    TransformersEngine,
    generate_tokens,
)
from seedui.errors import EngineError

# As `spaces` itself reads it (spaces/config.py); the platform sets it on ZeroGPU hardware.
ON_ZEROGPU = os.environ.get("SPACES_ZERO_GPU", "").lower() in ("1", "t", "true")

if ON_ZEROGPU:
    import spaces  # patches torch at import: before any model is placed

# GPU seconds asked for one call: the worker's start (moving the packed weights onto its GPU) and the prompt,
# then each new token. An 8B model in bf16 under transformers' `generate`: ~25-35 ms a token on a ZeroGPU
# slice, doubled for margin. Estimates: only a real ZeroGPU Space can confirm them.
GPU_SECONDS_FIRST = 20.0
GPU_SECONDS_PER_TOKEN = 0.06


class PlacedModels:
    """The models placed before launch, by id. Looking one up never loads it: that would run on a worker
    thread, where ZeroGPU's CUDA stand-in does not answer, and after launch, when nothing more is packed."""

    def __init__(self) -> None:
        self._models: dict[str, LoadedModel] = {}
        self._failed: dict[str, str] = {}

    def place(self, config: AppConfig) -> None:
        """Load every transformers lane's model once and place it: on the main thread, before launch.

        A model that fails to load fails its lanes, which say why; the others go on.
        """
        if ON_ZEROGPU and threading.current_thread() is not threading.main_thread():
            raise RuntimeError("on ZeroGPU the models are placed from the main thread (the one that imported spaces)")
        pool = ModelPool(config.cache_dir)
        for lane in config.lanes.values():
            model = lane.model
            if lane.engine != "transformers" or model in self._models or model in self._failed:
                continue
            try:
                self._models[model] = pool.get(model)
            except Exception as exc:  # shown in the lanes that use it
                self._failed[model] = f"{type(exc).__name__}: {exc}"

    def get(self, model_id: str) -> LoadedModel:
        if model_id in self._models:
            return self._models[model_id]
        raise EngineError(self._failed.get(model_id, "it was not placed before launch (app.py does that on ZeroGPU)"))


# Filled by app.py before launch; each forked GPU worker inherits it with the rest of the process.
PLACED = PlacedModels()


def gpu_duration(job: GenerateJob) -> int:
    """Seconds of GPU to ask for one call; `spaces` calls it with the call's own argument."""
    return math.ceil(GPU_SECONDS_FIRST + GPU_SECONDS_PER_TOKEN * job.max_new_tokens)


def _gpu_tokens(job: GenerateJob) -> Iterator[tuple[str, Any]]:
    """In the GPU worker: yield ("tokens", ids)... and maybe ("error", message) as `generate` makes them.

    An error is yielded, not raised: `spaces` passes on only an exception's class name, and the lane should
    say what went wrong. When the worker closes this generator (Stop), generation ends before the close returns.
    """
    try:
        loaded = PLACED.get(job.model)
    except EngineError as exc:
        yield ("error", f"could not load {job.model}: {exc}")
        return
    items: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
    cancel = threading.Event()
    # A new thread: it lets tokens stream out as they are made, and it starts an OpenMP team of its own (a
    # team inherited through fork from a thread that had used it waits for threads that are gone).
    worker = threading.Thread(
        target=generate_tokens, args=(loaded, job, cancel, items.put), name="generate-gpu", daemon=True
    )
    worker.start()
    try:
        while (item := items.get())[0] != "end":
            yield item
    finally:
        cancel.set()
        worker.join()


# Decorated at import, so that ZeroGPU knows the function before launch; off ZeroGPU it runs in this process.
gpu_tokens: Callable[[GenerateJob], Iterator[tuple[str, Any]]] = (
    spaces.GPU(duration=gpu_duration)(_gpu_tokens) if ON_ZEROGPU else _gpu_tokens
)


class ZeroGPUEngine(TransformersEngine):
    """A transformers lane on a model placed before launch (`PLACED`), its tokens made by `gpu_tokens`."""

    async def start(self) -> None:
        await super().start()
        if ON_ZEROGPU and self._loaded is not None:
            self.name = "transformers (ZeroGPU)"

    def _produce(self, loaded: LoadedModel, job: GenerateJob, cancel: threading.Event, emit: Emit) -> None:
        """Runs in a thread with the request's context: iterate the GPU generator, close it once `cancel` is set."""
        tokens = gpu_tokens(job)
        try:
            for item in tokens:
                emit(item)
                if cancel.is_set():  # Stop: the worker stops after its next yield
                    break
        except Exception as exc:  # the quota, the scheduler or the worker: said in the lane
            title, message = getattr(exc, "title", None), getattr(exc, "message", None) or str(exc)
            emit(("error", f"{title}: {message}" if title else f"{type(exc).__name__}: {message}"))
        finally:
            tokens.close()  # on ZeroGPU this returns once the worker has stopped generating
            emit(("end", None))
