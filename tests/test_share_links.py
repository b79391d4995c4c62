"""seedui.share_links: a share id from what a visitor pastes (the link's address is tested through the API)."""

from __future__ import annotations

import pytest

from seedui.share_links import extract_share_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AbCdEfGhIjKlMnOp", "AbCdEfGhIjKlMnOp"),
        ("  AbCdEfGhIjKlMnOp \n", "AbCdEfGhIjKlMnOp"),
        ("https://x.hf.space/?share=AbCdEfGhIjKlMnOp", "AbCdEfGhIjKlMnOp"),
        ("http://127.0.0.1:7860/?prompt=hi&share=AbCdEfGhIjKlMnOp", "AbCdEfGhIjKlMnOp"),
        ("?share=AbCdEfGhIjKlMnOp", "AbCdEfGhIjKlMnOp"),
        ("", ""),
        (None, ""),
    ],
)
def test_extract_share_id(text, expected):
    assert extract_share_id(text) == expected
