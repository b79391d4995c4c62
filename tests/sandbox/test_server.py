"""The server side of the sandbox: routes, headers, CSP, head tags, and the configs written into pages."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from seedui import sandbox
from seedui.render import LANG_ALIASES
from seedui.sandbox import browser_code

CDN = "https://cdn.example.org/pyodide/v{version}/full/"


def fake_pyodide(folder: Path, version: str = sandbox.PYODIDE_VERSION) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in sandbox.PYODIDE_FILES:
        (folder / name).write_bytes(b"x" * 10)
    (folder / "package.json").write_text(json.dumps({"name": "pyodide", "version": version}))
    return folder


def client(pyodide_dir: Path | None, **kwargs) -> TestClient:
    app = FastAPI()

    @app.get("/{path:path}")  # a catch-all like a Gradio mount at "/": mount() must come first
    def catch_all(path: str):
        return {"caught": path}

    sandbox.mount(app, pyodide_dir=pyodide_dir, cdn_url=CDN, timeout_s=7, **kwargs)
    return TestClient(app, base_url="http://app.test:7860")


def csp(response) -> dict[str, list[str]]:
    policy = {}
    for part in response.headers["content-security-policy"].split(";"):
        name, *values = part.split()
        policy[name] = values
    return policy


def test_local_copy_and_modules_are_served_with_cors_pages_without(tmp_path):
    c = client(fake_pyodide(tmp_path / "pyodide"))
    wasm = c.get(f"/seedui/pyodide/v{sandbox.PYODIDE_VERSION}/pyodide.asm.wasm", headers={"Origin": "null"})
    assert wasm.status_code == 200
    assert wasm.headers["content-type"] == "application/wasm"
    assert wasm.headers["access-control-allow-origin"] == "*"
    assert "immutable" in wasm.headers["cache-control"]
    mjs = c.get(f"/seedui/pyodide/v{sandbox.PYODIDE_VERSION}/pyodide.mjs")
    assert mjs.headers["content-type"].startswith("text/javascript")
    for path in ("/seedui/sandbox/runner.html", "/seedui/sandbox/preview.html", "/seedui/sandbox/seedui.css"):
        response = c.get(path, headers={"Origin": "null"})
        assert response.status_code == 200, path
        assert "access-control-allow-origin" not in response.headers, path
        assert response.headers["x-content-type-options"] == "nosniff"
    # The runner frame's origin is opaque: the modules it and its workers import are cross-origin requests.
    modules = sorted(p.relative_to(sandbox.STATIC_DIR).as_posix() for p in sandbox.STATIC_DIR.rglob("*.mjs"))
    assert set(modules) == set(browser_code.modules())
    assert {"page/main.mjs", "runner/main.mjs", "shared/protocol.mjs", "worker/python.mjs"} <= set(modules)
    version = browser_code.version_folder()
    for name in modules:
        response = c.get(f"/seedui/sandbox/{version}{name}", headers={"Origin": "null"})
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith("text/javascript"), name
        assert response.headers["access-control-allow-origin"] == "*", name
        assert "immutable" in response.headers["cache-control"], name  # the version is in the URL


def test_modules_are_served_only_under_this_version(tmp_path):
    c = client(None)
    version = browser_code.version_folder()
    assert c.get(f"/seedui/sandbox/{version}page/main.mjs").status_code == 200
    for path in ("page/main.mjs", "v000000000000/page/main.mjs", f"{version}runner.html", f"{version}harness.py"):
        response = c.get(f"/seedui/sandbox/{path}")
        assert response.status_code == 404 or "caught" in response.text, path


@pytest.mark.parametrize(
    "path",
    [
        "/seedui/pyodide/v{v}/README.md",
        "/seedui/pyodide/v{v}/..%2Fpackage.json",
        "/seedui/pyodide/v{v}/snapshot.bin",
        "/seedui/sandbox/harness.py",
        "/seedui/sandbox/harness_check.py",
        "/seedui/sandbox/runner/../harness.py",
        "/seedui/sandbox/page/%2E%2E/harness.py",
        "/seedui/sandbox/..%2F__init__.py",
    ],
)
def test_only_known_files_are_served(tmp_path, path):
    c = client(fake_pyodide(tmp_path / "pyodide"))
    response = c.get(path.format(v=sandbox.PYODIDE_VERSION))
    assert response.status_code == 404 or "caught" in response.text


def test_no_local_copy_means_no_pyodide_route_and_cdn_in_csp(tmp_path):
    c = client(None)
    assert "caught" in c.get(f"/seedui/pyodide/v{sandbox.PYODIDE_VERSION}/pyodide.mjs").text
    runner = c.get("/seedui/sandbox/runner.html")
    cdn = CDN.replace("{version}", sandbox.PYODIDE_VERSION)
    policy = csp(runner)
    assert policy["connect-src"] == [cdn]
    config = json.loads(runner.text.split('id="seedui-runner-config">')[1].split("</script>")[0])
    assert config["indexURL"] == cdn and config["local"] is False and config["snapshot"] is None
    assert config["timeoutMs"] == 7000


def test_wrong_version_or_incomplete_copy_falls_back_to_the_cdn(tmp_path):
    assert sandbox.local_pyodide(fake_pyodide(tmp_path / "old", version="0.1.0")) is None
    incomplete = fake_pyodide(tmp_path / "partial")
    (incomplete / "pyodide.asm.wasm").unlink()
    assert sandbox.local_pyodide(incomplete) is None
    assert sandbox.local_pyodide(None) is None


def test_runner_csp_limits_requests_to_pyodide_folders_not_the_app(tmp_path):
    c = client(fake_pyodide(tmp_path / "pyodide"))
    policy = csp(c.get("/seedui/sandbox/runner.html"))
    local = f"app.test:7860/seedui/pyodide/v{sandbox.PYODIDE_VERSION}/"
    assert policy["default-src"] == ["'none'"]
    assert policy["sandbox"] == ["allow-scripts"]
    assert policy["connect-src"] == [
        f"https://{local}",
        f"http://{local}",
        CDN.replace("{version}", sandbox.PYODIDE_VERSION),
    ]
    assert all("/gradio_api" not in src and not src.endswith(":7860") for src in policy["script-src"])
    assert policy["worker-src"] == ["blob:"]
    assert policy["form-action"] == ["'none'"] and policy["base-uri"] == ["'none'"]


def test_preview_csp_allows_inline_script_but_no_network(tmp_path):
    response = client(None).get("/seedui/sandbox/preview.html")
    assert response.headers["x-dns-prefetch-control"] == "off"
    policy = csp(response)
    assert "'unsafe-inline'" in policy["script-src"]
    assert policy["connect-src"] == ["'none'"]
    assert policy["default-src"] == ["'none'"]
    assert policy["sandbox"] == ["allow-scripts"]
    assert not any(src.startswith("http") for values in policy.values() for src in values)


def test_snapshot_is_served_gzipped_only_with_its_metadata(tmp_path):
    folder = fake_pyodide(tmp_path / "pyodide")
    (folder / sandbox.SNAPSHOT_FILE).write_bytes(gzip.compress(b"snapshot bytes"))
    assert (
        json.loads(client(folder).get("/seedui/sandbox/runner.html").text.split('config">')[1].split("<")[0])[
            "snapshot"
        ]
        is None
    )  # no snapshot.json: not used
    (folder / sandbox.SNAPSHOT_META).write_text(json.dumps({"pyodide": sandbox.PYODIDE_VERSION, "jspi": True}))
    c = client(folder)
    config = json.loads(c.get("/seedui/sandbox/runner.html").text.split('config">')[1].split("</script>")[0])
    assert config["snapshot"] == {"url": f"../pyodide/v{sandbox.PYODIDE_VERSION}/snapshot.bin", "jspi": True}
    snap = c.get(f"/seedui/pyodide/v{sandbox.PYODIDE_VERSION}/snapshot.bin")
    assert snap.headers["content-encoding"] == "gzip" and snap.content == b"snapshot bytes"
    assert snap.headers["access-control-allow-origin"] == "*"
    assert (
        json.loads(
            client(folder, snapshot=False)
            .get("/seedui/sandbox/runner.html")
            .text.split('config">')[1]
            .split("</script>")[0]
        )["snapshot"]
        is None
    )


def test_runner_config_is_inert_inside_its_script_tag(tmp_path):
    text = client(None).get("/seedui/sandbox/runner.html").text
    config_part = text.split('id="seedui-runner-config">')[1].split("</script>")[0]
    assert "<" not in config_part  # the inlined harness contains "</script" nowhere once escaped
    config = json.loads(config_part)
    assert set(config["harness"]) == {"_seedui_harness", "_seedui_check"}
    assert "def run(" in config["harness"]["_seedui_harness"]
    assert "def prepare_check(" in config["harness"]["_seedui_check"]
    assert config["maxOutputChars"] == sandbox.DEFAULT_MAX_OUTPUT_CHARS
    assert config["maxDetailChars"] == sandbox.MAX_DETAIL_CHARS


def test_head_html_tags_and_config():
    html = sandbox.head_html(timeout_s=2.5, cdn_url=CDN, prewarm="load")
    entry = f"seedui/sandbox/{browser_code.version_folder()}page/main.mjs"
    assert f'<script type="module" src="{entry}" data-seedui-config="' in html
    assert f'<link rel="modulepreload" href="{entry}">' in html
    assert '<link rel="stylesheet" href="seedui/sandbox/seedui.css">' in html
    attr = html.split('data-seedui-config="')[1].split('"')[0].replace("&quot;", '"')
    config = json.loads(attr)
    assert config == {
        "timeoutMs": 2500,
        "prewarm": "load",
        "version": sandbox.PYODIDE_VERSION,
        "cdnUrl": CDN.replace("{version}", sandbox.PYODIDE_VERSION),
        "maxOutputChars": sandbox.DEFAULT_MAX_OUTPUT_CHARS,
        "maxImages": sandbox.MAX_IMAGES,
        "maxImageChars": sandbox.MAX_IMAGE_CHARS,
        "languages": {"html": "html", "javascript": "javascript", "python": "python", **LANG_ALIASES},
    }
    with pytest.raises(ValueError):
        sandbox.head_html(prewarm="always")
    with pytest.raises(ValueError):
        sandbox.head_html(timeout_s=0)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://cdn.example.org/x/",
        "https://cdn.example.org/x/?a=1",
        "https://cdn.example.org/x y/",
        "https://a.org/'x'/",
    ],
)
def test_cdn_url_must_be_a_plain_folder_url(url):
    with pytest.raises(ValueError):
        sandbox.cdn_base(url)


def test_cdn_url_gets_version_and_slash():
    assert sandbox.cdn_base("https://cdn.example.org/p/v{version}/full") == (
        f"https://cdn.example.org/p/v{sandbox.PYODIDE_VERSION}/full/"
    )
