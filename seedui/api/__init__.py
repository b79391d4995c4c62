"""The documented scriptable endpoints (README, "API"), and nothing else public.

    /generate /compare /fim /complete /lanes   generation.py
    /share /load_share /delete_share            shares.py (when sharing is on)
    /bench_suite /bench_generate                bench.py
    /save_bench /load_bench /delete_bench       bench.py (when saving is on)
    /battle /vote /leaderboard                  arena.py (when the database is open)

Each endpoint is a thin wrapper over the service; `api_endpoint`
(seedui/boundary.py) turns a `UserError` into the plain-text error its caller
gets. The page's own events are marked `api_visibility="undocumented"`, so
`gradio_client`'s `view_api()` lists these and no others
(tests/api/test_public_surface.py pins the list and each endpoint's parameters).
"""

from __future__ import annotations

from seedui.api.arena import register_arena_api
from seedui.api.bench import register_bench_api
from seedui.api.generation import register_generation_api
from seedui.api.shares import register_share_api
from seedui.arena.battles import Arena
from seedui.bench_runs import BenchRuns
from seedui.bench_service import BenchService
from seedui.service import LaneService
from seedui.shares import ShareService


def register_api(
    service: LaneService,
    *,
    shares: ShareService | None = None,
    arena: Arena | None = None,
    bench: BenchService | None = None,
    runs: BenchRuns | None = None,
) -> None:
    """Declare every endpoint; call inside the app's `gr.Blocks` context. Each part left None has none of
    its endpoints (`shares`, `arena`, `runs`: no database; `bench`: no Bench)."""
    register_generation_api(service)
    if shares is not None:
        register_share_api(service, shares)
    if arena is not None:
        register_arena_api(arena)
    if bench is not None:
        register_bench_api(bench, runs)
