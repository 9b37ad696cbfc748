"""Tests of research-only code under bench/: the scripts there import each other as siblings
(``python bench/detector.py`` puts bench/ first on the path), so the tests do the same."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))
