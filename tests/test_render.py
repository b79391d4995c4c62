"""seedui.render: escaping, links, highlighting, the code-block contract and streaming cost."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser

import pytest
from gradio.utils import diff

from seedui.render import (
    StreamRenderer,
    escape_text,
    flatten_blocks,
    highlight_code,
    pygments_css,
    render_markdown,
)

VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "track", "wbr"}


class _Doc(HTMLParser):
    """Parses rendered HTML: checks tags balance and collects tags, text and each code block's pre text."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.pres: list[str] = []
        self.feed(markup)
        self.close()
        if self.stack:
            self.errors.append(f"unclosed {self.stack}")

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "pre":
            self.pres.append("")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))  # <hr />: nothing to close

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> does not close {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        if "pre" in self.stack:
            self.pres[-1] += data

    def names(self) -> set[str]:
        return {tag for tag, _ in self.tags}

    def hrefs(self) -> list[str]:
        return [attrs.get("href") or "" for tag, attrs in self.tags if tag == "a"]


def parse(markup: str) -> _Doc:
    doc = _Doc(markup)
    assert not doc.errors, doc.errors
    return doc


# ---------------------------------------------------------------- untrusted HTML stays text

XSS = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "<iframe src=javascript:alert(1)></iframe>"]
CONTEXTS = [
    "{}",
    "Some text {} more text",
    "# Heading {}",
    "- item {}",
    "> quote {}",
    "| a | b |\n|---|---|\n| {} | x |",
    "`{}`",
    "```\n{}\n```",
    "```python\nprint('{}')\n```",
    "```html\n{}\n```",
    "```javascript\nconst s = '{}';\n```",
    "```unknownlang\n{}\n```",
    "1. step\n\n   ```html\n   {}\n   ```",
    "```python\n{}",  # unclosed fence
]


@pytest.mark.parametrize("payload", XSS)
@pytest.mark.parametrize("template", CONTEXTS)
def test_raw_html_is_shown_as_text(template, payload):
    doc = parse(render_markdown(template.format(payload)))
    assert not doc.names() & {"img", "script", "iframe"}
    assert payload in "".join(doc.text)


# ---------------------------------------------------------------- links and images

BAD_LINKS = [
    "[x](javascript:alert(1))",
    "[x](JavaScript:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](java&#x73;cript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](data:image/png;base64,iVBORw0KGgo=)",
    "[x](file:///etc/passwd)",
    "![x](javascript:alert(1))",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
]


@pytest.mark.parametrize("source", BAD_LINKS)
def test_dangerous_links_are_neutralized(source):
    doc = parse(render_markdown(source))
    assert doc.hrefs() == []
    assert "img" not in doc.names()


@pytest.mark.parametrize(
    "source, href",
    [
        ("[docs](https://example.com/a?b=1&c=2)", "https://example.com/a?b=1&c=2"),
        ("<https://example.com>", "https://example.com"),
        ("[mail](mailto:a@example.com)", "mailto:a@example.com"),
        ("[rel](/docs/page)", "/docs/page"),
    ],
)
def test_safe_links_open_in_new_tab_without_referrer(source, href):
    doc = parse(render_markdown(source))
    links = [attrs for tag, attrs in doc.tags if tag == "a"]
    assert links == [{"href": href, "rel": "noopener noreferrer nofollow", "target": "_blank"}]


@pytest.mark.parametrize(
    "source, href, text",
    [
        ("![a cat](https://evil.example/track.png)", "https://evil.example/track.png", "a cat"),
        ('![chart](http://x.example/c.png "title")', "http://x.example/c.png", "chart"),
        ("![local](/static/x.png)", None, "local"),
    ],
)
def test_images_never_load(source, href, text):
    doc = parse(render_markdown(source))
    assert "img" not in doc.names()
    assert doc.hrefs() == ([href] if href else [])
    assert text in "".join(doc.text)


# ---------------------------------------------------------------- code blocks


@pytest.mark.parametrize(
    "lang, code, span",
    [
        ("rust", "fn main() { let x = 1; }", '<span class="k">fn</span>'),
        ("rs", "fn main() {}", '<span class="k">fn</span>'),
        ("go", "package main\n\nfunc main() { return }", '<span class="k">return</span>'),
        ("java", "public class A { int x; }", '<span class="kd">class</span>'),
        ("python", "def f():\n    return None", '<span class="k">def</span>'),
        ("sql", "SELECT id FROM users WHERE id = 1;", '<span class="k">SELECT</span>'),
        ("bash", "for f in *.py; do echo $f; done", '<span class="k">for</span>'),
        ("html", '<div class="a">x</div>', '<span class="nt">div</span>'),
        ("js", "const x = () => 1;", '<span class="kd">const</span>'),
    ],
)
def test_known_languages_get_pygments_spans(lang, code, span):
    out = render_markdown(f"```{lang}\n{code}\n```")
    assert span in out
    assert parse(out).pres == [code + "\n"]


@pytest.mark.parametrize(
    "info, data_lang, runnable",
    [
        ("python", "python", True),
        ("py", "python", True),
        ("python3", "python", True),
        ("py3", "python", True),
        ("Python {.numberLines}", "python", True),
        ("js", "javascript", True),
        ("javascript", "javascript", True),
        ("node", "javascript", True),
        ("mjs", "javascript", True),
        ("html", "html", True),
        ("htm", "html", True),
        ("xhtml", "html", True),
        ("rust", "rust", False),
        ("golang", "go", False),
        ("sh", "bash", False),
        ("", "text", False),
        ("text", "text", False),
        ("mermaid-ish", "mermaid-ish", False),
        ('x"><script>', "xscript", False),
    ],
)
def test_code_block_wrapper_contract(info, data_lang, runnable):
    out = render_markdown(f"```{info}\nx = 1\n```")
    doc = parse(out)
    assert "script" not in doc.names()
    wrapper = [attrs for tag, attrs in doc.tags if attrs.get("class") == "seedui-code"]
    assert wrapper == [{"class": "seedui-code", "data-lang": data_lang}]
    buttons = [attrs["class"] for tag, attrs in doc.tags if tag == "button"]
    assert buttons == (["seedui-copy", "seedui-run"] if runnable else ["seedui-copy"])
    bar = f'<span class="seedui-lang">{data_lang}</span>'
    assert f'<div class="seedui-code-bar">{bar}<button type="button" class="seedui-copy">Copy</button>' in out
    assert '<div class="highlight"><pre>' in out


@pytest.mark.parametrize(
    "code",
    [
        "\n\nleading blank lines\n",
        "trailing spaces   \n\ttab\n",
        "print('<a href=\"x\">&amp;</a>')\n",
        "\ufeffprint('bom')\n",
        "s = '''\nmulti\nline\n'''\n",
        "emoji = '🦀 ünïcödé'\n",
        "",
    ],
)
@pytest.mark.parametrize("lang", ["python", "rust", "unknownlang", ""])
def test_code_text_is_recoverable_exactly(code, lang):
    assert parse(render_markdown(f"```{lang}\n{code}```")).pres == [code]
    assert parse(highlight_code(code, lang)).pres == [code]


def test_unknown_language_is_plain_escaped_text():
    out = render_markdown("```brainfudge\n<b>++[>+<-]</b>\n```")
    pre = out.split("<pre>")[1]
    assert "<span" not in pre and "&lt;b&gt;++[&gt;+&lt;-]&lt;/b&gt;" in pre


FOO_PY = "def foo():\n    return 'bar'\n"
FOO_JS = "function foo() {\n    return 'bar';\n}\n"


# Fence cases after simonw/llm's extract_fenced_code_block tests, with CommonMark's answers: a closing fence
# must use the same character, be at least as long as the opening one and may have trailing spaces.
@pytest.mark.parametrize(
    "source, codes",
    [
        ("This is a sample text without any code blocks.", []),
        (f"Here is some text.\n\n```\n{FOO_PY}```\n\nMore text.", [FOO_PY]),
        (f"Here is some text.\n\n```python\n{FOO_PY}```\n\nMore text.", [FOO_PY]),
        (f"Here is some text.\n\n````\n{FOO_PY}````\n\nMore text.", [FOO_PY]),
        (f"Here is some text.\n\n````javascript\n{FOO_JS}````\n\nMore text.", [FOO_JS]),
        (f"Here is some text.\n\n```python\n{FOO_PY}````\n\nMore text.", [FOO_PY]),  # longer closer is fine
        (f"Text\n\n````python\n{FOO_PY}```\n\nMore text.", [FOO_PY + "```\n\nMore text."]),  # too short
        (f"Text\n\n```python\n{FOO_PY}~~~~\n\nMore text.", [FOO_PY + "~~~~\n\nMore text."]),  # other char
        (f"Text\n\n~~~python\n{FOO_PY}~~~\nMore text.", [FOO_PY]),
        (f"First:\n\n```python\n{FOO_PY}```\n\nSecond:\n\n```javascript\n{FOO_JS}```", [FOO_PY, FOO_JS]),
        (f"First:\n\n```python\n{FOO_PY}```\n\nSecond:\n\n```javascript\n{FOO_JS}``` ", [FOO_PY, FOO_JS]),
        (f"Text\n```python   \n{FOO_PY}```   \nMore text.", [FOO_PY]),
        ("Some text.\n\n```python\ndef foo():\n    return `bar`\n```\n\nMore text.", [FOO_PY.replace("'", "`")]),
        ("```python\ncode = 1\n   ```\n", ["code = 1\n"]),  # a closer may be indented up to 3 spaces
        ("```python\ncode = 1\n    ```\n", ["code = 1\n    ```\n"]),  # 4 spaces: content, not a closer
        ("```python\nunclosed = True\n", ["unclosed = True\n"]),
        ("```python\nunclosed = True", ["unclosed = True"]),
    ],
)
def test_fences(source, codes):
    assert parse(render_markdown(source)).pres == codes


def test_unclosed_fence_at_end_renders_closed():
    out = render_markdown('Intro\n\n```rust\nfn main() {\n    println!("<b>");')
    doc = parse(out)  # balanced: the wrapper's divs and pre are closed
    assert doc.pres == ['fn main() {\n    println!("<b>");']
    assert out.rstrip().endswith("</pre></div></div>")


def test_windows_newlines_render_like_unix():
    text = "Intro\n\n```python\nx = 1\n```\n\n- a\n- b\n"
    assert render_markdown(text.replace("\n", "\r\n")) == render_markdown(text)


def test_escape_text():
    assert escape_text('<b a="1">&\'</b>') == "&lt;b a=&quot;1&quot;&gt;&amp;&#x27;&lt;/b&gt;"


def test_css_has_light_and_dark_scopes_and_no_global_rules():
    css = pygments_css()
    assert ".highlight .k {" in css and ".dark .highlight .k {" in css
    assert ".seedui-code-bar" in css
    rules = re.findall(r"^([^\s{][^{]*)\{", css, re.MULTILINE)
    assert rules and all(".highlight" in r or ".seedui-code" in r for r in rules), rules


# ---------------------------------------------------------------- streaming

LONG = """Here is a **binary search** in Python; it returns the index or `-1`.
The list must be sorted.

```python
def binary_search(items, target):
    \"\"\"Return the index of target in items, or -1.

    Works on any sorted sequence.
    \"\"\"
    lo, hi = 0, len(items) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if items[mid] == target:
            return mid
        if items[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1

    return -1
```
How it works:
1. Keep `lo` and `hi` around the part still to search.
2. Compare the middle element.

   It halves the range each time.
3. Stop when `lo > hi`.

## Complexity
*O(log n)* comparisons. Setext heading next
-----

| case | steps |
|------|-------|
| best | 1 |
| worst | log n |

> Note: <script>alert(1)</script> is shown as text.

- A list item with code:

  ```js
  console.log([1, 2].map(x => x * 2));
  ```
- Another item

````markdown
```python
nested = "fence"
```
````

    indented code block
    second line

~~~
tilde fence with ``` inside
~~~
---
Last paragraph with a [link](https://example.com) and ![img](https://example.com/x.png).

```rust
fn main() {
    let v: Vec<i32> = (1..=3).collect();
    println!("{:?}", v);
}"""


def _prefixes(text: str, step: int = 1) -> list[str]:
    return [text[:i] for i in range(1, len(text) + 1, step)] + [text]


def _assert_extends(prev: list, cur: list) -> None:
    """Finished entries never change; inside an open fence only the last two line entries may change."""
    assert cur[: len(prev) - 1] == prev[:-1]
    if prev and len(cur) >= len(prev) and isinstance(prev[-1], list) and isinstance(cur[len(prev) - 1], list):
        old, new = prev[-1], cur[len(prev) - 1]
        assert new[: len(old) - 2] == old[:-2]


@pytest.mark.parametrize("step", [1, 3, 17])
def test_streaming_keeps_finished_entries_and_matches_one_shot(step):
    renderer = StreamRenderer()
    prev: list = []
    for prefix in _prefixes(LONG, step):
        cur = renderer.feed(prefix)
        assert all(isinstance(b, str) or all(isinstance(s, str) for s in b) for b in cur)
        _assert_extends(prev, cur)
        parse(flatten_blocks(cur))  # every intermediate state is balanced HTML
        prev = cur
    final = renderer.feed(LONG, final=True)
    assert flatten_blocks(final) == render_markdown(LONG)
    assert isinstance(prev[-1], list)  # the trailing rust fence streamed as a list of lines


def test_open_fence_streams_lines():
    renderer = StreamRenderer()
    blocks = renderer.feed("Intro\n\n```python\nx = 1\ny = 2\nz = ")
    assert blocks[0] == "<p>Intro</p>\n"
    fence = blocks[1]
    assert isinstance(fence, list) and len(fence) == 5  # opening, 2 lines, partial, closing
    assert fence[0].endswith('<div class="highlight"><pre>') and fence[-1] == "</pre></div></div>"
    assert parse(flatten_blocks(blocks)).pres == ["x = 1\ny = 2\nz = "]
    closed = renderer.feed("Intro\n\n```python\nx = 1\ny = 2\nz = 3\n```\n")
    assert closed == [blocks[0], highlight_code("x = 1\ny = 2\nz = 3\n", "python") + "\n"]


def test_returned_lists_are_not_mutated_later():
    # Gradio keeps the previous value to diff against; mutating it in place would corrupt the diff.
    renderer = StreamRenderer()
    first = renderer.feed("```python\na = 1\n")
    snapshot = copy.deepcopy(first)
    renderer.feed("```python\na = 1\nb = 2\n")
    assert first == snapshot


def test_text_that_is_not_an_extension_restarts():
    renderer = StreamRenderer()
    renderer.feed("# Title\n\nfirst answer\n\n```python\nx = 1\n")
    other = "Different answer\n\n```js\nlet y = 2;\n```\n"
    assert flatten_blocks(renderer.feed(other, final=True)) == render_markdown(other)


def _wire_bytes(text: str, tokens: list[str]) -> int:
    renderer, prev, total, so_far = StreamRenderer(), [], 0, ""
    for token in tokens:
        so_far += token
        cur = renderer.feed(so_far)
        total += len(json.dumps(diff(prev, cur)))
        prev = cur
    return total + len(json.dumps(diff(prev, renderer.feed(text, final=True))))


def _tokens(n: int) -> list[str]:
    """Roughly LLM-sized tokens (a few characters each) from repeated realistic output."""
    pieces = re.findall(r"\s*\S{1,4}|\s+", LONG.replace("```rust", "```go") + "```\n\n")
    return (pieces * (n // len(pieces) + 1))[:n]


def test_wire_cost_grows_linearly():
    small, large = _tokens(256), _tokens(2048)
    ratio = _wire_bytes("".join(large), large) / _wire_bytes("".join(small), small)
    # 8x the tokens: linear growth gives about 8x the bytes; re-sending the whole answer each time would be ~64x.
    assert ratio <= 10, ratio


def test_infill_is_marked_in_place_and_text_is_exact():
    import re

    from seedui.render import highlight_infill

    html_out = highlight_infill("def f(x):\n    ", "return x * 2", "\n\nprint(f(3))\n", "python")
    assert '<mark class="seedui-infill">' in html_out and 'class="k"' in html_out
    text = re.sub(r"<[^>]+>", "", html_out.split("<pre>")[1].split("</pre>")[0])
    import html as html_lib

    assert html_lib.unescape(text) == "def f(x):\n    return x * 2\n\nprint(f(3))\n"
    marked = re.sub(r"<[^>]+>", "", html_out.split('<mark class="seedui-infill">')[1].split("</mark>")[0])
    assert html_lib.unescape(marked) == "return x * 2"


@pytest.mark.parametrize(
    ("line", "opener", "closes"),
    [
        ("```", "```", True),
        ("````  ", "```", True),
        ("   ```", "```", True),
        ("    ```", "```", False),  # four spaces: indented code, not a fence
        ("``", "```", False),
        ("~~~", "```", False),
        ("``` python", "```", False),
        ("~~~~", "~~~", True),
    ],
)
def test_fence_closing_rules(line, opener, closes):
    from seedui import fences

    assert fences.closes(line, opener) is closes
