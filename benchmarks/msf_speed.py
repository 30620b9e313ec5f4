"""Speed of the Master Stability Function on AAL90 (NextGenEI, row-normalised weights).

Run: ``.venv/bin/python benchmarks/msf_speed.py [--map N]``. Prints the time for all transverse
modes of the 90-region network at one parameter point (median of repetitions, the fixed-point
search included), and the time of an N × N map over (I_e, ε) on 2 worker processes.
"""

import argparse
import statistics
import time

import numpy as np

from tvb_ngnmm.connectomes import load_aal90
from tvb_ngnmm.models import NextGenEI
from tvb_ngnmm.stability import coupling_modes, msf_map, transverse_modes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--map", type=int, default=100, help="map size N (N × N points)")
    args = parser.parse_args()
    modes = coupling_modes(load_aal90(normalize="row").weights)
    model = NextGenEI(I_e=np.array([15.0]))
    transverse_modes(model, modes, 9.0)  # warm up
    times = []
    for _ in range(7):
        start = time.perf_counter()
        transverse_modes(model, modes, 9.0)
        times.append(time.perf_counter() - start)
    print(f"all 90 modes at (15, 9): median {statistics.median(times) * 1000:.1f} ms")
    n = args.map
    start = time.perf_counter()
    msf_map(NextGenEI(), modes, "I_e", np.linspace(0, 16, n), np.linspace(0, 30, n), n_jobs=2)
    elapsed = time.perf_counter() - start
    print(f"{n} x {n} map on 2 processes: {elapsed:.1f} s ({elapsed / n**2 * 1000:.2f} ms/point)")


if __name__ == "__main__":
    main()
