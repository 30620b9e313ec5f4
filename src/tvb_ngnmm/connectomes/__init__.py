"""Connectomes shipped with the plugin, as configured TVB ``Connectivity`` objects."""

from .aal90 import load_aal90

__all__ = ["load_aal90"]
