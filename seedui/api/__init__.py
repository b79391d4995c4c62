"""The documented scriptable endpoints (README, "API"), and nothing else public.

    /generate /compare /fim /complete /lanes   generation.py
    /share /load_share /delete_share            shares.py (when sharing is on)

Each endpoint is a thin wrapper over the service; `api_endpoint`
(seedui/boundary.py) turns a `UserError` into the plain-text error its caller
gets. The page's own events are marked `api_visibility="undocumented"`, so
`gradio_client`'s `view_api()` lists these and no others
(tests/api/test_public_surface.py pins the list and each endpoint's parameters).
"""

from __future__ import annotations

from seedui.api.generation import register_generation_api
from seedui.api.shares import register_share_api
from seedui.service import LaneService
from seedui.shares import ShareService


def register_api(service: LaneService, shares: ShareService | None = None) -> None:
    """Declare every endpoint; call inside the app's `gr.Blocks` context. `shares` None: no share endpoints."""
    register_generation_api(service)
    if shares is not None:
        register_share_api(service, shares)
