"""Where SeedUI keeps what it makes (converted models, logs, llama.cpp's server, the share database).

Standard library only: `seedui.llamacpp_build` runs from install.sh before the app's requirements are in.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "seedui"
