"""scripts/gen_proto.py: import rewriting, the stamp, and that the stubs import cleanly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RUNTIME_ROOT, load_gen_proto

gen_proto = load_gen_proto()


@pytest.mark.parametrize(
    ("package", "module", "expected"),
    [
        (["glia", "runtime", "v1"], "glia.runtime.v1", "."),
        (["glia", "runtime", "v1"], "glia.runtime.v2", "..v2"),
        (["glia", "runtime", "v1"], "glia.common", "...common"),
        (["glia"], "glia", "."),
    ],
)
def test_relative_import(package: list[str], module: str, expected: str) -> None:
    assert gen_proto.relative_import(package, module) == expected


def test_rewrite_imports_touches_only_generated_packages(tmp_path: Path) -> None:
    folder = tmp_path / "glia" / "runtime" / "v1"
    folder.mkdir(parents=True)
    stub = folder / "x_pb2_grpc.py"
    stub.write_text(
        "import grpc\nfrom google.protobuf import descriptor\n"
        "from glia.runtime.v1 import runtime_pb2 as r\n"
    )
    gen_proto.rewrite_imports(stub, tmp_path)
    assert stub.read_text() == (
        "import grpc\nfrom google.protobuf import descriptor\nfrom . import runtime_pb2 as r\n"
    )


def test_stubs_are_up_to_date_and_check_says_so() -> None:
    assert gen_proto.is_up_to_date()
    done = subprocess.run(
        [sys.executable, str(RUNTIME_ROOT / "scripts" / "gen_proto.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "up to date" in done.stdout


def test_stamp_records_the_proto_hash_and_the_tools_pin() -> None:
    stamp = gen_proto.expected_stamp()
    assert stamp.startswith("proto_sha256=")
    assert "grpcio_tools=1.85.1" in stamp
    assert gen_proto.STAMP_FILE.read_text() == stamp


def test_generated_stubs_import_without_sys_path_changes() -> None:
    code = "from glia_runtime._pb.glia.runtime.v1 import runtime_pb2_grpc; print('ok')"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=RUNTIME_ROOT, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    for path in (RUNTIME_ROOT / "glia_runtime" / "_pb").rglob("*.py"):
        assert "from glia." not in path.read_text(), path
