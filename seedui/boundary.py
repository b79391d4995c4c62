"""The one boundary where a `UserError` becomes the `gr.Error` its caller sees.

Code below the boundary raises `UserError` (seedui/errors.py) with text that
says what went wrong and how to fix it; Gradio handlers are wrapped once:

    @page_handler   a page event: the message becomes a toast, its text
                    escaped (Gradio renders toast text as HTML; seedui/notices.py)
    @api_endpoint   a documented endpoint: the message goes to the program
                    that called it (gradio_client, HTTP) as plain text

Both take plain functions, coroutines, generators and async generators, and
keep the handler's signature (Gradio reads it for inputs and `gr.Request`).
A wrapped generator that stops early (Stop, a closed connection) closes the
handler's generator at once, so its `finally` blocks run then, not at
garbage collection.

On the page, an unexpected exception is logged with its traceback and shown
escaped too: the app runs with `show_error`, and its text may quote input.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import gradio as gr

from seedui.errors import UserError
from seedui.notices import api_error, page_error

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
Mode = Literal["page", "api"]
MARK = "__seedui_boundary__"  # set on a wrapped handler: "page" or "api"


def _converted(exc: Exception, mode: Mode) -> Exception | None:
    """The gr.Error to raise instead of `exc`, or None to let `exc` through."""
    if isinstance(exc, gr.Error):  # already made for the user (seedui.notices)
        return None
    if isinstance(exc, UserError):
        return page_error(str(exc)) if mode == "page" else api_error(str(exc))
    if mode == "page":
        log.error("page event failed", exc_info=exc)
        return page_error(f"something went wrong on the server ({type(exc).__name__}: {exc}); see the server log")
    return None


def user_errors(mode: Mode) -> Callable[[F], F]:
    """A decorator that turns the handler's `UserError`s into `gr.Error` for `mode` (see the module doc)."""

    def wrap(fn: F) -> F:
        if inspect.isasyncgenfunction(fn):

            @functools.wraps(fn)
            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                stream = fn(*args, **kwargs)
                try:
                    async for item in stream:
                        yield item
                except Exception as exc:
                    if (error := _converted(exc, mode)) is None:
                        raise
                    raise error from None
                finally:
                    await stream.aclose()

        elif inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                stream = fn(*args, **kwargs)
                try:
                    yield from stream
                except Exception as exc:
                    if (error := _converted(exc, mode)) is None:
                        raise
                    raise error from None
                finally:
                    stream.close()

        elif inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                try:
                    return await fn(*args, **kwargs)
                except Exception as exc:
                    if (error := _converted(exc, mode)) is None:
                        raise
                    raise error from None

        else:

            @functools.wraps(fn)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                try:
                    return fn(*args, **kwargs)
                except Exception as exc:
                    if (error := _converted(exc, mode)) is None:
                        raise
                    raise error from None

        setattr(wrapper, MARK, mode)
        return wrapper  # type: ignore[return-value]

    return wrap


page_handler = user_errors("page")
api_endpoint = user_errors("api")
