"""Gradio layout and event wiring only: no prompts, no HTTP, no engine logic."""
