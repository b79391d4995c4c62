"""Adding to a layout after it was built: find a component's enclosing block, and reopen a closed one.

The share controls and the deep-link notice belong on the Compare tab, and the
Shared tab beside the others, but they are built after the tabs are; these
helpers put them there without the tabs knowing about them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import gradio as gr


@contextmanager
def reopen(block: gr.blocks.BlockContext) -> Iterator[None]:
    """Add children to a layout block that was already closed, keeping its parent link."""
    parent = block.parent
    with block:
        yield
    block.parent = parent


def enclosing(component: Any, kind: type) -> Any:
    """The nearest block of type `kind` around `component`, or None."""
    node = getattr(component, "parent", None)
    while node is not None and not isinstance(node, kind):
        node = getattr(node, "parent", None)
    return node
