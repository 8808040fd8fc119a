from __future__ import annotations

import pytest

from glia_runtime.errors import HandlerLoadError
from glia_runtime.signature import HandlerSignature, check_handler_class, select_args


def check(cls: type) -> HandlerSignature:
    return check_handler_class(cls, "handler.py")


def problems_of(cls: type) -> str:
    with pytest.raises(HandlerLoadError) as caught:
        check(cls)
    return str(caught.value)


def test_full_cortex_signature_declares_every_argument() -> None:
    class Handler:
        def __init__(self, config, metrics_client):
            pass

        def handle_async(self, payload, request_id):
            pass

    assert check(Handler) == HandlerSignature(
        init_args=frozenset({"config", "metrics_client"}),
        handle_args=frozenset({"payload", "request_id"}),
        handle_is_async=False,
    )


def test_each_argument_is_optional() -> None:
    class Handler:
        def __init__(self, config):
            pass

        def handle_async(self):
            pass

    signature = check(Handler)
    assert signature.init_args == frozenset({"config"})
    assert signature.handle_args == frozenset()


def test_handler_without_init_is_constructed_without_arguments() -> None:
    class Handler:
        def handle_async(self, request_id):
            pass

    signature = check(Handler)
    assert signature.init_args == frozenset()
    assert signature.handle_args == frozenset({"request_id"})


def test_inherited_methods_are_checked() -> None:
    class Base:
        def __init__(self, metrics_client):
            pass

        def handle_async(self, payload):
            pass

    class Handler(Base):
        pass

    signature = check(Handler)
    assert signature.init_args == frozenset({"metrics_client"})
    assert signature.handle_args == frozenset({"payload"})


def test_async_def_handle_async_is_detected() -> None:
    class Handler:
        async def handle_async(self, payload):
            pass

    assert check(Handler).handle_is_async is True


def test_kwargs_receives_every_allowed_argument_and_args_is_ignored() -> None:
    class Handler:
        def __init__(self, *args, **kwargs):
            pass

        def handle_async(self, *args, payload=None, **kwargs):
            pass

    signature = check(Handler)
    assert signature.init_args == frozenset({"config", "metrics_client"})
    assert signature.handle_args == frozenset({"payload", "request_id"})


def test_defaults_and_keyword_only_parameters_are_allowed() -> None:
    class Handler:
        def __init__(self, config=None, *, metrics_client=None):
            pass

        def handle_async(self, payload=b"", request_id=""):
            pass

    signature = check(Handler)
    assert signature.init_args == frozenset({"config", "metrics_client"})
    assert signature.handle_args == frozenset({"payload", "request_id"})


def test_static_and_class_methods_have_no_self_to_skip() -> None:
    class Handler:
        @staticmethod
        def handle_async(payload):
            pass

    assert check(Handler).handle_args == frozenset({"payload"})

    class Other:
        @classmethod
        def handle_async(cls, request_id):
            pass

    assert check(Other).handle_args == frozenset({"request_id"})


def test_unknown_init_parameter_is_named_with_the_allowed_names() -> None:
    class Handler:
        def __init__(self, config, foo):
            pass

        def handle_async(self, payload):
            pass

    message = problems_of(Handler)
    assert message.startswith("handler.py: the Handler class cannot be used: ")
    assert (
        "Handler.__init__ has a parameter named `foo`; allowed: config, metrics_client" in message
    )


def test_unknown_parameter_with_a_default_is_still_an_error() -> None:
    class Handler:
        def handle_async(self, payload, debug=False):
            pass

    assert "Handler.handle_async has a parameter named `debug`" in problems_of(Handler)


def test_every_problem_is_reported_at_once() -> None:
    class Handler:
        def __init__(self, config, tensorflow_client):
            pass

        def handle_async(self, payload, query_params, headers):
            pass

    message = problems_of(Handler)
    assert "`tensorflow_client`; allowed: config, metrics_client" in message
    assert "`query_params`; allowed: payload, request_id" in message
    assert "`headers`; allowed: payload, request_id" in message


def test_missing_handle_async_is_an_error_together_with_init_problems() -> None:
    class Handler:
        def __init__(self, model):
            pass

        def predict(self, payload):
            pass

    message = problems_of(Handler)
    assert "Handler does not define a handle_async method" in message
    assert "`model`" in message


def test_handle_async_that_is_not_callable_is_an_error() -> None:
    class Handler:
        handle_async = 42

    assert "Handler.handle_async must be a method, not int" in problems_of(Handler)


def test_method_without_self_is_an_error() -> None:
    class Handler:
        def handle_async():  # type: ignore[misc]
            pass

    assert "Handler.handle_async must take `self` as its first parameter" in problems_of(Handler)


def test_positional_only_allowed_name_is_an_error() -> None:
    class Handler:
        def handle_async(self, payload, /):
            pass

    assert "declares `payload` as positional-only" in problems_of(Handler)


def test_select_args_keeps_only_declared_names() -> None:
    available = {"payload": b"x", "request_id": "r1"}
    assert select_args(frozenset({"request_id"}), available) == {"request_id": "r1"}
    assert select_args(frozenset(), available) == {}


def check_tf(cls: type) -> HandlerSignature:
    return check_handler_class(cls, "handler.py", "tensorflow")


def tf_problems_of(cls: type) -> str:
    with pytest.raises(HandlerLoadError) as caught:
        check_tf(cls)
    return str(caught.value)


def test_tensorflow_type_passes_tensorflow_client_config_and_metrics_client() -> None:
    class Handler:
        def __init__(self, tensorflow_client, config, metrics_client):
            pass

        def handle_async(self, payload):
            pass

    assert check_tf(Handler).init_args == frozenset(
        {"tensorflow_client", "config", "metrics_client"}
    )


def test_tensorflow_type_config_is_optional_as_for_the_python_type() -> None:
    class Handler:
        def __init__(self, tensorflow_client):
            pass

        def handle_async(self, payload):
            pass

    assert check_tf(Handler).init_args == frozenset({"tensorflow_client"})


def test_tensorflow_type_kwargs_receive_the_client() -> None:
    class Handler:
        def __init__(self, **kwargs):
            pass

        def handle_async(self, payload):
            pass

    assert "tensorflow_client" in check_tf(Handler).init_args


@pytest.mark.parametrize("with_init", [True, False])
def test_tensorflow_type_requires_tensorflow_client(with_init: bool) -> None:
    class Handler:
        if with_init:

            def __init__(self, config):
                pass

        def handle_async(self, payload):
            pass

    message = tf_problems_of(Handler)
    assert "Handler.__init__ must take `tensorflow_client` for handler.type tensorflow" in message
    assert "def __init__(self, tensorflow_client, config)" in message


def test_tensorflow_type_reports_every_problem() -> None:
    class Handler:
        def __init__(self, tensorflow_client, model):
            pass

        def handle_async(self, body):
            pass

    message = tf_problems_of(Handler)
    assert (
        "Handler.__init__ has a parameter named `model`; allowed: tensorflow_client, config, "
        "metrics_client" in message
    )
    assert "Handler.handle_async has a parameter named `body`" in message


def test_python_type_refuses_tensorflow_client_with_a_hint() -> None:
    class Handler:
        def __init__(self, tensorflow_client, config):
            pass

        def handle_async(self, payload):
            pass

    message = problems_of(Handler)
    assert "Handler.__init__ has a parameter named `tensorflow_client`; allowed: config" in message
    assert "tensorflow_client is passed when handler.type is tensorflow" in message
