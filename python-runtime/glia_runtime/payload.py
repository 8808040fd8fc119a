"""Decoding of request bodies by Content-Type (pure: no I/O, no imports of user code).

The rules follow the Cortex AsyncAPI documentation:

- ``application/json`` (exactly that media type, any parameters) → ``json.loads(body)``;
- ``text/plain`` → ``str``, decoded with the ``charset`` parameter (default UTF-8);
- anything else, including a missing, empty or malformed Content-Type → the raw ``bytes``.

Media types are parsed as RFC 9110 describes them: type and subtype are case-insensitive tokens,
parameters are ``name=token`` or ``name="quoted string"`` after ``;``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from glia_runtime.errors import PayloadDecodeError

DEFAULT_TEXT_CHARSET = "utf-8"

_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
_WHITESPACE = " \t"


@dataclass(frozen=True)
class MediaType:
    """A parsed Content-Type value.

    Attributes:
        type: The lower-cased top-level type, e.g. ``"text"``.
        subtype: The lower-cased subtype, e.g. ``"plain"``.
        params: Parameters with lower-cased names; values as sent (quotes removed).
    """

    type: str
    subtype: str
    params: dict[str, str] = field(default_factory=dict[str, str])

    @property
    def essence(self) -> str:
        """The ``type/subtype`` pair without parameters."""
        return f"{self.type}/{self.subtype}"


def decode_payload(body: bytes, content_type: str) -> Any:  # noqa: ANN401 - JSON is untyped
    """Decode a request body the way ``handle_async`` receives it.

    Args:
        body: The raw request body.
        content_type: The request's Content-Type header ("" when none was sent).

    Returns:
        The parsed JSON value, a ``str`` for ``text/plain``, or ``body`` itself otherwise.

    Raises:
        PayloadDecodeError: The body is not valid JSON, or not valid text in its charset.
    """
    media = parse_media_type(content_type)
    if media is None:
        return body
    if media.essence == "application/json":
        return _decode_json(body, content_type)
    if media.essence == "text/plain":
        return _decode_text(body, media.params.get("charset", DEFAULT_TEXT_CHARSET))
    return body


def _decode_json(body: bytes, content_type: str) -> Any:  # noqa: ANN401 - JSON is untyped
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise PayloadDecodeError(
            f"the payload could not be decoded as JSON (Content-Type: {content_type}): {detail}"
        ) from exc


def _decode_text(body: bytes, charset: str) -> str:
    try:
        return body.decode(charset)
    except LookupError as exc:
        raise PayloadDecodeError(
            f"the payload could not be decoded as text: unknown charset {charset!r} "
            "(Content-Type: text/plain)"
        ) from exc
    except ValueError as exc:
        raise PayloadDecodeError(
            f"the payload could not be decoded as text in charset {charset!r}: {exc}"
        ) from exc


def parse_media_type(value: str) -> MediaType | None:
    """Parse a Content-Type header value.

    Args:
        value: The header value, e.g. ``"Text/Plain; charset=\\"latin-1\\""``.

    Returns:
        The :class:`MediaType`, or None when the value is empty or has no valid ``type/subtype``.
        Malformed parameters are skipped; the first occurrence of a parameter name wins.
    """
    essence, _, rest = value.partition(";")
    type_, slash, subtype = essence.strip(_WHITESPACE).partition("/")
    if not slash or not _is_token(type_) or not _is_token(subtype):
        return None
    return MediaType(type=type_.lower(), subtype=subtype.lower(), params=_parse_params(rest))


def _is_token(text: str) -> bool:
    return bool(text) and all(char in _TOKEN_CHARS for char in text)


def _parse_params(text: str) -> dict[str, str]:
    params: dict[str, str] = {}
    position = 0
    while position < len(text):
        name, value, position = _next_param(text, position)
        if value and _is_token(name):
            params.setdefault(name.lower(), value)
    return params


def _next_param(text: str, start: int) -> tuple[str, str | None, int]:
    """Read one ``name=value`` starting at ``start``; return it and where the next one starts."""
    equals = text.find("=", start)
    semicolon = text.find(";", start)
    if equals < 0 or (0 <= semicolon < equals):
        end = len(text) if semicolon < 0 else semicolon + 1
        return "", None, end
    name = text[start:equals].strip(_WHITESPACE)
    value_start = equals + 1
    if value_start < len(text) and text[value_start] == '"':
        value, end = _read_quoted(text, value_start + 1)
    else:
        end = text.find(";", value_start)
        end = len(text) if end < 0 else end
        value = text[value_start:end].strip(_WHITESPACE)
    next_semicolon = text.find(";", end)
    return name, value, len(text) if next_semicolon < 0 else next_semicolon + 1


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """Read a quoted-string body from ``start`` (just past the opening quote)."""
    chars: list[str] = []
    position = start
    while position < len(text):
        char = text[position]
        if char == "\\" and position + 1 < len(text):
            chars.append(text[position + 1])
            position += 2
            continue
        if char == '"':
            return "".join(chars), position + 1
        chars.append(char)
        position += 1
    return "".join(chars), position
