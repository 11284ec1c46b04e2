"""Quarto post-render step: local widget runtime, skip links, no third-party requests (see postrender.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from empathy_ce.site.postrender import main

sys.exit(main())
