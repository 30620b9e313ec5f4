"""The imaging subpackage: its own concern, above the monitors, its optional extras optional."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import tvb_ngnmm
import tvb_ngnmm.imaging
import tvb_ngnmm.monitors

PACKAGE = Path(tvb_ngnmm.__file__).parent
#: What moved from ``tvb_ngnmm.monitors`` to ``tvb_ngnmm.imaging``.
MOVED = (
    "RegionForward",
    "region_forward",
    "bold_to_dataset",
    "bold_to_netcdf",
    "bold_to_nifti",
    "save_fif",
    "save_sensor_dataset",
    "sensor_dataset",
    "to_raw",
    "to_source_estimate",
)


def imported_packages(source: str, module: str) -> set[str]:
    """The absolute names of the modules that ``source`` (the module ``module``) imports."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.add(node.module or "")
                continue
            base = module.split(".")[: -node.level]
            found.add(".".join(base + ([node.module] if node.module else [])))
    return found


def imports_of_monitors() -> dict[str, set[str]]:
    """Every module of ``tvb_ngnmm.monitors`` with the modules it imports."""
    imports = {}
    for path in sorted((PACKAGE / "monitors").glob("*.py")):
        # "tvb_ngnmm.monitors.__init__": an __init__'s relative imports start from its package
        module = f"tvb_ngnmm.monitors.{path.stem}"
        imports[module] = imported_packages(path.read_text(), module)
    return imports


def test_the_monitors_do_not_import_the_imaging_side():
    """Case: the engine monitors sit below imaging; none of them imports it (no import runs back
    up), and ``tvb_ngnmm.monitors`` no longer hands on the moved names."""
    for module, imports in imports_of_monitors().items():
        upward = sorted(i for i in imports if i.startswith("tvb_ngnmm.imaging"))
        assert not upward, f"{module} imports {upward}"
    assert not [name for name in MOVED if hasattr(tvb_ngnmm.monitors, name)]
    assert set(MOVED) <= set(tvb_ngnmm.imaging.__all__)
    assert all(hasattr(tvb_ngnmm.imaging, name) for name in tvb_ngnmm.imaging.__all__)


def test_the_import_check_can_fail():
    """Case: the check above sees a relative import up to the imaging package."""
    source = "from ..imaging import region_forward\nfrom ._base import select\n"
    found = imported_packages(source, "tvb_ngnmm.monitors.raw")
    assert found == {"tvb_ngnmm.imaging", "tvb_ngnmm.monitors._base"}
    assert imported_packages("from .raw import x\n", "tvb_ngnmm.monitors.__init__") == {
        "tvb_ngnmm.monitors.raw"
    }


WITHOUT_EXTRAS = """
import importlib.abc, json, sys

class Missing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("mne", "nibabel"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, Missing())
import tvb_ngnmm.imaging as imaging
from tvb_ngnmm.connectomes import load_connectome

try:
    imaging.region_forward(load_connectome("aal90"), "fsaverage_1020")
except ImportError as err:
    message = str(err)
print(json.dumps({"loaded": sorted(m for m in ("mne", "nibabel") if m in sys.modules),
                  "message": message}))
"""


def test_imaging_imports_without_its_optional_extras():
    """Case: without MNE-Python and nibabel installed, ``tvb_ngnmm.imaging`` still imports (the
    extras are imported only when used), and a function that needs MNE names the extra."""
    out = subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRAS], capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["loaded"] == []
    assert "pip install 'tvb-ngnmm[mne]'" in result["message"]


@pytest.mark.parametrize("extra", ["mne", "nibabel"])
def test_the_engine_monitors_load_no_optional_extra(extra):
    """Case: importing the engine and its monitors loads neither the imaging subpackage nor an
    optional extra."""
    script = (
        "import json, sys; import tvb_ngnmm.backend, tvb_ngnmm.monitors; "
        f"print(json.dumps([m for m in sys.modules if m.split('.')[0] == {extra!r} "
        "or m.startswith('tvb_ngnmm.imaging')]))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
