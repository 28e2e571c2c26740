"""The simulator's output directory: made fresh for each run, and never another's.

A run deletes what an earlier run left in `--out`, so it must know that the directory is
its own: each run leaves a marker file, and a non-empty directory without one (a home
directory, a repository, a mounted stick given by mistake) is refused, never emptied.
"""

from __future__ import annotations

import shutil
from pathlib import Path

MARKER = ".tamga-simulator-output"


class ForeignDirectory(Exception):
    """`--out` names a directory the simulator did not make."""


def fresh(out: Path) -> None:
    """Make `out` an empty output directory, removing an earlier run's; ForeignDirectory
    when it holds anything else, and then nothing is changed."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise ForeignDirectory(f"{out}: not a directory the simulator made (a link or a file)")
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise ForeignDirectory(
                f"{out}: not empty, and not the output of an earlier run; give --out an empty "
                "or new directory"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("made by python -m sim; the next run may empty it\n")
