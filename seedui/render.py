"""Model output (untrusted) -> escaped, pygments-highlighted HTML, cheap to stream.

Safety: markdown-it runs with raw HTML disabled, so any tag in the output shows
as text; links must be http(s)/mailto/relative; images never load (they become
plain links), so a reply cannot make the browser fetch anything by itself.

Streaming: `StreamRenderer.feed(full_text)` returns a list of HTML blocks.
Finished top-level blocks are rendered once and never change again; only the
last, open block is re-rendered. An open code fence is itself a list
`[opening, line, line, ..., partial_line, closing]` whose complete lines never
change, so Gradio's JSON diff (element-wise for lists, append for strings)
sends bytes linear in the output length instead of quadratic.

Code block contract (the browser's Copy/Run buttons rely on it):

    <div class="seedui-code" data-lang="python">
      <div class="seedui-code-bar"><span class="seedui-lang">python</span>
        <button type="button" class="seedui-copy">Copy</button>
        <button type="button" class="seedui-run">Run</button></div>
      <div class="highlight"><pre>...spans...</pre></div>
    </div>

(no whitespace between the tags in the real output). `.highlight pre`'s
textContent is exactly the code; Run is present only for python, javascript
and html.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import pygments
from markdown_it import MarkdownIt
from markdown_it.token import Token
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.token import Text as TextToken
from pygments.util import ClassNotFound

from seedui import fences

Block = str | list[str]

RUNNABLE_LANGS = frozenset({"python", "javascript", "html"})
# Names people (and models) write for the runnable languages; pygments lacks some of them (node, mjs, htm, xhtml).
LANG_ALIASES = {
    "py": "python",
    "python3": "python",
    "py3": "python",
    "js": "javascript",
    "node": "javascript",
    "mjs": "javascript",
    "htm": "html",
    "xhtml": "html",
}
LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"
# Lines of already-streamed code lexed before new lines, so that e.g. a line inside a short docstring still
# highlights as a string while the fence is open. Bounded so each update costs O(1), not O(fence length).
CONTEXT_LINES = 12
LINK_REL = "noopener noreferrer nofollow"
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})

_SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
_LANG_CHARS_RE = re.compile(r"[^\w+#.\-]")
_CODE_CLOSE = "</pre></div></div>"
_FORMATTER = HtmlFormatter(nowrap=True)


def escape_text(s: str) -> str:
    """Escape plain text (stats, errors) for HTML; the one way SeedUI does it."""
    return html.escape(s, quote=True)


# ---------------------------------------------------------------- languages and highlighting


@dataclass(frozen=True)
class _Lang:
    name: str  # data-lang value and visible label
    lexer: Lexer | None  # None: show as plain escaped text


@lru_cache(maxsize=256)
def resolve_lang(info: str) -> _Lang:
    """The language for a fence info string: its first word, normalized; unknown -> plain text."""
    words = info.strip().split(maxsplit=1)
    tag = _LANG_CHARS_RE.sub("", words[0].lower())[:32] if words else ""
    tag = LANG_ALIASES.get(tag, tag)
    if not tag:
        return _Lang("text", None)
    try:
        # stripnl/ensurenl off: pygments would otherwise drop or add newlines and textContent != code.
        lexer = get_lexer_by_name(tag, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return _Lang(tag, None)
    if lexer.name == "Text only":
        return _Lang(tag, None)
    name = tag if tag in RUNNABLE_LANGS else (lexer.aliases[0] if lexer.aliases else tag)
    return _Lang(name, lexer)


def _code_open(lang: _Lang) -> str:
    name = escape_text(lang.name)
    run = '<button type="button" class="seedui-run">Run</button>' if lang.name in RUNNABLE_LANGS else ""
    return (
        f'<div class="seedui-code" data-lang="{name}"><div class="seedui-code-bar">'
        f'<span class="seedui-lang">{name}</span><button type="button" class="seedui-copy">Copy</button>{run}</div>'
        '<div class="highlight"><pre>'
    )


def _lex(lexer: Lexer, text: str) -> Iterator[tuple]:
    # Pygments drops a leading BOM; keep it so the shown text is exactly the code.
    if text.startswith("\ufeff"):
        yield TextToken, "\ufeff"
        text = text[1:]
    yield from lexer.get_tokens(text)


def _highlight_after(lexer: Lexer | None, context: str, text: str) -> str:
    """HTML spans for `text`, lexed as if it followed `context` (whose HTML is not returned)."""
    if lexer is None or not text:
        return escape_text(text)
    tokens = list(_lex(lexer, context + text))
    if "".join(value for _, value in tokens) != context + text:
        return escape_text(text)  # a lexer that rewrites text would break Copy; never trust it blindly
    skip, kept = len(context), []
    for ttype, value in tokens:
        if skip >= len(value):
            skip -= len(value)
            continue
        kept.append((ttype, value[skip:]))
        skip = 0
    spans = pygments.format(kept, _FORMATTER)
    # The formatter ends its last line with "\n" even when the code has none (an unfinished line).
    return spans[:-1] if not text.endswith("\n") and spans.endswith("\n") else spans


def highlight_code(code: str, lang: str = "") -> str:
    """A complete code block (wrapper contract above) for `code` in language `lang`."""
    info = resolve_lang(lang)
    return _code_open(info) + _highlight_after(info.lexer, "", code) + _CODE_CLOSE


def highlight_infill(prefix: str, middle: str, suffix: str, lang: str = "") -> str:
    """The whole file as one code block, the model's infill marked in place.

    Each part is lexed in the context of what precedes it, so the colours are
    those of the whole file and textContent is still exactly the code.
    """
    info = resolve_lang(lang)
    return (
        _code_open(info)
        + _highlight_after(info.lexer, "", prefix)
        + '<mark class="seedui-infill">'
        + _highlight_after(info.lexer, prefix, middle)
        + "</mark>"
        + _highlight_after(info.lexer, prefix + middle, suffix)
        + _CODE_CLOSE
    )


# ---------------------------------------------------------------- markdown


def _safe_link(url: str) -> bool:
    # Allow-list instead of markdown-it's deny-list, which lets data:image/... through.
    match = _SCHEME_RE.match(url.strip())
    return match is None or match.group(1).lower() in SAFE_SCHEMES


def _render_fence(self, tokens: Sequence[Token], idx: int, options, env) -> str:
    token = tokens[idx]
    return highlight_code(token.content, token.info) + "\n"


def _render_link_open(self, tokens: Sequence[Token], idx: int, options, env) -> str:
    tokens[idx].attrSet("rel", LINK_REL)
    tokens[idx].attrSet("target", "_blank")
    return self.renderToken(tokens, idx, options, env)


def _render_image(self, tokens: Sequence[Token], idx: int, options, env) -> str:
    # Never an <img>: a remote image would be fetched as soon as it streams in (tracking, data exfiltration).
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    src = str(token.attrGet("src") or "")
    if src.lower().startswith(("http://", "https://")):
        text = escape_text(alt or src)
        return f'<a href="{escape_text(src)}" rel="{LINK_REL}" target="_blank">[image: {text}]</a>'
    return escape_text(alt)


def _make_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    # Reference definitions resolve across the whole document, which would make a finished block depend on
    # text that arrives later; disabled so blocks render independently (and identically when streamed).
    md.disable("reference")
    md.validateLink = _safe_link
    md.add_render_rule("fence", _render_fence)
    md.add_render_rule("link_open", _render_link_open)
    md.add_render_rule("image", _render_image)
    return md


_MD = _make_markdown()


@dataclass
class _Group:
    """One top-level block: its tokens and its line range in the parsed source."""

    start: int
    end: int
    tokens: list[Token] = field(default_factory=list)


def _top_level_groups(tokens: Iterable[Token]) -> list[_Group]:
    groups: list[_Group] = []
    depth = 0
    for tok in tokens:
        if depth == 0:
            start, end = tok.map or (0, 0)
            groups.append(_Group(start, end))
        groups[-1].tokens.append(tok)
        depth += tok.nesting
    return groups


def _render_tokens(tokens: Sequence[Token]) -> str:
    return _MD.renderer.render(tokens, _MD.options, {})


def _fence_closed(group: _Group, lines: list[str]) -> bool:
    """Whether a top-level fence group ends with its closing fence (markdown-it does not record it)."""
    tok = group.tokens[0]
    last = group.end - 1
    if tok.type != "fence" or last <= group.start or last >= len(lines):
        return False
    return fences.closes(lines[last], tok.markup)


def _self_complete(group: _Group, lines: list[str]) -> bool:
    """Blocks that no later line can extend: headings, rules, closed fences."""
    kind = group.tokens[0].type
    return kind in ("heading_open", "hr") or (kind == "fence" and _fence_closed(group, lines))


def _line_offset(text: str, line: int) -> int:
    pos = 0
    for _ in range(line):
        pos = text.index("\n", pos) + 1
    return pos


# ---------------------------------------------------------------- streaming


@dataclass
class _OpenFence:
    """Highlighted lines of the fence being streamed; entries are fixed once emitted."""

    pos: int  # where the fence's region starts in the text
    opening: str
    lang: _Lang
    sources: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


class StreamRenderer:
    """Renders a growing text into HTML blocks whose finished parts never change.

    Feed the full text so far each time. If the text is not an extension of the previous one (a retry), the
    renderer starts over, so the result is always `render_markdown(text)` once `final=True`.
    """

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._blocks: list[str] = []  # committed HTML, one entry per finished top-level block
        self._pos = 0  # where the uncommitted region starts
        self._stable = ""  # the complete lines seen so far; later feeds must extend them
        self._fence: _OpenFence | None = None

    def feed(self, text: str, final: bool = False) -> list[Block]:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if not text.startswith(self._stable):
            self._reset()
        self._commit(text)
        return [*self._blocks, *self._render_region(text[self._pos :], final)]

    def _commit(self, text: str) -> None:
        """Render and freeze the top-level blocks that later text can no longer change."""
        end = text.rfind("\n") + 1
        if end <= len(self._stable):
            return  # no new complete line: nothing can have finished
        self._stable = text[:end]
        # Only complete lines decide: a partial "```py`" or "#x" may still turn out not to start a block.
        region = text[self._pos : end]
        groups = _top_level_groups(_MD.parse(region))
        lines = region.split("\n")
        keep = len(groups) - 1
        if groups and _self_complete(groups[-1], lines):
            keep = len(groups)
        self._blocks.extend(_render_tokens(g.tokens) for g in groups[: max(keep, 0)])
        if not groups or keep == len(groups):
            self._pos = end
        elif keep > 0:
            self._pos += _line_offset(region, groups[keep].start)
        elif groups[0].start > 0:
            self._pos += _line_offset(region, groups[0].start)  # skip blank lines before the open block

    def _render_region(self, region: str, final: bool) -> list[Block]:
        if not region.strip():
            return []
        groups = _top_level_groups(_MD.parse(region))
        if final:
            return [_render_tokens(g.tokens) for g in groups]
        if len(groups) == 1 and groups[0].tokens[0].type == "fence":
            if not _fence_closed(groups[0], region.split("\n")):
                return [self._open_fence(region, groups[0].tokens[0])]
        return [_render_tokens([tok for g in groups for tok in g.tokens])]

    def _open_fence(self, region: str, token: Token) -> list[str]:
        if "\n" not in region:  # the opening line (and so the language) is still being written
            return [_code_open(resolve_lang(token.info)), "", _CODE_CLOSE]
        fence = self._fence
        if fence is None or fence.pos != self._pos:
            lang = resolve_lang(token.info)
            fence = self._fence = _OpenFence(self._pos, _code_open(lang), lang)
        *complete, partial = token.content.split("\n")
        new = complete[len(fence.sources) :]
        if new:
            context = "".join(s + "\n" for s in fence.sources[-CONTEXT_LINES:])
            spans = _highlight_after(fence.lang.lexer, context, "".join(s + "\n" for s in new))
            fence.lines.extend(line + "\n" for line in spans.split("\n")[:-1])
            fence.sources.extend(new)
        context = "".join(s + "\n" for s in fence.sources[-CONTEXT_LINES:])
        return [fence.opening, *fence.lines, _highlight_after(fence.lang.lexer, context, partial), _CODE_CLOSE]


def flatten_blocks(blocks: Sequence[Block]) -> str:
    """One HTML string from `feed()`'s blocks; the browser does the same (`blocks.flat().join('')`)."""
    return "".join(b if isinstance(b, str) else "".join(b) for b in blocks)


def render_markdown(text: str) -> str:
    """One-shot rendering; the same code path as streaming, so both give identical HTML."""
    return flatten_blocks(StreamRenderer().feed(text, final=True))


# ---------------------------------------------------------------- CSS


_CODE_CSS = """
.seedui-code { margin: 0.75em 0; border: 1px solid var(--border-color-primary, #d0d7de);
  border-radius: 6px; overflow: hidden; }
.seedui-code-bar { display: flex; align-items: center; gap: 0.4em; padding: 0.2em 0.5em;
  font-size: 0.8em; background: var(--background-fill-secondary, #f6f8fa);
  border-bottom: 1px solid var(--border-color-primary, #d0d7de); color: var(--body-text-color-subdued, #57606a); }
.seedui-code-bar .seedui-lang { margin-right: auto; font-family: var(--font-mono, monospace);
  color: var(--body-text-color, inherit); }
.seedui-code-bar button { font: inherit; cursor: pointer; padding: 0.1em 0.6em; border-radius: 4px;
  color: var(--body-text-color, inherit); background: var(--button-secondary-background-fill, transparent);
  border: 1px solid var(--border-color-primary, #d0d7de); }
.seedui-code-bar button:hover { background: var(--button-secondary-background-fill-hover, rgba(128,128,128,0.15)); }
.seedui-code .highlight { margin: 0; }
.seedui-code .highlight pre { margin: 0; padding: 0.75em 1em; overflow-x: auto; white-space: pre;
  background: transparent; border: none; font-family: var(--font-mono, monospace); font-size: 0.9em; }
"""

_CLASS_RE = re.compile(r"^\.highlight (\.[\w-]+) \{", re.MULTILINE)


def pygments_css() -> str:
    """CSS for highlighted code: light under `.highlight`, dark under `.dark .highlight`, plus the wrapper."""
    light, dark = HtmlFormatter(style=LIGHT_STYLE), HtmlFormatter(style=DARK_STYLE)
    light_css = light.get_background_style_defs(".highlight") + light.get_token_style_defs(".highlight")
    dark_prefix = ".dark .highlight"
    # Without a reset, whatever the light theme sets and the dark one does not (a bold keyword, a red border
    # around error tokens) would leak into dark mode. Same specificity as the dark rules, so those still win.
    resets = [
        f"{dark_prefix} {cls} {{ color: inherit; background-color: transparent; border: none; "
        "font-weight: normal; font-style: normal; }"
        for cls in sorted(set(_CLASS_RE.findall("\n".join(light_css))))
    ]
    dark_css = dark.get_background_style_defs(dark_prefix) + dark.get_token_style_defs(dark_prefix)
    return "\n".join([*light_css, *resets, *dark_css]) + "\n" + _CODE_CSS
