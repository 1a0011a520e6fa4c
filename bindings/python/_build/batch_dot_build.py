"""PEP 517 build backend of the batch_dot Python package (in-tree, standard
library only).

``build_wheel`` runs ``cargo build --release -p batch_dot`` in the Rust
workspace that holds this package (``bindings/python`` of a libbatch_dot
checkout), then writes a wheel with the ``batch_dot`` package and the shared
library inside it, next to ``__init__.py``, where the package looks first.
Cargo's own rules pick the target directory (``CARGO_TARGET_DIR``, else the
workspace's ``target/``), so a release build that is already there is reused
as it is. ``CARGO`` names the cargo to run (default: ``cargo`` on PATH).

``build_editable`` (``pip install -e``) builds the library the same way and
installs a ``.pth`` file that puts ``bindings/python`` on ``sys.path``; the
package then finds ``target/release`` of its source tree (or
``BATCH_DOT_LIBRARY``).

No sdist: the wheel needs the Rust sources of the checkout around it.
"""

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import sysconfig
import zipfile

NAME = "batch_dot"
SUMMARY = "Keras's batch_dot for NumPy and DLPack arrays of any strides (libbatch_dot, ctypes)"
REQUIRES_PYTHON = ">=3.8"
REQUIRES = ["numpy"]
EXTRAS = {"bfloat16": ["ml_dtypes"]}

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)  # bindings/python
PACKAGE = os.path.join(PROJECT, NAME)
LIB_NAMES = {
    "darwin": ("libbatch_dot.dylib",),
    "win32": ("batch_dot.dll",),
}.get(sys.platform, ("libbatch_dot.so",))


def _version():
    with open(os.path.join(PACKAGE, "__init__.py"), encoding="utf-8") as f:
        m = re.search(r'^__version__ = "([^"]+)"', f.read(), re.M)
    if not m:
        raise RuntimeError("batch_dot/__init__.py has no __version__")
    return m.group(1)


def _workspace():
    """The Rust workspace root: the nearest directory above the package
    whose Cargo.toml is the batch_dot crate's."""
    d = PROJECT
    while True:
        toml = os.path.join(d, "Cargo.toml")
        if os.path.isfile(toml):
            with open(toml, encoding="utf-8") as f:
                if re.search(r'^name = "batch_dot"', f.read(), re.M):
                    return d
        parent = os.path.dirname(d)
        if parent == d:
            raise RuntimeError(
                f"batch_dot: no libbatch_dot Cargo workspace above {PROJECT}; install the "
                "package from a checkout of the repository (pip install ./bindings/python)"
            )
        d = parent


def _build_library():
    """Runs cargo (release, the library crate only) and returns the path of
    the shared library it made."""
    root = _workspace()
    cargo = os.environ.get("CARGO", "cargo")
    cmd = [cargo, "build", "--release", "-p", "batch_dot"]
    print("batch_dot_build: " + " ".join(cmd) + f" (in {root})", file=sys.stderr, flush=True)
    # cargo's output goes to stderr, which pip shows when the build fails.
    try:
        err = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        err = None
    try:
        subprocess.run(cmd, cwd=root, check=True, stdout=err)
    except FileNotFoundError as e:
        raise RuntimeError(
            f"batch_dot: cannot run {cargo!r} ({e}): building the package needs Rust's "
            "cargo on PATH, or CARGO set to its path"
        ) from e
    meta = subprocess.run(
        [cargo, "metadata", "--format-version", "1", "--no-deps"],
        cwd=root,
        check=True,
        stdout=subprocess.PIPE,
    )
    release = os.path.join(json.loads(meta.stdout)["target_directory"], "release")
    for n in LIB_NAMES:
        p = os.path.join(release, n)
        if os.path.isfile(p):
            return os.path.realpath(p)
    raise RuntimeError(f"batch_dot: cargo built no {LIB_NAMES[0]} in {release}")


def _tag():
    plat = re.sub(r"[-.]", "_", sysconfig.get_platform())
    return f"py3-none-{plat}"


def _dist_info():
    return f"{NAME}-{_version()}.dist-info"


def _metadata():
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {NAME}",
        f"Version: {_version()}",
        f"Summary: {SUMMARY}",
        "License: MIT OR Apache-2.0",
        f"Requires-Python: {REQUIRES_PYTHON}",
    ]
    lines += [f"Requires-Dist: {r}" for r in REQUIRES]
    for extra, reqs in EXTRAS.items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [f'Requires-Dist: {r}; extra == "{extra}"' for r in reqs]
    return "\n".join(lines) + "\n"


def _wheel_file():
    return (
        "Wheel-Version: 1.0\n"
        "Generator: batch_dot_build\n"
        "Root-Is-Purelib: false\n"
        f"Tag: {_tag()}\n"
    )


def _write_metadata(directory):
    d = os.path.join(directory, _dist_info())
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata())
    with open(os.path.join(d, "WHEEL"), "w", encoding="utf-8") as f:
        f.write(_wheel_file())
    return os.path.basename(d)


def _write_wheel(wheel_directory, files):
    """files: [(name in the wheel, bytes)]; adds the dist-info and RECORD."""
    di = _dist_info()
    files = list(files) + [(f"{di}/METADATA", _metadata().encode()), (f"{di}/WHEEL", _wheel_file().encode())]
    record = []
    name = f"{NAME}-{_version()}-{_tag()}.whl"
    path = os.path.join(wheel_directory, name)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for arc, data in files:
            info = zipfile.ZipInfo(arc, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if arc.endswith((".so", ".dylib", ".dll")) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{arc},sha256={digest},{len(data)}")
        record.append(f"{di}/RECORD,,")
        info = zipfile.ZipInfo(f"{di}/RECORD", date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        z.writestr(info, "\n".join(record) + "\n")
    return name


# --- PEP 517 hooks ---------------------------------------------------------


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    return _write_metadata(metadata_directory)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    lib = _build_library()
    files = []
    for fn in sorted(os.listdir(PACKAGE)):
        p = os.path.join(PACKAGE, fn)
        if fn.endswith(".py") and os.path.isfile(p):
            with open(p, "rb") as f:
                files.append((f"{NAME}/{fn}", f.read()))
    with open(lib, "rb") as f:
        files.append((f"{NAME}/{LIB_NAMES[0]}", f.read()))
    return _write_wheel(wheel_directory, files)


# --- PEP 660 hooks (pip install -e) ------------------------------------------


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
    return _write_metadata(metadata_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    _build_library()
    pth = (PROJECT + "\n").encode()
    return _write_wheel(wheel_directory, [(f"{NAME}_editable.pth", pth)])


__all__ = [
    "get_requires_for_build_wheel",
    "prepare_metadata_for_build_wheel",
    "build_wheel",
    "get_requires_for_build_editable",
    "prepare_metadata_for_build_editable",
    "build_editable",
]
