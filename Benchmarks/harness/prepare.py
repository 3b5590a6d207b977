"""Everything the measurements need: system packages, the demo and printer-daemon builds,
the cotyledon virtualenv, the C baseline, and a description of the machine."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys

from .sides import BENCHMARKS

PACKAGE_ROOT = os.path.dirname(BENCHMARKS)
VENV = os.path.join(BENCHMARKS, ".venv")
BUILD = os.path.join(BENCHMARKS, ".build")
COTYLEDON_REQUIREMENTS = os.path.join(BENCHMARKS, "requirements-cotyledon.txt")
PLOT_REQUIREMENTS = os.path.join(BENCHMARKS, "requirements-plot.txt")

SWIFT_BUILD_DYNAMIC = ["swift", "build", "-c", "release", "--product", "cotyledon-demo"]
SWIFT_BUILD_STATIC = ["swift", "build", "-c", "release", "--static-swift-stdlib",
                      "--scratch-path", ".build-static", "--product", "cotyledon-demo"]
# The Examples package's printer-daemon (the README's first example), the same two ways; the
# static build's folder is Examples/.build-static (ignored by git, as every .build-*/).
PRINTER_BUILD_DYNAMIC = ["swift", "build", "-c", "release", "--package-path", "Examples",
                         "--product", "printer-daemon"]
PRINTER_BUILD_STATIC = ["swift", "build", "-c", "release", "--package-path", "Examples",
                        "--static-swift-stdlib", "--scratch-path", "Examples/.build-static",
                        "--product", "printer-daemon"]
EXAMPLES_BUILDS = [os.path.join(PACKAGE_ROOT, "Examples", ".build", mode, "printer-daemon")
                   for mode in ("release", "debug")]


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


def _run(command: list[str], **options) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=False, text=True, **options)


def ensure_tools(install: bool) -> None:
    """Puts the Swift toolchain on PATH (as ./dev does) and, as root on Debian with
    `install`, installs what the full run needs and is missing: gcc, pkg-config,
    libsystemd-dev and libyaml-dev (the demo links libsystemd and libyaml) and python3-venv."""
    if shutil.which("swift") is None and os.access("/opt/swift/usr/bin/swift", os.X_OK):
        os.environ["PATH"] = "/opt/swift/usr/bin:" + os.environ.get("PATH", "")
    missing = []
    if shutil.which("gcc") is None:
        missing.append("gcc")
    if shutil.which("pkg-config") is None:
        missing.append("pkg-config")
    if shutil.which("pkg-config") is None or _run(["pkg-config", "--exists", "libsystemd"]).returncode:
        missing.append("libsystemd-dev")
    if shutil.which("pkg-config") is None or _run(["pkg-config", "--exists", "yaml-0.1"]).returncode:
        missing.append("libyaml-dev")
    if _run([sys.executable, "-c", "import ensurepip, venv"], capture_output=True).returncode:
        missing.append("python3-venv")
    if not missing or not install:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        say(f"missing {', '.join(missing)}; install them (apt-get install {' '.join(missing)})")
        return
    say(f"installing {' '.join(missing)}")
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    _run(["apt-get", "update", "-qq"], env=environment)
    _run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=environment)


def build_demo(static: bool) -> str:
    """Builds cotyledon-demo in release mode; returns the executable's path."""
    return _build(SWIFT_BUILD_STATIC if static else SWIFT_BUILD_DYNAMIC)


def build_printer(static: bool) -> str:
    """Builds the Examples' printer-daemon in release mode; returns the executable's path."""
    return _build(PRINTER_BUILD_STATIC if static else PRINTER_BUILD_DYNAMIC)


def built_printer() -> str | None:
    """printer-daemon as the Examples package was last built (release, else debug), if it
    was: the smoke run builds no Examples (they need network the first time)."""
    return next((path for path in EXAMPLES_BUILDS if os.access(path, os.X_OK)), None)


def _build(command: list[str]) -> str:
    """Runs `swift build … --product NAME` from the package root; returns the product's path."""
    say("$ " + " ".join(command))
    product = command[-1]
    if _run(command, cwd=PACKAGE_ROOT).returncode:
        raise SystemExit(f"bench: {product} did not build")
    shown = _run([*command[:-2], "--show-bin-path"], cwd=PACKAGE_ROOT, capture_output=True)
    return os.path.join(shown.stdout.strip(), product)


def compile_forkbench() -> str | None:
    """Compiles Benchmarks/forkbench.c with gcc -O2; None without gcc."""
    if shutil.which("gcc") is None:
        return None
    os.makedirs(BUILD, exist_ok=True)
    output = os.path.join(BUILD, "forkbench")
    result = _run(["gcc", "-O2", "-Wall", "-o", output, os.path.join(BENCHMARKS, "forkbench.c")])
    return output if result.returncode == 0 else None


def _venv_python() -> str:
    return os.path.join(VENV, "bin", "python")


def _importable(module: str) -> bool:
    python = _venv_python()
    return os.access(python, os.X_OK) and _run(
        [python, "-c", f"import {module}"], capture_output=True).returncode == 0


def _cotyledon_ready() -> bool:
    python = _venv_python()
    if not os.access(python, os.X_OK):
        return False
    check = _run([python, "-c", "import importlib.metadata as m, cotyledon; print(m.version('cotyledon'))"],
                 capture_output=True)
    return check.returncode == 0 and check.stdout.strip() == "2.2.0"


def ensure_venv(with_plot: bool, offline_ok: bool) -> tuple[str | None, str]:
    """Makes Benchmarks/.venv with the pinned cotyledon 2.2.0 (and matplotlib when
    `with_plot`). Returns the venv's python, or None and why it could not be made.

    `offline_ok` (the smoke run): one short attempt, no retries; a machine without network
    then measures the Swift side alone.
    """
    wanted = []
    if not _cotyledon_ready():
        wanted.append(COTYLEDON_REQUIREMENTS)
    if with_plot and not _importable("matplotlib"):
        wanted.append(PLOT_REQUIREMENTS)
    if wanted:
        if os.access(_venv_python(), os.X_OK) and _run([_venv_python(), "-m", "pip", "--version"],
                                                       capture_output=True).returncode:
            say(f"removing {os.path.relpath(VENV)}: it has no pip (made without python3-venv?)")
            shutil.rmtree(VENV, ignore_errors=True)
        if not os.access(_venv_python(), os.X_OK):
            say(f"creating {os.path.relpath(VENV)}")
            made = _run([sys.executable, "-m", "venv", VENV], capture_output=True)
            if made.returncode:
                shutil.rmtree(VENV, ignore_errors=True)
                lines = made.stderr.strip().splitlines()
                return None, f"python3 -m venv failed: {lines[-1] if lines else 'no output'}"
        pip = [_venv_python(), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        if offline_ok:
            pip += ["--timeout", "5", "--retries", "0"]
        for requirements in wanted:
            say(f"pip install -r {os.path.relpath(requirements)}")
            installed = _run([*pip, "-r", requirements], capture_output=True)
            if installed.returncode:
                lines = installed.stderr.strip().splitlines()
                return (None if requirements == COTYLEDON_REQUIREMENTS else _venv_python(),
                        f"pip install -r {os.path.basename(requirements)} failed: "
                        f"{lines[-1] if lines else 'no output'}")
    if not _cotyledon_ready():
        return None, "cotyledon 2.2.0 is not importable from the venv"
    return _venv_python(), ""


def plot_available() -> bool:
    return _importable("matplotlib")


def venv_versions() -> dict[str, str]:
    """Python and package versions of the venv."""
    script = ("import importlib.metadata as m, platform; print(platform.python_implementation(), "
              "platform.python_version()); [print(p, m.version(p)) for p in "
              "('cotyledon', 'setproctitle', 'typing_extensions')]")
    shown = _run([_venv_python(), "-c", script], capture_output=True)
    lines = shown.stdout.strip().splitlines()
    versions = {"python": lines[0] if lines else "?"}
    for line in lines[1:]:
        name, version = line.split()
        versions[name] = version
    return versions


def _first_line(command: list[str]) -> str:
    try:
        shown = _run(command, capture_output=True)
    except FileNotFoundError:
        return "not installed"
    text = (shown.stdout or shown.stderr).strip()
    return text.splitlines()[0] if text else "?"


def describe_machine() -> dict[str, str]:
    """CPU, memory, kernel, OS and toolchain versions."""
    cpu, cores = "?", os.cpu_count() or 0
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "?"
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    system = "?"
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as release:
            for line in release:
                if line.startswith("PRETTY_NAME="):
                    system = line.split("=", 1)[1].strip().strip('"')
    hypervisor = ""
    lscpu = _run(["lscpu"], capture_output=True) if shutil.which("lscpu") else None
    if lscpu and lscpu.returncode == 0:
        for line in lscpu.stdout.splitlines():
            if line.startswith("Hypervisor vendor:"):
                hypervisor = f", {line.split(':', 1)[1].strip()} guest"
    return {
        "cpu": f"{cpu}, {cores} cores{hypervisor}",
        "cores": cores,
        "memory": memory,
        "kernel": f"Linux {platform.release()}",
        "os": system,
        "swift": _first_line(["swift", "--version"]),
        "gcc": _first_line(["gcc", "--version"]),
        "harness_python": f"CPython {platform.python_version()}",
    }
