"""The per-run part of the guest's initramfs: the project's code and the script /init runs.

The terminal's code is baked into a small cpio appended to the cached base image (the kernel
unpacks concatenated archives in order), precompiled by Debian's python3.11 like the base, so
the guest runs exactly the working tree's code with fast imports. Only the terminal package
and the board configs go in: the terminal never imports host_tools or sim.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from sim.qemu import image
from sim.qemu.cpio import CpioWriter, add_tree

REPO = Path(__file__).resolve().parents[2]
# Where the code lives in the guest (PYTHONPATH), and the script /init runs.
GUEST_CODE = "opt/tamga"
START_SCRIPT = "tamga/start.sh"
# Sources of translations and editor leftovers stay on the host; compiled catalogs go in.
_LEFT_OUT = ("__pycache__", ".pyc", ".po", ".pot", "~")

IMPORT_CHECK = (
    "import time; t = time.monotonic(); "
    "import cryptography, PIL, serial, evdev, numpy, segno, shamir_mnemonic; "
    "from cryptography.hazmat.primitives.asymmetric import ed25519, x25519; "
    "from PIL import Image, ImageDraw, ImageFont; "
    "import PIL.Image; print('TAMGA: imports', round(time.monotonic() - t, 2)); "
    "print('TAMGA: versions', cryptography.__version__, PIL.__version__, serial.__version__, "
    "numpy.__version__, segno.__version__)"
)


def boot_check_script() -> str:
    """Import everything the terminal needs, report the time and the devices, and stop."""
    return f"""#!/bin/sh
echo "TAMGA: python-start $(cut -d' ' -f1 /proc/uptime)"
python3 -c "{IMPORT_CHECK}" || echo "TAMGA: imports-failed"
echo "TAMGA: devices $(ls /dev/fb0 /dev/ttyUSB* /dev/input/event* 2>/dev/null | tr '\\n' ' ')"
for d in /sys/class/input/event*; do echo "TAMGA: input $(basename $d) $(cat $d/device/name)"; done
cd /opt/tamga && PYTHONPATH=/opt/tamga python3 -c "import terminal.app.station" \\
    && echo "TAMGA: terminal-imports-ok"
echo "TAMGA: done $(cut -d' ' -f1 /proc/uptime)"
"""


GUEST_BOARD = "board.toml"


def terminal_script(run_tag: str = "run") -> str:
    """Run the unchanged terminal in the shared run directory, as a Pi's service would.

    The host writes boot-args (the terminal's extra arguments, e.g. `--package package` at the
    first start) before each boot; the terminal's output goes to terminal.stderr beside it.
    """
    return f"""#!/bin/sh
cd /mnt/{run_tag} || exit 1
args=$(cat boot-args 2>/dev/null)
echo "TAMGA: terminal-start $(cut -d' ' -f1 /proc/uptime)"
PYTHONPATH=/{GUEST_CODE} python3 -m terminal --board /{GUEST_CODE}/{GUEST_BOARD} \\
    --data data $args >> terminal.stderr 2>&1
echo "TAMGA: terminal-exit $? $(cut -d' ' -f1 /proc/uptime)"
"""


def _copy_code(target: Path) -> None:
    def ignore(_directory: str, names: list[str]) -> list[str]:
        return [n for n in names if n.endswith(_LEFT_OUT)]

    shutil.copytree(REPO / "terminal", target / "terminal", ignore=ignore)
    shutil.copytree(REPO / "board_configs", target / "board_configs", ignore=ignore)


def write_payload(output: Path, script: str, board: Path | None = None) -> None:
    """Write the per-run cpio: the code under /opt/tamga, `board` (a board config on the
    host) as /opt/tamga/board.toml, and `script` as /tamga/start.sh."""
    with tempfile.TemporaryDirectory(prefix="tamga-payload-") as temp:
        root = Path(temp)
        code = root / GUEST_CODE
        code.mkdir(parents=True)
        _copy_code(code)
        if board is not None:
            shutil.copyfile(board, code / GUEST_BOARD)
        image.compile_python(root, GUEST_CODE)
        start = root / START_SCRIPT
        start.parent.mkdir(parents=True)
        start.write_text(script)
        start.chmod(0o755)
        with output.open("wb") as stream:
            writer = CpioWriter(stream, image.SOURCE_DATE_EPOCH)
            add_tree(writer, root)
            writer.close()


def write_initrd(base: Path, output: Path, script: str, board: Path | None = None) -> None:
    """The base image followed by the per-run payload, as one file for QEMU's -initrd."""
    payload = output.with_suffix(".payload.cpio")
    write_payload(payload, script, board)
    with output.open("wb") as stream:
        for part in (base, payload):
            with part.open("rb") as source:
                shutil.copyfileobj(source, stream, 1 << 20)
    payload.unlink()
