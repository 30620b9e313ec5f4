"""What every test gets: its figures closed after it."""

import sys

import pytest


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test left open (the plotting functions return theirs open, for the
    caller; past 20 open figures matplotlib warns, an error in this suite)."""
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
