"""The Dockerfile's user step (scripts/container_user.sh), run on fake root folders: no Docker engine needed.

A Space runs the container as uid 1000 with HOME=/home/user. Recent Ubuntu-based vLLM images already have
uid 1000 (named `ubuntu`, home /home/ubuntu); older ones have none. Both must end with uid 1000's home at
/home/user, owned by it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "container_user.sh"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("useradd"), reason="needs root and the shadow tools (useradd, usermod)"
)


def fake_root(tmp_path: Path, users: list[str]) -> Path:
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n" + "".join(u + "\n" for u in users))
    groups = ["root:x:0:"] + [f"{u.split(':')[0]}:x:{u.split(':')[3]}:" for u in users]
    (etc / "group").write_text("\n".join(groups) + "\n")
    (etc / "shadow").write_text("".join(f"{u.split(':')[0]}:!:19000:0:99999:7:::\n" for u in ["root", *users]))
    (etc / "gshadow").write_text("".join(f"{g.split(':')[0]}:!::\n" for g in groups))
    return tmp_path


def run(root: Path) -> None:
    subprocess.run(["sh", str(SCRIPT)], env={**os.environ, "ROOT": str(root)}, check=True, capture_output=True)


def uid_1000(root: Path) -> list[str]:
    entries = [line.split(":") for line in (root / "etc/passwd").read_text().splitlines()]
    return next(entry for entry in entries if entry[2] == "1000")


def test_an_image_whose_uid_1000_is_ubuntu(tmp_path):
    root = fake_root(tmp_path, ["ubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash"])
    run(root)
    entry = uid_1000(root)
    assert entry[0] == "ubuntu" and entry[5] == "/home/user"
    home = root / "home/user"
    assert home.is_dir() and home.stat().st_uid == 1000 and (root / "app").stat().st_uid == 1000


def test_an_image_without_uid_1000(tmp_path):
    root = fake_root(tmp_path, [])
    run(root)
    entry = uid_1000(root)
    assert entry[0] == "user" and entry[5] == "/home/user"
    assert (root / "home/user").stat().st_uid == 1000 and (root / "opt/seedui").stat().st_uid == 1000


def test_the_dockerfile_runs_the_script_before_switching_to_uid_1000():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.index("container_user.sh") < dockerfile.index("USER 1000")
    assert "HOME=/home/user" in dockerfile
