"""The browser code's unit tests (tests/sandbox/js/*.test.mjs), run with Node's built-in test runner.

One pytest case per test file, so a failure names its module. Node is required, not optional: without it
these fail and say how to get it (scripts/test.sh installs it where apt-get can).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

JS_TESTS = Path(__file__).with_name("js")
TEST_FILES = sorted(JS_TESTS.glob("*.test.mjs"))


def node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.fail("Node.js is needed for the JavaScript unit tests (`node --test`): install Node 20 or later")
    return path


def test_every_js_module_with_logic_has_a_test_file():
    assert {f.name.removesuffix(".test.mjs") for f in TEST_FILES} >= {
        "protocol",
        "output_cap",
        "verdict",
        "run_result",
        "inspect",
        "worker_output",
        "python_reset",
    }


@pytest.mark.parametrize("test_file", TEST_FILES, ids=lambda f: f.name)
def test_js_unit_tests_pass(test_file: Path):
    result = subprocess.run(
        [node(), "--test", "--test-reporter=spec", str(test_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
