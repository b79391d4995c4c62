"""seedui.boundary: one decorator turns a UserError into gr.Error, for every kind of handler, in both modes."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import gradio as gr
import pytest

from seedui.boundary import MARK, api_endpoint, page_handler, user_errors
from seedui.errors import UserError
from tests.conftest import run_async

MARKUP = "<img src=x onerror=alert(1)> & more"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt; &amp; more"


def handlers(fail: BaseException | None, closed: list[str]) -> dict[str, Any]:
    """One handler of each kind that Gradio calls: it yields/returns 1, 2 (or 3), then raises `fail` if given."""

    def plain(x: int, request: gr.Request = None) -> int:
        if fail:
            raise fail
        return x + 2

    async def coroutine(x: int, request: gr.Request = None) -> int:
        await asyncio.sleep(0)
        if fail:
            raise fail
        return x + 2

    def generator(x: int, request: gr.Request = None):
        try:
            yield x
            yield x + 1
            if fail:
                raise fail
        finally:
            closed.append("generator")

    async def async_generator(x: int, request: gr.Request = None):
        try:
            yield x
            await asyncio.sleep(0)
            yield x + 1
            if fail:
                raise fail
        finally:
            closed.append("async_generator")

    return {"plain": plain, "coroutine": coroutine, "generator": generator, "async_generator": async_generator}


KINDS = ["plain", "coroutine", "generator", "async_generator"]


def call(fn: Any) -> tuple[list[Any], BaseException | None]:
    """Run a (wrapped) handler as Gradio would: what it produced, and what it raised."""
    got: list[Any] = []

    async def consume() -> None:
        if inspect.isasyncgenfunction(fn):
            async for item in fn(1):
                got.append(item)
        elif inspect.iscoroutinefunction(fn):
            got.append(await fn(1))
        elif inspect.isgeneratorfunction(fn):
            got.extend(fn(1))
        else:
            got.append(fn(1))

    try:
        run_async(consume())
    except BaseException as exc:  # noqa: BLE001 - the point is what came out
        return got, exc
    return got, None


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("mode", "shown"), [("page", f"lane base: {ESCAPED}"), ("api", f"lane base: {MARKUP}")])
def test_user_error_becomes_gr_error(kind, mode, shown):
    fn = user_errors(mode)(handlers(UserError(f"lane base: {MARKUP}"), [])[kind])
    got, exc = call(fn)
    assert isinstance(exc, gr.Error) and exc.message == shown
    assert exc.__cause__ is None and exc.__suppress_context__  # no chained traceback for a user's mistake
    assert exc.print_exception is False
    if "generator" in kind:  # what was streamed before the error still reached the caller
        assert got == [1, 2]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mode", ["page", "api"])
def test_results_pass_through_and_the_handler_looks_the_same(kind, mode):
    raw = handlers(None, [])[kind]
    fn = user_errors(mode)(raw)
    assert call(fn) == (call(raw)[0], None)
    assert call(fn)[0] in ([3], [1, 2])
    # Gradio reads these to pass inputs and gr.Request, and to stream generators.
    assert inspect.signature(fn) == inspect.signature(raw)
    assert fn.__name__ == raw.__name__ and fn.__doc__ == raw.__doc__
    assert [inspect.isasyncgenfunction(fn), inspect.isgeneratorfunction(fn), inspect.iscoroutinefunction(fn)] == [
        inspect.isasyncgenfunction(raw), inspect.isgeneratorfunction(raw), inspect.iscoroutinefunction(raw),
    ]  # fmt: skip
    assert getattr(fn, MARK) == mode


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mode", ["page", "api"])
def test_a_gr_error_passes_as_it_is(kind, mode):
    made = gr.Error("<b>made for the user</b>")
    _, exc = call(user_errors(mode)(handlers(made, [])[kind]))
    assert exc is made


@pytest.mark.parametrize("kind", KINDS)
def test_on_the_page_an_unexpected_error_is_logged_and_shown_escaped(kind, caplog):
    _, exc = call(page_handler(handlers(KeyError(MARKUP), [])[kind]))
    assert isinstance(exc, gr.Error)
    assert exc.message == f"something went wrong on the server (KeyError: &#x27;{ESCAPED}&#x27;); see the server log"
    assert "page event failed" in caplog.text and "KeyError" in caplog.text


@pytest.mark.parametrize("kind", KINDS)
def test_an_api_caller_gets_an_unexpected_error_as_it_is(kind):
    boom = KeyError("x")
    _, exc = call(api_endpoint(handlers(boom, [])[kind]))
    assert exc is boom


@pytest.mark.parametrize("mode", ["page", "api"])
def test_stopping_a_stream_closes_the_handler_at_once(mode):
    closed: list[str] = []
    made = handlers(None, closed)

    gen = user_errors(mode)(made["generator"])(1)
    assert next(gen) == 1
    gen.close()
    assert closed == ["generator"]

    async def stop_early() -> None:
        stream = user_errors(mode)(made["async_generator"])(1)
        assert await anext(stream) == 1
        await stream.aclose()
        assert closed == ["generator", "async_generator"]

    run_async(stop_early())


def test_cancelling_passes_through():
    async def slow():
        yield 1
        await asyncio.sleep(10)
        yield 2

    async def cancel() -> None:
        stream = page_handler(slow)()
        assert await anext(stream) == 1
        task = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run_async(cancel())
