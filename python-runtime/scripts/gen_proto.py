"""Generate the Python gRPC stubs for the runtime contract.

Usage (from any directory, with the pinned grpcio-tools installed):

    python python-runtime/scripts/gen_proto.py          # regenerate when the .proto changed
    python python-runtime/scripts/gen_proto.py --force  # regenerate unconditionally
    python python-runtime/scripts/gen_proto.py --check  # exit 0 if up to date, 1 if not

The stubs land in ``glia_runtime/_pb/`` (git-ignored). Their absolute imports
(``from glia.runtime.v1 import runtime_pb2``) are rewritten to package-relative ones so that
``glia_runtime._pb.glia.runtime.v1.runtime_pb2_grpc`` imports without touching ``sys.path``.
A stamp file records the sha256 of the .proto and the grpcio-tools pin it was built with.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

RUNTIME_ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = RUNTIME_ROOT.parent / "proto"
PROTO_FILE = PROTO_ROOT / "glia" / "runtime" / "v1" / "runtime.proto"
PACKAGE_DIR = RUNTIME_ROOT / "glia_runtime"
OUT_DIR = PACKAGE_DIR / "_pb"
STAMP_FILE = OUT_DIR / "STAMP"
DEV_LOCK = RUNTIME_ROOT / "requirements-dev.lock"
GENERATED_ROOT = "glia"

_IMPORT_RE = re.compile(r"^from (glia(?:\.\w+)*) import ", re.MULTILINE)


def expected_stamp() -> str:
    """Return the stamp text that matches the current .proto and grpcio-tools pin.

    Returns:
        Two ``key=value`` lines: the .proto's sha256 and the pinned grpcio-tools version.
    """
    digest = hashlib.sha256(PROTO_FILE.read_bytes()).hexdigest()
    return f"proto_sha256={digest}\ngrpcio_tools={_pinned_tools_version()}\n"


def _pinned_tools_version() -> str:
    for line in DEV_LOCK.read_text(encoding="utf-8").splitlines():
        if line.strip().lower().startswith("grpcio-tools=="):
            return line.split("==", 1)[1].strip()
    return "unpinned"


def is_up_to_date() -> bool:
    """Tell whether the generated stubs exist and match the current .proto.

    Returns:
        True when the stamp file matches :func:`expected_stamp`.
    """
    if not STAMP_FILE.is_file():
        return False
    return STAMP_FILE.read_text(encoding="utf-8") == expected_stamp()


def relative_import(file_package: list[str], module: str) -> str:
    """Turn an absolute ``glia...`` module path into one relative to ``file_package``.

    Args:
        file_package: The package of the generated file, e.g. ``["glia", "runtime", "v1"]``.
        module: The absolute module imported, e.g. ``"glia.runtime.v1"``.

    Returns:
        The relative module path, e.g. ``"."`` or ``"..v2"``.
    """
    target = module.split(".")
    common = 0
    while common < min(len(target), len(file_package)) and target[common] == file_package[common]:
        common += 1
    dots = "." * (len(file_package) - common + 1)
    return dots + ".".join(target[common:])


def rewrite_imports(path: Path, out_root: Path) -> None:
    """Rewrite the generated absolute imports of ``path`` to package-relative ones.

    Args:
        path: A generated ``.py`` or ``.pyi`` file under ``out_root``.
        out_root: The folder protoc wrote into.
    """
    package = list(path.relative_to(out_root).parent.parts)
    text = path.read_text(encoding="utf-8")
    rewritten = _IMPORT_RE.sub(
        lambda m: f"from {relative_import(package, m.group(1))} import ", text
    )
    path.write_text(rewritten, encoding="utf-8")


def _run_protoc(out_root: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"--python_out={out_root}",
        f"--pyi_out={out_root}",
        f"--grpc_python_out={out_root}",
        str(PROTO_FILE),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"protoc failed ({completed.returncode}):\n{completed.stderr}")


def _add_init_files(out_root: Path) -> None:
    (out_root / "__init__.py").write_text('"""Generated gRPC stubs; do not edit."""\n')
    for folder in sorted(p for p in out_root.rglob("*") if p.is_dir()):
        init = folder / "__init__.py"
        if not init.exists():
            init.write_text("")


def generate() -> None:
    """Regenerate the stubs into a scratch folder, then swap it in place of ``_pb/``."""
    scratch = Path(tempfile.mkdtemp(prefix="._pb-", dir=PACKAGE_DIR))
    scratch.chmod(0o755)  # mkdtemp makes it private; the stubs are ordinary package files
    try:
        _run_protoc(scratch)
        for path in sorted(scratch.rglob("*.py*")):
            rewrite_imports(path, scratch)
        _add_init_files(scratch)
        (scratch / STAMP_FILE.name).write_text(expected_stamp(), encoding="utf-8")
        if OUT_DIR.exists():
            shutil.rmtree(OUT_DIR)
        scratch.rename(OUT_DIR)
    finally:
        if scratch.exists():
            shutil.rmtree(scratch)


def main(argv: list[str] | None = None) -> int:
    """Run the generator.

    Args:
        argv: Command-line arguments (defaults to ``sys.argv[1:]``).

    Returns:
        The exit status: 0 on success or when up to date, 1 when ``--check`` finds stale stubs.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if the stubs are stale")
    mode.add_argument("--force", action="store_true", help="regenerate even when up to date")
    args = parser.parse_args(argv)
    if args.check:
        fresh = is_up_to_date()
        print(f"python stubs are {'up to date' if fresh else 'stale'}: {OUT_DIR}")
        return 0 if fresh else 1
    if args.force or not is_up_to_date():
        generate()
        print(f"generated python stubs in {OUT_DIR}")
    else:
        print(f"python stubs already up to date: {OUT_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
