"""The README starts with a valid Hugging Face Spaces YAML header (the Space's configuration)."""

from __future__ import annotations

import re

import gradio
import pytest
import yaml

from seedui.config import builtin_profiles
from tests.conftest import ROOT

SEED_CODER = {
    "ByteDance-Seed/Seed-Coder-8B-Base",
    "ByteDance-Seed/Seed-Coder-8B-Instruct",
    "ByteDance-Seed/Seed-Coder-8B-Reasoning",
}
# https://huggingface.co/docs/hub/spaces-config-reference
COLORS = {"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"}


@pytest.fixture(scope="module")
def header() -> dict:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
    assert match, "README.md must start with a '---' YAML block closed by '---'"
    data = yaml.safe_load(match.group(1))
    assert isinstance(data, dict)
    return data


def test_header_names_the_gradio_sdk_app_file_and_license(header):
    assert header["sdk"] == "gradio"
    assert header["sdk_version"] == gradio.__version__  # the Space runs the Gradio the app is tested on
    assert (ROOT / header["app_file"]).is_file() and header["app_file"] == "app.py"
    assert header["license"] == "mit"
    assert re.fullmatch(r"3\.\d+", str(header["python_version"]))


def test_header_lists_the_seed_coder_models(header):
    models = set(header["models"])
    assert SEED_CODER <= models
    # Every model a built-in profile can run is listed (the Hub links the Space from each model page).
    profiles = builtin_profiles()
    used = {lane["model"] for profile in profiles.values() for lane in profile.get("lanes", {}).values()}
    assert used <= models, f"not in the README header: {sorted(used - models)}"


def test_header_fields_meet_the_hub_limits(header):
    assert header["title"] and len(header["short_description"]) <= 60
    assert header["colorFrom"] in COLORS and header["colorTo"] in COLORS
    assert isinstance(header["pinned"], bool)
