"""The wheel holds the whole package, its data included, and works outside the checkout."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]

SCRIPT = """
import json, tvb_ngnmm
from tvb_ngnmm.datasets import gw
from tvb_ngnmm.engine import _cache
conn = gw.group_connectivity()
print(json.dumps({"file": tvb_ngnmm.__file__, "regions": int(conn.number_of_regions),
                  "kernel_sources": [str(p) for p in _cache._KERNEL_SOURCES]}))
"""


def test_wheel_installs_a_working_package_outside_the_checkout(tmp_path):
    """The package sits at the top level of the repository (``tvb_ngnmm/``); the wheel built
    from it, unpacked away from the checkout, is the package that is imported, with its data."""
    assert (REPOSITORY / "tvb_ngnmm" / "__init__.py").exists()
    assert not (REPOSITORY / "src").exists()
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
         "--wheel-dir", str(tmp_path / "dist"), str(REPOSITORY)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    wheels = list((tmp_path / "dist").glob("tvb_ngnmm-*.whl"))
    assert len(wheels) == 1, build.stderr
    wheel = wheels[0]
    names = zipfile.ZipFile(wheel).namelist()
    assert "tvb_ngnmm/__init__.py" in names
    assert any(n.startswith("tvb_ngnmm/datasets/data/gw/") for n in names)
    assert not any(n.startswith(("tests/", "benchmarks/", "notebooks/")) for n in names)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(site), TVB_NGNMM_KERNEL_DIR=str(tmp_path / "kernels"))
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=elsewhere, env=env,
                         capture_output=True, text=True, check=True)  # fmt: skip
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert Path(found["file"]).is_relative_to(site)
    assert found["regions"] > 0
    assert all(Path(p).is_relative_to(site) for p in found["kernel_sources"])
