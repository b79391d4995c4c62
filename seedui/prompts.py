"""Per-lane prompt formats: chat turns, plain completion, fill-in-the-middle.

Pure functions: no engine, no Gradio. Chat templates are never hand-written:
the transformers engine applies the tokenizer's own template, OpenAI chat
endpoints apply the server's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from seedui.config import FimConfig, LaneConfig
from seedui.engines.base import GenerationRequest, Message
from seedui.errors import UserError
from seedui.sampling import SamplingSettings

# How an instruction reaches a completion (Base) lane: as typed, or as a comment in a language followed by the
# start of the code. A base model continues text, so a bare instruction is often "continued" with one token and
# a stop; Seed-Coder's README prompts its Base model the second way (`#write a quick sort algorithm`), and the
# model writes the code that the comment announces.
AS_TYPED = "typed"


@dataclass(frozen=True)
class CodeComment:
    """A language's comment around an instruction, and the code its files start with (often nothing)."""

    name: str  # as people write it
    open: str
    close: str = ""  # a block comment's end; "" for a line comment (then every line gets `open`)
    start: str = ""


INSTRUCTION_COMMENTS: dict[str, CodeComment] = {
    "python": CodeComment("Python", "# "),
    "javascript": CodeComment("JavaScript", "// "),
    "typescript": CodeComment("TypeScript", "// "),
    "rust": CodeComment("Rust", "// "),
    "go": CodeComment("Go", "// ", start="package main\n\n"),
    "java": CodeComment("Java", "// "),
    "c": CodeComment("C", "// "),
    "cpp": CodeComment("C++", "// "),
    "html": CodeComment("HTML", "<!-- ", " -->", start="<!DOCTYPE html>\n"),
    "css": CodeComment("CSS", "/* ", " */"),
    "sql": CodeComment("SQL", "-- "),
    "shell": CodeComment("shell", "# "),
}
INSTRUCTION_AS = (AS_TYPED, *INSTRUCTION_COMMENTS)


def check_instruction_as(value: object) -> str:
    """A request's `instruction_as` setting, or a UserError naming the values it takes."""
    if value not in INSTRUCTION_AS:
        raise UserError(
            f"instruction_as must be {AS_TYPED!r} (the prompt as typed) or a language for a comment "
            f"({', '.join(INSTRUCTION_COMMENTS)}); got {str(value)[:40]!r}"
        )
    return value  # type: ignore[return-value]


def completion_prompt(instruction: str, instruction_as: str = AS_TYPED) -> str:
    """The text a completion lane continues: the instruction as typed, or as a comment in a language
    followed by the start of the code ('# Write is_prime(n)\n' for Python)."""
    if instruction_as == AS_TYPED:
        return instruction
    comment = INSTRUCTION_COMMENTS[check_instruction_as(instruction_as)]
    lines = instruction.strip().splitlines() or [""]
    if comment.close:  # a block comment: the instruction must not end it early
        text = "\n".join(lines).replace(comment.close.strip(), " ".join(comment.close.strip()))
        commented = f"{comment.open}{text}{comment.close}"
    else:
        commented = "\n".join(f"{comment.open}{line}".rstrip() for line in lines)
    return f"{commented}\n{comment.start}"


def chat_messages(
    lane: LaneConfig, history: Sequence[Message], system_prompt: str | None = None
) -> tuple[Message, ...]:
    """The messages a chat lane sends: system prompt (Instruct only) + checked turns."""
    turns = tuple({"role": m["role"], "content": m["content"]} for m in history)
    check_turns(turns, lane)
    if not lane.takes_system_prompt:
        # Seed-Coder-Reasoning's template rejects a system message: never send one.
        return turns
    system = system_prompt if system_prompt is not None else lane.system_prompt
    if system:
        return ({"role": "system", "content": system}, *turns)
    return turns


def check_turns(turns: Sequence[Message], lane: LaneConfig) -> None:
    if not turns:
        raise UserError("the conversation is empty: write a message first")
    for i, turn in enumerate(turns):
        if turn["role"] == "system":
            if not lane.takes_system_prompt:
                raise UserError(f"{lane.display_name} takes no system message (its chat template rejects one)")
            raise UserError("put the system prompt in the system prompt setting, not in the conversation")
        expected = "user" if i % 2 == 0 else "assistant"
        if turn["role"] != expected:
            raise UserError(
                f"turns must alternate user/assistant starting with user; turn {i + 1} is "
                f"{turn['role']!r} where {expected!r} was expected"
            )
    if turns[-1]["role"] != "user":
        raise UserError("the last turn must be the user's")


def fim_prompt(lane: LaneConfig, prefix: str, suffix: str) -> str:
    """Fill-in-the-middle prompt in the order and with the tokens the lane's config names."""
    fim: FimConfig | None = lane.fim
    if fim is None:
        raise UserError(
            f"{lane.display_name} ({lane.model}) has no fill-in-the-middle tokens, so it cannot fill a hole; "
            "use plain completion, or a model with FIM such as Seed-Coder-8B-Base"
        )
    if fim.order == "spm":
        return f"{fim.suffix}{suffix}{fim.prefix}{prefix}{fim.middle}"
    return f"{fim.prefix}{prefix}{fim.suffix}{suffix}{fim.middle}"


def build_request(
    lane: LaneConfig,
    sampling: SamplingSettings,
    *,
    prompt: str | None = None,
    history: Sequence[Message] | None = None,
    fim: tuple[str, str] | None = None,
    system_prompt: str | None = None,
    instruction_as: str = AS_TYPED,
) -> GenerationRequest:
    """One user input -> the right request for this lane's prompt style.

    A single prompt on a chat lane is a one-turn conversation; on the Base
    lane it is text to continue, as typed or as a comment (`instruction_as`,
    see `completion_prompt`). `fim=(prefix, suffix)` asks for an infill.
    """
    stop = tuple(dict.fromkeys((*lane.stop, *(sampling.stop or ()))))  # lane's stops first, no duplicates
    if stop:
        sampling = SamplingSettings.model_validate({**sampling.set_values(), "stop": stop[:8]})
    if fim is not None:
        return GenerationRequest(sampling=sampling, prompt=fim_prompt(lane, *fim))
    if not lane.chats:
        if history is not None:
            raise UserError(f"{lane.display_name} is a completion model: it continues text, it does not chat")
        return GenerationRequest(sampling=sampling, prompt=completion_prompt(prompt or "", instruction_as))
    turns = list(history) if history is not None else [{"role": "user", "content": prompt or ""}]
    return GenerationRequest(sampling=sampling, messages=chat_messages(lane, turns, system_prompt))


def check_fits(prompt_tokens: int, max_tokens: int, context_length: int) -> None:
    """Refuse a prompt that leaves no room for the answer, with both numbers."""
    room = context_length - max_tokens
    if prompt_tokens > room:
        raise UserError(
            f"the prompt is {prompt_tokens} tokens, but with max_tokens {max_tokens} only {room} fit "
            f"in this lane's context of {context_length} tokens: shorten the prompt or lower max_tokens"
        )
