"""``python -m tvb_ngnmm.engine.support``: print the support matrix, or write or check the
tables of a README (:mod:`.readme`)::

    python -m tvb_ngnmm.engine.support --write-readme docs/reference/support.md
    python -m tvb_ngnmm.engine.support --check docs/reference/support.md  # 1 if they differ
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..._util import write_atomically
from . import support_matrix
from .readme import update_readme


def main(argv: list[str] | None = None) -> int:
    """``python -m tvb_ngnmm.engine.support``: print the matrix, or write or check a README."""
    parser = argparse.ArgumentParser(
        prog="python -m tvb_ngnmm.engine.support",
        description="Print what the fast engine supports, or write or check a README's tables.",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--write-readme",
        metavar="README",
        type=Path,
        help="rewrite the marked tables of this file (atomically)",
    )
    group.add_argument(
        "--check",
        metavar="README",
        type=Path,
        help="exit with status 1 if its marked tables differ from the matrix",
    )
    args = parser.parse_args(argv)
    path = args.write_readme or args.check
    if path is None:
        print(support_matrix().summary())
        return 0
    text = path.read_text(encoding="utf-8")
    updated = update_readme(text)
    if args.check:
        if updated != text:
            print(
                f"{path}: the support-matrix tables differ from support_matrix(); run "
                f"python -m tvb_ngnmm.engine.support --write-readme {path}",
                file=sys.stderr,
            )
            return 1
        return 0
    if updated != text:
        write_atomically(path, lambda tmp: tmp.write_text(updated, encoding="utf-8"))
    return 0


if __name__ == "__main__":  # pragma: no cover - the command line
    sys.exit(main())
