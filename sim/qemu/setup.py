"""Host tools the QEMU harness needs, installed with apt when missing.

Like scripts/setup-system.sh, only what is missing is installed, with sudo when not root. The
harness runs no arm64 binary at build time: apt and dpkg-deb fetch and unpack the guest, kmod's
depmod and modprobe read the arm64 kernel modules, and qemu-system-aarch64 runs the guest.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

# Debian package that provides each command, with the paths where Debian puts it (root's
# PATH has /usr/sbin, a user's may not).
TOOLS: dict[str, tuple[str, tuple[str, ...]]] = {
    "qemu-system-aarch64": ("qemu-system-arm", ("/usr/bin/qemu-system-aarch64",)),
    "depmod": ("kmod", ("/usr/sbin/depmod", "/sbin/depmod")),
    "modprobe": ("kmod", ("/usr/sbin/modprobe", "/sbin/modprobe")),
    "dpkg-deb": ("dpkg", ("/usr/bin/dpkg-deb",)),
    "apt-get": ("apt", ("/usr/bin/apt-get",)),
}


class SetupError(Exception):
    """A host tool is missing and could not be installed."""


def find_tool(name: str) -> str | None:
    """The full path of a host command, looking in Debian's sbin too; None when missing."""
    found = shutil.which(name)
    if found:
        return found
    _, paths = TOOLS.get(name, ("", ()))
    return next((p for p in paths if Path(p).exists()), None)


def tool(name: str) -> str:
    """The full path of a host command that ensure_tools() has made sure of."""
    found = find_tool(name)
    if found is None:
        raise SetupError(f"{name} is missing: run `python -m sim.qemu setup`")
    return found


def missing_packages(names: tuple[str, ...] = tuple(TOOLS)) -> list[str]:
    """The Debian packages to install so that every command in `names` exists."""
    need: list[str] = []
    for name in names:
        package = TOOLS[name][0]
        if find_tool(name) is None and package not in need:
            need.append(package)
    return need


def ensure_tools() -> None:
    """Install whatever of qemu-system-arm and kmod is missing (apt-get, sudo if not root)."""
    need = missing_packages()
    if not need:
        return
    print(f"installing system packages: {' '.join(need)}", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *need],
            check=True,
            env=env,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SetupError(f"could not install {' '.join(need)}: {exc}") from exc
    still = missing_packages()
    if still:
        raise SetupError(f"still missing after apt-get install: {' '.join(still)}")
