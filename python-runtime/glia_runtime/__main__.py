"""Command line: ``python -m glia_runtime --socket PATH --project DIR --spec FILE [--grace S]``.

Start-up, in order: read the spec; set up logging; chdir to the project; put the project root and
then ``handler.python_path`` first on ``sys.path``; import ``handler.path``; find ``Handler``; check
its signatures; construct it once; only then listen on the socket and report SERVING.

Environment variables are the caller's to set (the runtime reads no ``.env`` file).

Exit codes:
    0  stopped by SIGTERM/SIGINT (after the running request finished or the grace period ended)
    1  the runtime itself failed (an unexpected error; one JSON error line on stderr)
    2  invalid arguments or spec file (argparse's usage text, or one JSON error line)
    3  the handler could not be loaded: import error, no Handler class, bad signature, or
       ``Handler.__init__`` raised (one JSON error line on stderr)

Each JSON error line on stderr looks like::

    {"time": "...Z", "level": "error", "message": "<what went wrong, naming the file>",
     "api": "<name, once the spec is read>", "error": {"type": "...", "message": "...",
     "traceback": "..."}, "exit_code": 3, "handler_path": "handler.py"}
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import traceback
from pathlib import Path

from cortex_internal.lib.log import logger as cortex_logger
from glia_runtime.chaining import CHAIN_ADDRESS_ENV
from glia_runtime.chaining import install as install_chaining
from glia_runtime.errors import GliaRuntimeError, HandlerLoadError, SpecError, describe_exception
from glia_runtime.invoke import RESPONSE_OVERHEAD_BYTES, HandlerInvoker
from glia_runtime.loader import LoadedHandler, load_handler
from glia_runtime.log import RUNTIME_LOGGER_NAME, configure_runtime_logging, parse_level
from glia_runtime.metrics import MetricsClient
from glia_runtime.server import ServeOptions, serve
from glia_runtime.spec import RuntimeSpec, read_spec

EXIT_OK = 0
EXIT_CRASH = 1
EXIT_USAGE = 2
EXIT_LOAD_FAILED = 3
DEFAULT_GRACE_SECONDS = 30.0
# sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
MAX_SOCKET_PATH_BYTES = 107


def _grace(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds >= 0, got {value}")
    return seconds


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line (argparse exits with code 2 on a usage error).

    Args:
        argv: The arguments, without the program name; None for ``sys.argv[1:]``.

    Returns:
        The parsed arguments: ``socket``, ``project``, ``spec`` (paths) and ``grace`` (seconds).
    """
    parser = argparse.ArgumentParser(
        prog="python -m glia_runtime", description="Serve one Cortex-style Handler over gRPC."
    )
    parser.add_argument("--socket", required=True, type=Path, help="Unix socket path to listen on")
    parser.add_argument("--project", required=True, type=Path, help="the project root")
    parser.add_argument("--spec", required=True, type=Path, help="the runtime spec (JSON)")
    parser.add_argument(
        "--grace",
        type=_grace,
        default=DEFAULT_GRACE_SECONDS,
        help="seconds the running request may take to finish after SIGTERM (default 30)",
    )
    return parser.parse_args(argv)


def check_socket_path(path: Path) -> None:
    """Check that a Unix socket can be created at ``path``.

    Args:
        path: The socket path (an old socket there is replaced; any other file is not).

    Raises:
        SpecError: The path is too long, its folder does not exist, or something that is not a
            socket is in the way.
    """
    size = len(os.fsencode(path))
    if size > MAX_SOCKET_PATH_BYTES:
        raise SpecError(
            f"--socket {path} is {size} bytes long; Unix socket paths are limited to "
            f"{MAX_SOCKET_PATH_BYTES} bytes"
        )
    if not path.parent.is_dir():
        raise SpecError(f"--socket {path}: the folder {path.parent} does not exist")
    if path.exists() and not path.is_socket():
        raise SpecError(f"--socket {path} already exists and is not a socket; remove it")


def main(argv: list[str] | None = None) -> int:
    """Run the runtime until it is stopped.

    Args:
        argv: The arguments, without the program name; None for ``sys.argv[1:]``.

    Returns:
        The exit code (see the module docstring).
    """
    args = parse_args(argv)
    configure_runtime_logging()
    context: dict[str, object] = {}
    try:
        return _run(args, context)
    except SpecError as exc:
        return _fail(str(exc), exc, EXIT_USAGE, context)
    except HandlerLoadError as exc:
        return _fail(str(exc), exc.__cause__ or exc, EXIT_LOAD_FAILED, context)
    except Exception as exc:
        return _fail(f"the runtime failed: {type(exc).__name__}: {exc}", exc, EXIT_CRASH, context)


def _fail(message: str, exc: BaseException, code: int, context: dict[str, object]) -> int:
    logger = logging.getLogger(RUNTIME_LOGGER_NAME)
    error = describe_exception(exc).as_dict()
    if isinstance(exc, GliaRuntimeError):  # the runtime's own frames would say nothing useful
        error["traceback"] = ""
    elif code == EXIT_CRASH:  # a fault of the runtime itself: keep every frame
        error["traceback"] = "".join(traceback.format_exception(exc))
    logger.error(message, extra={"error": error, "exit_code": code, **context})
    return code


def _run(args: argparse.Namespace, context: dict[str, object]) -> int:
    check_socket_path(args.socket)
    spec = read_spec(args.spec)
    level = parse_level(spec.handler.log_level)
    logger = configure_runtime_logging(level, spec.api)
    _configure_user_output(level)
    context["handler_path"] = spec.handler.path
    chain_address = os.environ.get(CHAIN_ADDRESS_ENV)
    if chain_address:  # before the handler loads: its module-level code may chain too
        try:
            install_chaining(chain_address)
        except ValueError as exc:
            raise SpecError(str(exc)) from exc
    metrics = MetricsClient()
    loaded = load_handler(args.project, spec.handler, metrics)
    logger.info(
        "handler loaded",
        extra={
            "handler_path": loaded.path,
            "seconds": round(loaded.seconds, 3),
            "init_args": sorted(loaded.signature.init_args),
            "handle_args": sorted(loaded.signature.handle_args),
            "handle_is_async": loaded.signature.handle_is_async,
        },
    )
    return _serve(args, spec, loaded, logger, metrics)


def _configure_user_output(level: int) -> None:
    cortex_logger.setLevel(level)
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:  # so print() output reaches the worker line by line
        reconfigure(line_buffering=True)


def _serve(
    args: argparse.Namespace,
    spec: RuntimeSpec,
    loaded: LoadedHandler,
    logger: logging.Logger,
    metrics: MetricsClient,
) -> int:
    max_result = max(1, spec.max_message_bytes - RESPONSE_OVERHEAD_BYTES)
    invoker = HandlerInvoker(loaded, max_result)
    options = ServeOptions(args.socket, args.grace, spec.max_message_bytes, loaded.path)
    if asyncio.run(serve(options, invoker, logger, metrics)):
        logger.info("stopped")
        return EXIT_OK
    logger.warning("stopped while the handler was still running; its request was abandoned")
    logging.shutdown()
    sys.stdout.flush()
    os._exit(EXIT_OK)  # the handler thread cannot be interrupted; do not wait for it


if __name__ == "__main__":
    sys.exit(main())
