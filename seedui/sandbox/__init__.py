"""In-browser, sandboxed execution of the code the models write.

Nothing here runs generated code: the server only serves static assets. In the
visitor's browser, the page script (ES modules in ``static/page/``) adds Run/Copy
handlers and ``window.seedui``; code runs inside a hidden
``<iframe sandbox="allow-scripts">`` (``runner.html`` and ``static/runner/``,
opaque origin, strict CSP) in Web Workers (``static/worker/``): Python in Pyodide,
JavaScript in a plain worker. HTML previews render in their own sandboxed iframe
(``preview.html``) whose CSP allows inline script but no network. Every message
between them is built and checked by ``static/shared/protocol.mjs``.

How the app owner wires it (Gradio 6.31)::

    from seedui import sandbox

    head = sandbox.head_html(timeout_s=cfg.run_timeout_s)
    mount_kw = dict(pyodide_dir=cfg.pyodide_dir or sandbox.VENDOR_PYODIDE_DIR,
                    cdn_url=cfg.pyodide_cdn, timeout_s=cfg.run_timeout_s)

    # a) plain launch: Gradio builds the FastAPI app; add the routes after.
    app, _, _ = demo.launch(prevent_thread_lock=True, head=head)
    sandbox.mount(app, **mount_kw)
    demo.block_thread()

    # b) or an outer FastAPI app served by uvicorn:
    app = fastapi.FastAPI()
    sandbox.mount(app, **mount_kw)
    app = gr.mount_gradio_app(app, demo, path="/", head=head)

``mount`` puts its routes in front of every other route, so the order relative
to Gradio does not matter. In Gradio 6 ``head=`` belongs to ``launch()`` /
``mount_gradio_app()`` (``Blocks(head=...)`` is deprecated).

Routes (nothing collides with Gradio's ``/gradio_api``, ``/assets``,
``/file=``...), in ``routes.py``:

* ``/seedui/sandbox/runner.html``, ``/seedui/sandbox/preview.html``: with a
  ``Content-Security-Policy`` header that also carries ``sandbox allow-scripts``
  (``csp.py``); the runner's config is written into its page (``pages.py``).
* ``/seedui/sandbox/seedui.css`` and ``/seedui/sandbox/v<hash>/**/*.mjs``: the
  browser code, its modules under a folder named for their contents
  (``browser_code.py``) and cached for good. They carry
  ``Access-Control-Allow-Origin: *``: the runner frame's origin is opaque, so its
  module loads are cross-origin requests.
* ``/seedui/pyodide/v{PYODIDE_VERSION}/{file}``: the local Pyodide copy, only
  when one exists, also with ``Access-Control-Allow-Origin: *``. With it,
  ``snapshot.bin``: a memory snapshot of a started interpreter, if the fetch
  step could build one (see ``seedui.sandbox.snapshot``).

Get the local copy with ``python -m seedui.sandbox.fetch`` (npm package
``pyodide``; then, with Playwright and Chromium, the snapshot). Without it the
browser loads the same version from ``cdn_url``. Packages beyond the standard
library always come from ``cdn_url``. The page must live at the server's root
path (or under a proxy's root_path): the head tags use relative URLs.
"""

from __future__ import annotations

from seedui.sandbox.pages import head_html
from seedui.sandbox.pyodide_files import (
    DEFAULT_CDN_URL,
    PYODIDE_FILES,
    PYODIDE_INTEGRITY,
    PYODIDE_VERSION,
    SNAPSHOT_FILE,
    SNAPSHOT_META,
    SNAPSHOT_PRELOAD,
    VENDOR_DIR,
    VENDOR_PYODIDE_DIR,
    cdn_base,
    local_pyodide,
    snapshot_jspi,
)
from seedui.sandbox.routes import mount
from seedui.sandbox.settings import (
    DEFAULT_LOAD_TIMEOUT_S,
    DEFAULT_MAX_OUTPUT_CHARS,
    DEFAULT_PACKAGES,
    DEFAULT_TIMEOUT_S,
    MAX_DETAIL_CHARS,
    MAX_IMAGE_CHARS,
    MAX_IMAGES,
    STATIC_DIR,
)

__all__ = [
    "DEFAULT_CDN_URL",
    "DEFAULT_LOAD_TIMEOUT_S",
    "DEFAULT_MAX_OUTPUT_CHARS",
    "DEFAULT_PACKAGES",
    "DEFAULT_TIMEOUT_S",
    "MAX_DETAIL_CHARS",
    "MAX_IMAGES",
    "MAX_IMAGE_CHARS",
    "PYODIDE_FILES",
    "PYODIDE_INTEGRITY",
    "PYODIDE_VERSION",
    "SNAPSHOT_FILE",
    "SNAPSHOT_META",
    "SNAPSHOT_PRELOAD",
    "STATIC_DIR",
    "VENDOR_DIR",
    "VENDOR_PYODIDE_DIR",
    "cdn_base",
    "head_html",
    "local_pyodide",
    "mount",
    "snapshot_jspi",
]
