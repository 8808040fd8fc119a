from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glia_runtime.errors import PayloadDecodeError
from glia_runtime.payload import MediaType, decode_payload, parse_media_type


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "Application/JSON",
        "application/json; charset=utf-8",
        "  application/json ;charset=UTF-8",
    ],
)
def test_json_media_type_is_parsed_as_json(content_type: str) -> None:
    assert decode_payload(b'{"key": "value", "n": [1, 2.5]}', content_type) == {
        "key": "value",
        "n": [1, 2.5],
    }


def test_json_accepts_any_json_value_not_only_objects() -> None:
    assert decode_payload(b'"text"', "application/json") == "text"
    assert decode_payload(b"[1,2]", "application/json") == [1, 2]


@pytest.mark.parametrize(
    "content_type",
    ["application/jsonl", "application/json-patch+json", "application/vnd.api+json", "json"],
)
def test_only_exactly_application_json_is_json(content_type: str) -> None:
    assert decode_payload(b'{"a": 1}', content_type) == b'{"a": 1}'


def test_invalid_json_names_the_problem_and_the_content_type() -> None:
    with pytest.raises(PayloadDecodeError) as caught:
        decode_payload(b'{"key": ', "application/json; charset=utf-8")
    message = str(caught.value)
    assert message.startswith(
        "the payload could not be decoded as JSON (Content-Type: application/json; charset=utf-8): "
    )
    assert "Expecting value" in message


def test_empty_json_body_is_a_decode_error() -> None:
    with pytest.raises(PayloadDecodeError):
        decode_payload(b"", "application/json")


def test_json_that_is_not_utf8_is_a_decode_error() -> None:
    with pytest.raises(PayloadDecodeError):
        decode_payload(b'"\xff\xfe\xfa"', "application/json")


def test_json_nested_too_deeply_is_a_decode_error() -> None:
    with pytest.raises(PayloadDecodeError, match="nested too deeply"):
        decode_payload(b"[" * 100_000, "application/json")


def test_text_plain_defaults_to_utf8() -> None:
    assert decode_payload("héllo wörld".encode(), "text/plain") == "héllo wörld"


def test_text_plain_honours_the_charset_parameter() -> None:
    body = "héllo".encode("latin-1")
    assert decode_payload(body, 'Text/Plain; Charset="ISO-8859-1"') == "héllo"
    assert decode_payload(b"hello", "text/plain; charset=us-ascii") == "hello"


def test_text_plain_with_bytes_invalid_in_the_charset_names_the_charset() -> None:
    with pytest.raises(PayloadDecodeError, match="charset 'us-ascii'"):
        decode_payload("héllo".encode(), "text/plain; charset=us-ascii")


def test_text_plain_invalid_utf8_is_a_decode_error() -> None:
    with pytest.raises(PayloadDecodeError, match="charset 'utf-8'"):
        decode_payload(b"\xff\xfe", "text/plain")


@pytest.mark.parametrize("charset", ["klingon-8", "base64", "zlib", "rot13"])
def test_unknown_or_non_text_charset_names_the_charset(charset: str) -> None:
    with pytest.raises(PayloadDecodeError, match=f"unknown charset '{charset}'"):
        decode_payload(b"aGVsbG8=", f"text/plain; charset={charset}")


@pytest.mark.parametrize(
    "content_type",
    [
        "",
        "application/octet-stream",
        "image/png",
        "text/csv",
        "text",
        "/plain",
        "text/plain/x",
        "?",
    ],
)
def test_everything_else_is_raw_bytes(content_type: str) -> None:
    body = b"\x00\x01binary\xff"
    result = decode_payload(body, content_type)
    assert result == body
    assert isinstance(result, bytes)


def test_parse_media_type_lowercases_type_and_parameter_names() -> None:
    assert parse_media_type("Text/HTML; CharSet=UTF-8; q=0.5") == MediaType(
        "text", "html", {"charset": "UTF-8", "q": "0.5"}
    )


def test_parse_media_type_reads_quoted_strings_with_escapes_and_semicolons() -> None:
    media = parse_media_type(r'text/plain; title="a \"b\"; c"; charset=utf-8')
    assert media is not None
    assert media.params == {"title": 'a "b"; c', "charset": "utf-8"}


def test_parse_media_type_skips_malformed_parameters_and_keeps_the_first_duplicate() -> None:
    media = parse_media_type("text/plain; junk; =x; bad name=1; charset=latin-1; charset=ascii;")
    assert media is not None
    assert media.params == {"charset": "latin-1"}


def test_empty_charset_falls_back_to_utf8() -> None:
    assert decode_payload("é".encode(), "text/plain; charset=") == "é"


@pytest.mark.parametrize("value", ["", "   ", "text", "text/", "/x", "te xt/plain", "text/pl ain"])
def test_parse_media_type_rejects_values_without_a_valid_type(value: str) -> None:
    assert parse_media_type(value) is None


_FRAGMENTS = st.sampled_from(
    ["application/json", "text/plain", "TEXT/PLAIN", ";", "charset=", "charset", '"', "\\", "=",
     "utf-8", "utf-16", "latin-1", "base64", "idna", "punycode", "unicode_escape", "zlib", " ",
     "\x00", "/", "é"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(body=st.binary(max_size=256), content_type=st.text(max_size=64))
def test_arbitrary_input_decodes_or_raises_only_payload_decode_error(
    body: bytes, content_type: str
) -> None:
    try:
        decode_payload(body, content_type)
    except PayloadDecodeError:
        pass


@settings(max_examples=600, deadline=None)
@given(body=st.binary(max_size=256), parts=st.lists(_FRAGMENTS, max_size=8))
def test_odd_content_types_decode_or_raise_only_payload_decode_error(
    body: bytes, parts: list[str]
) -> None:
    try:
        decode_payload(body, "".join(parts))
    except PayloadDecodeError:
        pass


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=128), charset=st.text(max_size=24))
def test_arbitrary_charsets_decode_to_str_or_raise_payload_decode_error(
    body: bytes, charset: str
) -> None:
    try:
        result = decode_payload(body, f'text/plain; charset="{charset}"')
    except PayloadDecodeError:
        return
    assert isinstance(result, str)
