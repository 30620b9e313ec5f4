"""The ``tvb-ngnmm`` command line."""

from __future__ import annotations

import sys

COMMANDS = {
    "demo": "run the whole-brain demo (NextGenEI on AAL90) and write its figure and data",
    "gui": "start the TVB web GUI with the plugin's models on 127.0.0.1 (needs the gui extra)",
}


def main(argv: list[str] | None = None) -> int:
    """Dispatch ``tvb-ngnmm <command> [options]``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: tvb-ngnmm <command> [options]\n\ncommands:")
        for name, text in COMMANDS.items():
            print(f"  {name:<8} {text}")
        return 0
    command, rest = argv[0], argv[1:]
    if command == "demo":
        from .demo import main as demo_main

        demo_main(rest, prog="tvb-ngnmm demo")
        return 0
    if command == "gui":
        from .gui.server import main as gui_main

        return gui_main(rest)
    allowed = ", ".join(repr(c) for c in COMMANDS)
    print(f"Invalid command. Allowed commands are {allowed}, but got {command!r}.", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
