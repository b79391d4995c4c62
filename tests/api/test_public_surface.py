"""The public API is exactly what the README documents: pinned like httpx's tests/test_exported_members.py.

`gradio_client`'s `view_api()` on the running app lists these endpoints with these parameters and no
others; every page event is marked undocumented (or is browser-only, which Gradio makes private).
A new public endpoint, a renamed one or a changed parameter fails here first: change the README with it.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

# endpoint -> its parameters, in order (README, "API")
DOCUMENTED = {
    "/generate": ["lane", "prompt", "settings"],
    "/compare": ["prompt", "settings", "lanes"],
    "/fim": ["prefix", "suffix", "settings"],
    "/complete": ["text", "settings"],
    "/lanes": [],
    "/share": ["comparison"],
    "/load_share": ["id"],
    "/delete_share": ["id", "delete_token"],
    "/battle": ["prompt", "settings"],
    "/vote": ["battle_id", "choice", "checks"],
    "/leaderboard": ["style_control"],
    "/bench_suite": ["suite", "jsonl"],
    "/bench_generate": ["problem", "lane", "settings"],
    "/save_bench": ["run"],
    "/load_bench": ["id"],
    "/delete_bench": ["id", "delete_token"],
}


def test_the_readme_documents_these_endpoints():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("\n## API\n") : readme.index("\n## ", readme.index("\n## API\n") + 1)]
    assert set(re.findall(r'api_name="(/\w+)"', section)) == set(DOCUMENTED)


@pytest.fixture(scope="module")
def api(client) -> dict:
    return client.view_api(print_info=False, return_format="dict")


def test_the_public_endpoints_are_the_documented_ones(api):
    assert sorted(api["named_endpoints"]) == sorted(DOCUMENTED)
    assert api["unnamed_endpoints"] == {}


@pytest.mark.parametrize("endpoint", DOCUMENTED)
def test_each_endpoint_takes_its_documented_parameters(api, endpoint):
    names = [p["parameter_name"] for p in api["named_endpoints"][endpoint]["parameters"]]
    assert names == DOCUMENTED[endpoint]


def test_the_printed_usage_lists_the_same(client):
    text = client.view_api(print_info=False, return_format="str")
    assert f"Named API endpoints: {len(DOCUMENTED)}" in text
    assert "Unnamed API endpoints" not in text


def test_every_page_event_is_undocumented_or_browser_only(seedui_app):
    public = set()
    for fn in seedui_app.blocks.fns.values():
        if fn.api_visibility == "public":
            public.add(f"/{fn.api_name}")
        else:
            assert fn.api_visibility in ("undocumented", "private"), fn.api_name
            assert fn.api_visibility == "undocumented" or fn.fn is None, f"{fn.api_name}: a page handler is private"
    assert public == set(DOCUMENTED)


def test_every_handler_passes_through_the_error_boundary(seedui_app):
    from seedui.boundary import MARK

    modes = {fn.api_name: getattr(fn.fn, MARK, None) for fn in seedui_app.blocks.fns.values() if fn.fn is not None}
    assert {name for name, mode in modes.items() if mode == "api"} == {name.lstrip("/") for name in DOCUMENTED}
    assert [name for name, mode in modes.items() if mode is None] == []  # the rest are page handlers
