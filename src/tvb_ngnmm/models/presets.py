"""Named parameter sets for the regimes users ask for (filled in below)."""

from __future__ import annotations

PRESETS: dict = {}
