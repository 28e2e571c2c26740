"""The arm64 guest: a Debian 12 kernel and an initramfs holding Debian 12's own Python packages.

Built without running any arm64 binary: apt, in a configuration of its own (architecture
arm64, its own lists, cache and an empty dpkg status, so the host's packages count for
nothing), resolves and downloads the packages; `dpkg-deb --fsys-tarfile | tar -x` unpacks them
into a merged-/usr tree; the host's kmod reads the arm64 modules' dependencies; Debian's
own python3.11 on the host (the same 3.11.2 as the guest) precompiles every module, because
imports are ~3x faster with .pyc under emulation (shared/notes/qemu-aarch64.md).

The result is cached under ~/.cache/tamga-qemu/<key>/ (TAMGA_QEMU_CACHE to move it), where the
key hashes the package list, the module list and this builder's own source: the same inputs
give the same directory, and a changed input builds a new one. Archive order is sorted and
every mtime is SOURCE_DATE_EPOCH, so the initramfs is byte-for-byte reproducible from the same
.deb files (their versions are recorded in manifest.json).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sim.qemu.cpio import CpioWriter, add_tree
from sim.qemu.setup import tool

# What the terminal needs at run time on Raspberry Pi OS Bookworm, plus a shell for /init.
RUNTIME_PACKAGES = (
    "busybox-static",
    "python3",
    "python3-cryptography",
    "python3-pil",
    "python3-serial",
    "python3-evdev",
    "python3-numpy",
    "python3-segno",
    "python3-nacl",
    "fonts-dejavu-core",
)
KERNEL_PACKAGE = "linux-image-arm64"
# Pure-Python packages Debian lacks, as pinned in requirements/bookworm.txt.
WHEELS = ("shamir-mnemonic==0.3.0",)
# Kernel modules for the virt board's devices, loaded in dependency order by /init: PCI
# virtio transport, the GPU (fbdev emulation gives /dev/fb0), the tablet (evdev), USB serial
# on xHCI (/dev/ttyUSB*), 9p for the shared run directory, virtio-blk for the device key's
# disk (/dev/vda), and the PL031 RTC for the clock (built into Debian's arm64 kernel:
# modprobe reports it "builtin" and nothing is loaded).
MODULES = (
    "virtio_pci",
    "virtio_input",
    "evdev",
    "virtio_gpu",
    "xhci_pci",
    "ftdi_sio",
    "9pnet_virtio",
    "9p",
    "virtio_blk",
    "rtc-pl031",
)
SUITES = ("bookworm", "bookworm-updates")
SECURITY_SUITE = "bookworm-security"
MIRROR = "http://deb.debian.org/debian"
SECURITY_MIRROR = "http://deb.debian.org/debian-security"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
# Fixed mtime for every archive entry: 2023-06-10, Debian 12's release day.
SOURCE_DATE_EPOCH = 1686355200
# Left out of the tree: documentation, translations of programs, and parts of the standard
# library the terminal never imports (they only cost initramfs size, i.e. boot time).
TAR_EXCLUDES = (
    "./usr/share/doc",
    "./usr/share/man",
    "./usr/share/info",
    "./usr/share/locale",
    "./usr/share/lintian",
    "./usr/lib/python3.11/idlelib",
    "./usr/lib/python3.11/tkinter",
    "./usr/lib/python3.11/turtledemo",
    "./usr/lib/python3.11/ensurepip",
    "./usr/lib/python3.11/lib2to3",
    "./usr/lib/python3.11/pydoc_data",
    "./usr/lib/python3/dist-packages/numpy/*/tests",
    "./usr/lib/python3/dist-packages/numpy/distutils",
    "./usr/lib/python3/dist-packages/numpy/f2py",
    # glibc's iconv modules: Python has its own codecs.
    "./usr/lib/aarch64-linux-gnu/gconv",
    # Device trees for real boards; the virt board's is made by QEMU.
    "./usr/lib/linux-image-*",
)
# Dependencies that only maintainer scripts use (perl via mailcap, dpkg, tar): never run here.
SKIPPED_PACKAGES = frozenset(
    {"perl", "perl-base", "perl-modules-5.36", "libperl5.36", "dpkg", "tar", "mailcap"}
)
HOST_PYTHON = "/usr/bin/python3.11"
# Links that the packages' maintainer scripts make with update-alternatives (which never run
# here): numpy's BLAS and LAPACK.
ALTERNATIVES = {
    "usr/lib/aarch64-linux-gnu/libblas.so.3": "blas/libblas.so.3",
    "usr/lib/aarch64-linux-gnu/liblapack.so.3": "lapack/liblapack.so.3",
}
INIT_SCRIPT = Path(__file__).with_name("init.sh")


class BuildError(Exception):
    """The guest image could not be built; the message says which step failed."""


@dataclass(frozen=True)
class GuestImage:
    """A built guest: the kernel, the base initramfs and what went into them."""

    directory: Path
    kernel: Path
    initrd: Path
    manifest: dict[str, object]

    @property
    def kernel_version(self) -> str:
        return str(self.manifest["kernel_version"])


def cache_root() -> Path:
    return Path(os.environ.get("TAMGA_QEMU_CACHE", Path.home() / ".cache" / "tamga-qemu"))


def image_key() -> str:
    """The cache key: the inputs that decide the image's content."""
    digest = hashlib.sha256()
    inputs = (*RUNTIME_PACKAGES, KERNEL_PACKAGE, *WHEELS, *MODULES, *SUITES, SECURITY_SUITE)
    for item in (*inputs, *TAR_EXCLUDES, *sorted(SKIPPED_PACKAGES)):
        digest.update(item.encode() + b"\0")
    for source in (Path(__file__), INIT_SCRIPT, Path(__file__).with_name("cpio.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


# --- apt in its own configuration ----------------------------------------------------------


def apt_config(root: Path) -> str:
    """An apt.conf that makes apt an arm64 downloader with its own state under `root`.

    Read through APT_CONFIG, which apt reads before its configuration directory: pointing
    Dir::Etc::Parts at an empty directory keeps the host's apt.conf.d out.
    """
    lines = {
        "APT::Architecture": "arm64",
        "APT::Architectures::": "arm64",
        "APT::Install-Recommends": "false",
        "APT::Install-Suggests": "false",
        "APT::Get::Download-Only": "true",
        "Acquire::Languages": "none",
        "Debug::NoLocking": "true",
        "Dir::Etc": str(root / "etc"),
        "Dir::Etc::Parts": str(root / "etc" / "apt.conf.d"),
        "Dir::Etc::SourceList": str(root / "etc" / "sources.list"),
        "Dir::Etc::SourceParts": str(root / "etc" / "sources.list.d"),
        "Dir::Etc::Preferences": str(root / "etc" / "preferences"),
        "Dir::Etc::PreferencesParts": str(root / "etc" / "preferences.d"),
        "Dir::State": str(root / "state"),
        "Dir::State::Lists": str(root / "lists"),
        "Dir::State::status": str(root / "status"),
        "Dir::Cache": str(root / "cache"),
        "Dir::Cache::Archives": str(root / "archives"),
        "Dir::Log": str(root / "log"),
    }
    return "".join(f'{key} "{_apt_quote(value)}";\n' for key, value in lines.items())


def _apt_quote(value: str) -> str:
    if '"' in value or "\n" in value:
        raise BuildError(f"cannot put {value!r} in an apt configuration")
    return value


def sources_list() -> str:
    """One-line-style sources for Debian 12 main, updates and security, signed by Debian."""
    lines = [f"deb [signed-by={KEYRING}] {MIRROR} {suite} main" for suite in SUITES]
    lines.append(f"deb [signed-by={KEYRING}] {SECURITY_MIRROR} {SECURITY_SUITE} main")
    return "\n".join(lines) + "\n"


def prepare_apt(root: Path) -> Path:
    """Write the configuration tree; return the apt.conf path for APT_CONFIG."""
    for sub in (
        "etc/apt.conf.d",
        "etc/sources.list.d",
        "etc/preferences.d",
        "state",
        "lists/partial",
        "cache",
        "archives/partial",
        "log",
    ):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "etc" / "sources.list").write_text(sources_list())
    # An empty status: apt thinks nothing is installed, so it resolves the whole closure.
    (root / "status").write_text("")
    conf = root / "apt.conf"
    conf.write_text(apt_config(root))
    return conf


_INST = re.compile(r"^Inst (\S+) \((\S+) .*\[(\S+)\]\)")


def parse_simulation(output: str) -> list[tuple[str, str, str]]:
    """(package, version, architecture) from `apt-get -s install` output, in its order."""
    found = []
    for line in output.splitlines():
        match = _INST.match(line)
        if match:
            found.append((match.group(1), match.group(2), match.group(3)))
    return found


def deb_filename(package: str, version: str, arch: str) -> str:
    """The name apt gives a downloaded .deb (an epoch's colon is written %3a)."""
    return f"{package}_{version.replace(':', '%3a')}_{arch}.deb"


def _apt(conf: Path, *args: str) -> str:
    env = {**os.environ, "APT_CONFIG": str(conf), "DEBIAN_FRONTEND": "noninteractive"}
    try:
        result = subprocess.run(
            [tool("apt-get"), *args], env=env, capture_output=True, text=True, check=True
        )
    except subprocess.CalledProcessError as exc:
        raise BuildError(f"apt-get {' '.join(args)} failed:\n{exc.stderr}{exc.stdout}") from exc
    return result.stdout


def fetch(apt_root: Path) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """Update the lists and download everything; return the runtime and kernel closures."""
    conf = prepare_apt(apt_root)
    _apt(conf, "update", "-q")
    runtime = parse_simulation(_apt(conf, "-s", "install", *RUNTIME_PACKAGES))
    kernel = parse_simulation(_apt(conf, "-s", "install", KERNEL_PACKAGE))
    if not runtime or not kernel:
        raise BuildError("apt resolved no packages (are the arm64 lists empty?)")
    _apt(conf, "install", "-y", "-q", "--download-only", *RUNTIME_PACKAGES, KERNEL_PACKAGE)
    return runtime, kernel


# --- the root file system --------------------------------------------------------------------


def unpack(debs: list[Path], root: Path) -> None:
    """Unpack .debs into a merged-/usr tree (/bin, /sbin, /lib are links into /usr)."""
    for name in ("bin", "sbin", "lib"):
        (root / "usr" / name).mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(f"usr/{name}")
    excludes = [f"--exclude={path}" for path in TAR_EXCLUDES]
    # Packages own disjoint files, so the order of unpacking does not change the tree; two at
    # a time keeps both cores busy (dpkg-deb decompresses while tar writes).
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(_unpack_one, deb, root, excludes) for deb in sorted(debs)]:
            future.result()


def _unpack_one(deb: Path, root: Path, excludes: list[str]) -> None:
    with subprocess.Popen(
        [tool("dpkg-deb"), "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE
    ) as deb_tar:
        # --keep-directory-symlink: a package's ./bin/ must not replace the bin -> usr/bin link.
        tar = subprocess.run(
            [
                "tar",
                "-x",
                "-C",
                str(root),
                "--keep-directory-symlink",
                "--no-same-owner",
                *excludes,
            ],
            stdin=deb_tar.stdout,
            capture_output=True,
        )
    if deb_tar.returncode != 0 or tar.returncode != 0:
        raise BuildError(f"unpacking {deb.name} failed: {tar.stderr.decode(errors='replace')}")


def module_order(root: Path, kernel_version: str, modules: tuple[str, ...]) -> list[str]:
    """The .ko files to insmod, dependencies first, as paths relative to the modules dir."""
    subprocess.run([tool("depmod"), "-b", str(root), kernel_version], check=True)
    base = root / "usr" / "lib" / "modules" / kernel_version
    order: list[str] = []
    for module in modules:
        result = subprocess.run(
            [tool("modprobe"), "-d", str(root), "-S", kernel_version, "--show-depends", module],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BuildError(f"modprobe --show-depends {module}: {result.stderr.strip()}")
        for line in result.stdout.splitlines():
            words = line.split()
            if words[:1] != ["insmod"]:
                continue  # "builtin X": compiled into the kernel, nothing to load
            path = Path(words[1]).resolve()
            for candidate in (base, base.resolve()):
                try:
                    relative = path.relative_to(candidate).as_posix()
                    break
                except ValueError:
                    continue
            else:
                raise BuildError(f"{module}: {path} is outside {base}")
            if relative not in order:
                order.append(relative)
    return order


def add_wheels(root: Path, wheel_dir: Path) -> list[str]:
    """Download the pure-Python wheels Debian lacks and unpack them into dist-packages."""
    target = root / "usr" / "lib" / "python3" / "dist-packages"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "-d",
            str(wheel_dir),
            *WHEELS,
        ],
        check=True,
    )
    names = []
    for wheel in sorted(wheel_dir.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(target)
        names.append(wheel.name)
    return names


def compile_python(root: Path, *directories: str) -> None:
    """Precompile with Debian's own python3.11 (same bytecode magic as the guest's).

    unchecked-hash: the guest never stats a source to validate its .pyc, so the fixed mtimes
    in the archive cannot make a .pyc look stale, and the output does not depend on when it
    was built.
    """
    if not Path(HOST_PYTHON).exists():
        print(f"{HOST_PYTHON} is missing: the guest will compile its imports itself (slower)")
        return
    paths = [str(root / d) for d in directories if (root / d).exists()]
    subprocess.run(
        [
            HOST_PYTHON,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            "-s",
            str(root),
            "-p",
            "/",
            *paths,
        ],
        check=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": str(SOURCE_DATE_EPOCH)},
        stdout=subprocess.DEVNULL,
    )


def write_initramfs(root: Path, output: Path, kernel_version: str, modules: list[str]) -> int:
    """The tree as a newc cpio: every file but the unneeded modules and /boot."""
    module_dir = f"usr/lib/modules/{kernel_version}"
    keep = {f"{module_dir}/{m}" for m in modules}
    skip = {"boot"}
    # Leave out every module file and folder that no kept module lies under.
    base = root / module_dir
    for dirpath, dirnames, filenames in os.walk(base):
        relative = Path(dirpath).relative_to(root).as_posix()
        for name in dirnames:
            path = f"{relative}/{name}"
            if not any(k.startswith(path + "/") for k in keep):
                skip.add(path)
        for name in filenames:
            path = f"{relative}/{name}"
            if path not in keep:
                skip.add(path)
    with output.open("wb") as stream:
        writer = CpioWriter(stream, SOURCE_DATE_EPOCH)
        count = add_tree(writer, root, skip=frozenset(skip))
        # The kernel opens /dev/console for /init before devtmpfs is mounted over /dev.
        writer.char_device("dev/console", 5, 1)
        writer.close()
    return count


def build(force: bool = False, log: bool = True) -> GuestImage:
    """Build the guest image, or return the cached one for the same inputs."""
    directory = cache_root() / image_key()
    manifest_path = directory / "manifest.json"
    if manifest_path.exists() and not force:
        return _load(directory)
    started = time.monotonic()

    def say(text: str) -> None:
        if log:
            print(f"[build {time.monotonic() - started:5.1f}s] {text}", flush=True)

    apt_root = cache_root() / "apt"
    say("resolving and downloading Debian 12 arm64 packages")
    runtime, kernel = fetch(apt_root)
    archives = apt_root / "archives"
    wanted = [p for p in runtime if p[0] not in SKIPPED_PACKAGES]
    wanted += [p for p in kernel if p[0].startswith("linux-image-")]
    debs = []
    for package, version, arch in wanted:
        path = archives / deb_filename(package, version, arch)
        if not path.exists():
            raise BuildError(f"apt did not download {path.name}")
        debs.append(path)
    directory.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory.parent, prefix="build-") as temp:
        root = Path(temp) / "root"
        root.mkdir()
        say(f"unpacking {len(debs)} packages")
        unpack(debs, root)
        versions = sorted((root / "usr" / "lib" / "modules").iterdir())
        if len(versions) != 1:
            raise BuildError(f"expected one kernel, found {[v.name for v in versions]}")
        kernel_version = versions[0].name
        say(f"kernel {kernel_version}: resolving module dependencies")
        modules = module_order(root, kernel_version, MODULES)
        wheels = add_wheels(root, Path(temp) / "wheels")
        say("precompiling Python modules")
        compile_python(root, "usr/lib/python3.11", "usr/lib/python3/dist-packages")
        _finish_tree(root, kernel_version, modules)
        staging = Path(temp) / "out"
        staging.mkdir()
        say("writing the initramfs")
        count = write_initramfs(root, staging / "initrd.cpio", kernel_version, modules)
        shutil.copyfile(root / "boot" / f"vmlinuz-{kernel_version}", staging / "vmlinuz")
        manifest: dict[str, object] = {
            "key": directory.name,
            "kernel_version": kernel_version,
            "packages": [f"{p}={v}" for p, v, _ in sorted(wanted)],
            "wheels": wheels,
            "modules": modules,
            "files": count,
            "initrd_sha256": _sha256(staging / "initrd.cpio"),
            "initrd_bytes": (staging / "initrd.cpio").stat().st_size,
            "build_seconds": round(time.monotonic() - started, 1),
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if directory.exists():
            shutil.rmtree(directory)
        staging.rename(directory)
    say(f"done: {directory} ({manifest['initrd_bytes']} bytes, {count} entries)")
    # Images of older inputs are never used again (the key names the inputs): ~110 MiB each.
    for other in directory.parent.iterdir():
        if other != directory and (other / "manifest.json").exists():
            shutil.rmtree(other)
    return _load(directory)


def _finish_tree(root: Path, kernel_version: str, modules: list[str]) -> None:
    """What the packages' maintainer scripts would have done, and what /init needs."""
    for name in ("proc", "sys", "dev", "tmp", "run", "mnt", "root", "var/tmp"):
        (root / name).mkdir(parents=True, exist_ok=True)
    (root / "tmp").chmod(0o1777)
    init = root / "init"
    init.write_bytes(INIT_SCRIPT.read_bytes())
    init.chmod(0o755)
    for link, target in ALTERNATIVES.items():
        if not (root / link).parent.joinpath(target).exists():
            raise BuildError(f"{link}: the alternative {target} is missing")
        (root / link).unlink(missing_ok=True)
        (root / link).symlink_to(target)
    sh = root / "usr" / "bin" / "sh"
    if not sh.exists() and not sh.is_symlink():
        sh.symlink_to("busybox")
    etc = root / "etc" / "tamga"
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "kernel-version").write_text(kernel_version + "\n")
    (etc / "modules").write_text("".join(m + "\n" for m in modules))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _load(directory: Path) -> GuestImage:
    manifest = json.loads((directory / "manifest.json").read_text())
    return GuestImage(directory, directory / "vmlinuz", directory / "initrd.cpio", manifest)
