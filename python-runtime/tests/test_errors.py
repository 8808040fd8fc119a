from __future__ import annotations

from pathlib import Path

from conftest import WriteProject

from glia_runtime.errors import (
    GliaRuntimeError,
    HandlerLoadError,
    InvalidResultError,
    ModelInputError,
    PayloadDecodeError,
    SpecError,
    UnknownModelError,
    describe_exception,
    format_user_traceback,
)
from glia_runtime.invoke import failure_from
from glia_runtime.loader import import_handler_module, stage_project


def test_error_families() -> None:
    for cls in (SpecError, HandlerLoadError, PayloadDecodeError, InvalidResultError):
        assert issubclass(cls, GliaRuntimeError)


def test_describe_exception_of_an_unraised_exception_has_no_traceback() -> None:
    info = describe_exception(ValueError("bad"))
    assert info.as_dict() == {"type": "ValueError", "message": "bad", "traceback": ""}


def test_user_traceback_drops_runtime_and_import_system_frames(
    write_project: WriteProject,
) -> None:
    project = write_project("def explode():\n    raise KeyError('k')\n\nexplode()\n")
    try:
        import_handler_module(stage_project(project, None), "handler.py")
    except HandlerLoadError as exc:
        cause = exc.__cause__
    assert isinstance(cause, KeyError)
    text = format_user_traceback(cause)
    assert 'handler.py", line 4, in <module>' in text
    assert 'handler.py", line 2, in explode' in text
    assert "KeyError: 'k'" in text
    assert "importlib" not in text
    assert "glia_runtime" not in text


def test_traceback_of_runtime_only_frames_is_kept_whole() -> None:
    from glia_runtime.payload import decode_payload

    try:
        decode_payload(b"{", "application/json")
    except PayloadDecodeError as exc:
        text = format_user_traceback(exc)
    assert "glia_runtime" in text and "payload.py" in text
    assert str(Path("glia_runtime") / "payload.py") in text


def test_model_errors_are_the_handlers_failures_and_keep_its_traceback() -> None:
    assert issubclass(ModelInputError, ValueError)
    assert issubclass(UnknownModelError, LookupError)

    def handle_async() -> None:
        raise ModelInputError("input 'x' has shape [1, 3]")

    try:
        handle_async()
    except ModelInputError as exc:
        failure = failure_from(exc)
    assert not issubclass(ModelInputError, GliaRuntimeError)
    assert (failure.type, failure.message) == ("ModelInputError", "input 'x' has shape [1, 3]")
    assert "in handle_async" in failure.traceback
