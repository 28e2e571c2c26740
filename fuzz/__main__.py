"""`python -m fuzz [--seconds N] [TARGET...]`: run each target under atheris for N seconds."""

from __future__ import annotations

import argparse
import subprocess
import sys


def _one(name: str, seconds: int) -> int:
    """Run one target in its own process: atheris takes over the interpreter."""
    code = (
        "import sys, atheris\n"
        "with atheris.instrument_imports():\n"
        "    from fuzz.targets import TARGETS\n"
        f"atheris.Setup(sys.argv, TARGETS[{name!r}])\n"
        "atheris.Fuzz()\n"
    )
    print(f"fuzzing {name} for {seconds} s", flush=True)
    return subprocess.run(
        [sys.executable, "-c", code, f"-max_total_time={seconds}", "-rss_limit_mb=2048"]
    ).returncode


def main() -> int:
    from fuzz.targets import TARGETS

    parser = argparse.ArgumentParser(prog="python -m fuzz")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("targets", nargs="*", help=f"some of: {', '.join(TARGETS)} (default all)")
    args = parser.parse_args()
    unknown = set(args.targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))}")
    failed = [name for name in (args.targets or TARGETS) if _one(name, args.seconds) != 0]
    print("fuzzing found crashes in: " + ", ".join(failed) if failed else "no crashes found")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
