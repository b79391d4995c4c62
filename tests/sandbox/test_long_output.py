"""Long output keeps its ends, in Chromium: over the cap, the head and the tail are shown with a marker of
what was cut between them (lines and bytes), for runs and checks, Python and JavaScript alike."""

from __future__ import annotations

import pytest

from seedui import sandbox

from .conftest import run_code, run_in_block

pytestmark = pytest.mark.browser

LINE = "x" * 99 + "\n"
BLOCK = LINE * 1000  # 100,000 characters
FLOOD = BLOCK * 20  # 2 MB, then the result
PYTHON = f'block = {BLOCK!r}\nfor _ in range(20):\n    print(block, end="")\nprint("THE END")\n'
JAVASCRIPT = (
    f"const block = {BLOCK[:-1]!r};\n"  # console.log adds the line break
    'for (let i = 0; i < 20; i++) console.log(block);\nconsole.log("THE END");\n'
)


def ends(text: str) -> tuple[str, str, dict]:
    """What the page keeps of ``text``: its head, its tail, and the count of what is cut between them."""
    head = (sandbox.DEFAULT_MAX_OUTPUT_CHARS + 1) // 2
    tail = sandbox.DEFAULT_MAX_OUTPUT_CHARS - head
    cut = text[head:-tail]
    return text[:head], text[-tail:], {"chars": len(cut), "bytes": len(cut.encode()), "lines": cut.count("\n")}


def marker(cut: dict) -> str:
    return f"… {cut['lines']:,} lines ({cut['bytes']:,} bytes) cut here …"


def test_a_2_mb_python_run_shows_its_head_the_marker_and_its_last_line(page, sandbox_server):
    if not sandbox_server.fixture_page:
        pytest.skip("needs the fixture page's code blocks")
    run_in_block(page, "py-hello", PYTHON)
    page.wait_for_function(
        "['ok', 'error', 'timeout'].includes(document.querySelector('#py-hello + .seedui-output')"
        "?.getAttribute('data-state'))",
        timeout=120_000,
    )
    shown = page.evaluate(
        """() => {
            const panel = document.querySelector('#py-hello + .seedui-output');
            const tail = panel.querySelector('.seedui-tail');
            return {
                state: panel.getAttribute('data-state'),
                head: Array.from(panel.querySelectorAll('.seedui-stream > span'), (s) => s.textContent).join(''),
                marker: tail.querySelector('.seedui-cut').textContent,
                tail: Array.from(tail.querySelectorAll('span'), (s) => s.textContent).join(''),
                last: tail.lastElementChild.textContent.slice(-8),
            };
        }"""
    )
    head, tail, cut = ends(FLOOD + "THE END\n")
    assert shown["state"] == "ok"
    assert shown["head"] == head
    assert shown["marker"] == marker(cut) == "… 18,000 lines (1,800,008 bytes) cut here …"
    assert shown["tail"] == tail
    assert shown["last"] == "THE END\n"


def test_a_2_mb_javascript_run_keeps_its_last_line(shared_page):
    result = run_code(shared_page, "javascript", JAVASCRIPT, timeout_ms=60_000)
    head, tail, cut = ends(FLOOD + "THE END\n")
    assert result["ok"] is True, result["error"]
    assert result["stdout"] == head + tail
    assert result["stdout"].endswith("\nTHE END\n")
    assert result["cut"] == cut


def test_a_check_with_2_mb_of_output_keeps_its_ends_and_its_verdict(shared_page):
    answer = PYTHON + "def add(a, b):\n    return a + b\n"
    result = shared_page.evaluate(
        """async (code) => {
            const {frame, ...r} = await window.seedui.run({language: 'python', code, tests: 'assert add(1, 2) == 3',
                                                           mode: 'check', pristine: true, timeoutMs: 60000});
            return r;
        }""",
        answer,
    )
    head, tail, cut = ends(FLOOD + "THE END\n")
    assert result["check"]["status"] == "pass", result
    assert result["stdout"] == head + tail
    assert result["cut"] == cut


def test_the_tail_survives_a_time_limit_kill(shared_page):
    # The worker sends its tail while the code waits; the runner keeps it when it kills the worker.
    code = PYTHON.replace('"THE END"', '"LAST LINE"') + "import asyncio\nawait asyncio.sleep(60)\n"
    result = run_code(shared_page, "python", code, timeout_ms=8_000)
    assert result["timedOut"] is True, result
    assert result["stdout"].endswith("\nLAST LINE\n")
    assert result["cut"] == ends(FLOOD + "LAST LINE\n")[2]
