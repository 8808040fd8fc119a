"""Checks of a Handler class's method signatures, by parameter name (as Cortex does).

- ``handler.type: python``: ``__init__(self, config?, metrics_client?)``: each argument is passed
  only when declared; a Handler without an ``__init__`` of its own is constructed with no arguments.
- ``handler.type: tensorflow``: ``__init__(self, tensorflow_client, config?, metrics_client?)``:
  ``tensorflow_client`` is required (it is the only way to reach the models); ``config`` is
  passed when declared, as for the python type (Cortex required it; glia does not, on purpose).
- ``handle_async(self, payload?, request_id?)``: required; each argument is passed only when
  declared. It may be ``async def``.

``**kwargs`` receives every allowed argument; ``*args`` is ignored; defaults are fine. Any other
named parameter is an error. Every problem is collected and reported in one
:class:`~glia_runtime.errors.HandlerLoadError`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from glia_runtime.errors import HandlerLoadError

INIT_ARGS: tuple[str, ...] = ("config", "metrics_client")
TENSORFLOW_INIT_ARGS: tuple[str, ...] = ("tensorflow_client", "config", "metrics_client")
HANDLE_ARGS: tuple[str, ...] = ("payload", "request_id")

_Param = inspect.Parameter
_TYPE_HINTS = {
    "tensorflow_client": " (tensorflow_client is passed when handler.type is tensorflow)"
}


@dataclass(frozen=True)
class HandlerSignature:
    """What the runtime passes to a Handler, resolved from its signatures.

    Attributes:
        init_args: The names passed to ``__init__`` (a subset of :data:`INIT_ARGS`).
        handle_args: The names passed to ``handle_async`` (a subset of :data:`HANDLE_ARGS`).
        handle_is_async: Whether ``handle_async`` is a coroutine function.
    """

    init_args: frozenset[str]
    handle_args: frozenset[str]
    handle_is_async: bool


def check_handler_class(cls: type, source: str, handler_type: str = "python") -> HandlerSignature:
    """Check a Handler class's ``__init__`` and ``handle_async`` signatures.

    Args:
        cls: The user's Handler class.
        source: The handler file, relative to the project, for the error message.
        handler_type: ``python`` or ``tensorflow`` (which ``__init__`` arguments exist).

    Returns:
        The resolved :class:`HandlerSignature`.

    Raises:
        HandlerLoadError: One or more problems, all named in the message.
    """
    problems: list[str] = []
    if handler_type == "tensorflow":
        init_args = _tensorflow_init_args(cls, problems)
    else:
        init_args = _init_args(cls, problems)
    handle_args, is_async = _handle_args(cls, problems)
    if problems:
        raise HandlerLoadError(
            f"{source}: the Handler class cannot be used: " + "; ".join(problems)
        )
    return HandlerSignature(init_args=init_args, handle_args=handle_args, handle_is_async=is_async)


def _init_args(cls: type, problems: list[str]) -> frozenset[str]:
    if cls.__init__ is object.__init__:
        return frozenset()
    func, takes_self = _lookup(cls, "__init__")
    return method_args("__init__", func, takes_self, INIT_ARGS, problems)


def _tensorflow_init_args(cls: type, problems: list[str]) -> frozenset[str]:
    func, takes_self = _lookup(cls, "__init__")
    if cls.__init__ is object.__init__ or func is None:
        args: frozenset[str] = frozenset()
    else:
        args = method_args("__init__", func, takes_self, TENSORFLOW_INIT_ARGS, problems)
    if "tensorflow_client" not in args:
        problems.append(
            "Handler.__init__ must take `tensorflow_client` for handler.type tensorflow: "
            "`def __init__(self, tensorflow_client, config)`"
        )
    return args


def _handle_args(cls: type, problems: list[str]) -> tuple[frozenset[str], bool]:
    func, takes_self = _lookup(cls, "handle_async")
    if func is None:
        problems.append(
            "Handler does not define a handle_async method; add "
            "`def handle_async(self, payload, request_id)` (both parameters are optional)"
        )
        return frozenset(), False
    if not callable(func):
        problems.append(f"Handler.handle_async must be a method, not {type(func).__name__}")
        return frozenset(), False
    args = method_args("handle_async", func, takes_self, HANDLE_ARGS, problems)
    return args, inspect.iscoroutinefunction(func)


def _lookup(cls: type, name: str) -> tuple[Any, bool]:
    """Find ``name`` on ``cls`` (through its bases); tell whether it takes ``self`` first."""
    raw = inspect.getattr_static(cls, name, None)
    if raw is None:
        return None, False
    if isinstance(raw, staticmethod):
        return raw.__func__, False
    if isinstance(raw, classmethod):
        return getattr(cls, name), False
    return raw, True


def method_args(
    method: str,
    func: Callable[..., Any],
    takes_self: bool,
    allowed: tuple[str, ...],
    problems: list[str],
) -> frozenset[str]:
    """Work out which allowed arguments a method declares; append any problem found.

    Args:
        method: The method name, for messages (``"__init__"``).
        func: The function as found on the class.
        takes_self: Whether the first positional parameter is the instance (and is skipped).
        allowed: The argument names the runtime can pass.
        problems: Where problems are appended.

    Returns:
        The declared allowed names (every allowed name when ``**kwargs`` is present).
    """
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError) as exc:
        problems.append(f"the signature of Handler.{method} cannot be inspected: {exc}")
        return frozenset()
    if takes_self:
        if not params or params[0].kind not in (
            _Param.POSITIONAL_ONLY,
            _Param.POSITIONAL_OR_KEYWORD,
        ):
            problems.append(f"Handler.{method} must take `self` as its first parameter")
            return frozenset()
        params = params[1:]
    declared: set[str] = set()
    for param in params:
        declared.update(_param_args(method, param, allowed, problems))
    return frozenset(declared)


def _param_args(
    method: str, param: inspect.Parameter, allowed: tuple[str, ...], problems: list[str]
) -> tuple[str, ...]:
    if param.kind is _Param.VAR_POSITIONAL:
        return ()
    if param.kind is _Param.VAR_KEYWORD:
        return allowed
    if param.name not in allowed:
        hint = _TYPE_HINTS.get(param.name, "")
        problems.append(
            f"Handler.{method} has a parameter named `{param.name}`; allowed: "
            f"{', '.join(allowed)}{hint}"
        )
        return ()
    if param.kind is _Param.POSITIONAL_ONLY:
        problems.append(
            f"Handler.{method} declares `{param.name}` as positional-only, but it is passed by "
            "name; remove the `/` from the signature"
        )
        return ()
    return (param.name,)


def select_args(declared: frozenset[str], available: dict[str, Any]) -> dict[str, Any]:
    """Keep only the declared arguments, to be passed by name.

    Args:
        declared: The names the method declares.
        available: Every argument the runtime could pass.

    Returns:
        The keyword arguments for the call.
    """
    return {name: value for name, value in available.items() if name in declared}
