from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path

import pytest
from conftest import WriteProject

from glia_runtime.errors import HandlerLoadError
from glia_runtime.loader import (
    find_handler_class,
    import_handler_module,
    load_handler,
    stage_project,
)
from glia_runtime.metrics import MetricsClient
from glia_runtime.spec import HandlerSpec, ModelsSpec


def handler_spec(
    path: str = "handler.py", config: dict | None = None, python_path=None
) -> HandlerSpec:
    return HandlerSpec(path=path, config=config or {}, python_path=python_path, log_level="info")


def load_error(project: Path, spec: HandlerSpec) -> HandlerLoadError:
    with pytest.raises(HandlerLoadError) as caught:
        load_handler(project, spec, MetricsClient())
    return caught.value


def test_stage_project_changes_directory_and_puts_project_then_python_path_first(
    tmp_path: Path,
) -> None:
    project = tmp_path / "proj"
    (project / "src").mkdir(parents=True)
    root = stage_project(project, "src/")
    assert root == project.resolve()
    assert Path.cwd() == project.resolve()
    assert sys.path[:2] == [str(project.resolve()), str((project / "src").resolve())]


def test_stage_project_with_missing_python_path_names_it(tmp_path: Path) -> None:
    with pytest.raises(HandlerLoadError, match="handler.python_path 'lib' is not a directory"):
        stage_project(tmp_path, "lib")


def test_stage_project_with_missing_project_names_it(tmp_path: Path) -> None:
    with pytest.raises(HandlerLoadError, match="project directory .*nope does not exist"):
        stage_project(tmp_path / "nope", None)


def test_load_constructs_handler_with_a_copy_of_config(write_project: WriteProject) -> None:
    project = write_project(
        """
        class Handler:
            def __init__(self, config):
                config["seen"] = True
                self.config = config

            def handle_async(self, payload):
                return {}
        """
    )
    config = {"model": "s3://bucket/model", "nested": {"k": 1}}
    loaded = load_handler(project, handler_spec(config=config), MetricsClient())
    assert loaded.instance.config == {
        "model": "s3://bucket/model",
        "nested": {"k": 1},
        "seen": True,
    }
    assert config == {"model": "s3://bucket/model", "nested": {"k": 1}}
    assert loaded.path == "handler.py"
    assert loaded.seconds >= 0


def test_metrics_client_is_passed_only_when_declared(write_project: WriteProject) -> None:
    project = write_project(
        """
        class Handler:
            def __init__(self, metrics_client):
                self.metrics_client = metrics_client

            def handle_async(self):
                return {}
        """
    )
    client = MetricsClient()
    loaded = load_handler(project, handler_spec(), client)
    assert loaded.instance.metrics_client is client


def test_handler_without_init_loads(write_project: WriteProject) -> None:
    project = write_project("class Handler:\n    def handle_async(self):\n        return {}\n")
    assert (
        type(load_handler(project, handler_spec(), MetricsClient()).instance).__name__ == "Handler"
    )


def test_relative_files_python_path_and_project_imports_work(write_project: WriteProject) -> None:
    project = write_project(
        """
        import json
        import helpers
        from pkg.tool import VALUE

        class Handler:
            def __init__(self, config):
                with open("values.json") as f:
                    self.values = json.load(f)
                self.extra = (helpers.NAME, VALUE)

            def handle_async(self):
                return {}
        """,
        files={
            "values.json": '{"threshold": 0.5}',
            "helpers.py": "NAME = 'project-root'\n",
            "src/pkg/__init__.py": "",
            "src/pkg/tool.py": "VALUE = 7\n",
        },
    )
    loaded = load_handler(project, handler_spec(python_path="src"), MetricsClient())
    assert loaded.instance.values == {"threshold": 0.5}
    assert loaded.instance.extra == ("project-root", 7)


def test_handler_module_is_registered_so_its_objects_pickle(write_project: WriteProject) -> None:
    project = write_project(
        """
        class Point:
            def __init__(self, x):
                self.x = x

        class Handler:
            def handle_async(self):
                return {}
        """,
        name="my_handler.py",
    )
    load_handler(project, handler_spec("my_handler.py"), MetricsClient())
    module = sys.modules["my_handler"]
    restored = pickle.loads(pickle.dumps(module.Point(3)))  # noqa: S301 - our own bytes
    assert restored.x == 3


def test_handler_in_a_subfolder_is_found_by_path(write_project: WriteProject) -> None:
    project = write_project(
        "class Handler:\n    def handle_async(self):\n        return {}\n", name="api/serve.py"
    )
    loaded = load_handler(project, handler_spec("api/serve.py"), MetricsClient())
    assert type(loaded.instance).__module__ == "serve"


def test_missing_handler_file_is_a_load_error(write_project: WriteProject) -> None:
    project = write_project("x = 1\n")
    error = load_error(project, handler_spec("predictor.py"))
    assert str(error).startswith("predictor.py does not exist in the project")


def test_non_python_handler_file_is_a_load_error(write_project: WriteProject) -> None:
    project = write_project("x = 1\n", name="model.pickle")
    assert "handler.path must name a .py file" in str(
        load_error(project, handler_spec("model.pickle"))
    )


def test_import_error_keeps_the_original_exception_and_traceback(
    write_project: WriteProject,
) -> None:
    project = write_project(
        """
        def setup():
            return 1 / 0

        setup()
        """
    )
    error = load_error(project, handler_spec())
    assert str(error) == "handler.py could not be imported: ZeroDivisionError: division by zero"
    assert isinstance(error.__cause__, ZeroDivisionError)
    assert "handler" not in sys.modules


def test_syntax_error_is_a_load_error(write_project: WriteProject) -> None:
    project = write_project("class Handler(:\n")
    error = load_error(project, handler_spec())
    assert "handler.py could not be imported: SyntaxError" in str(error)


def test_sys_exit_at_import_is_a_load_error(write_project: WriteProject) -> None:
    project = write_project("import sys\nsys.exit(4)\n")
    assert "could not be imported: SystemExit: 4" in str(load_error(project, handler_spec()))


def test_module_name_clashing_with_an_imported_module_is_refused(
    write_project: WriteProject,
) -> None:
    project = write_project(
        "class Handler:\n    def handle_async(self):\n        return {}\n", name="json.py"
    )
    error = load_error(project, handler_spec("json.py"))
    assert "would be imported as module 'json'" in str(error)
    assert sys.modules["json"].__file__ != str(project / "json.py")


def test_missing_handler_class_says_so(write_project: WriteProject) -> None:
    project = write_project("class Predictor:\n    pass\n")
    error = load_error(project, handler_spec())
    assert str(error).startswith("handler.py does not define a class named Handler; ")


def test_handler_that_is_not_a_class_is_refused(write_project: WriteProject) -> None:
    project = write_project("def Handler():\n    pass\n")
    module = import_handler_module(stage_project(project, None), "handler.py")
    with pytest.raises(HandlerLoadError, match="Handler must be a class, got function"):
        find_handler_class(module, "handler.py")


def test_bad_signature_is_a_load_error_before_construction(write_project: WriteProject) -> None:
    project = write_project(
        """
        class Handler:
            def __init__(self, config, foo):
                raise AssertionError("must not be constructed")

            def handle_async(self, payload):
                return {}
        """
    )
    error = load_error(project, handler_spec())
    assert "Handler.__init__ has a parameter named `foo`" in str(error)
    assert error.__cause__ is None


def test_init_raising_is_a_load_error_with_the_cause(write_project: WriteProject) -> None:
    project = write_project(
        """
        class Handler:
            def __init__(self, config):
                raise FileNotFoundError("model.bin")

            def handle_async(self):
                return {}
        """
    )
    error = load_error(project, handler_spec())
    assert str(error) == "handler.py: Handler.__init__ raised FileNotFoundError: model.bin"
    assert isinstance(error.__cause__, FileNotFoundError)


def test_handler_sees_the_environment_it_was_given(
    write_project: WriteProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODEL_NAME", "tiny")
    project = write_project(
        """
        import os

        class Handler:
            def __init__(self):
                self.model = os.environ["MODEL_NAME"]

            def handle_async(self):
                return {}
        """
    )
    assert load_handler(project, handler_spec(), MetricsClient()).instance.model == "tiny"
    assert os.getcwd() == str(project.resolve())


TF_HANDLER = """
class Handler:
    def __init__(self, tensorflow_client, config):
        self.client, self.config = tensorflow_client, config

    def handle_async(self, payload):
        return self.client.predict(payload)
"""


def tf_handler_spec(models: ModelsSpec) -> HandlerSpec:
    return HandlerSpec("handler.py", {"k": 1}, None, "info", type="tensorflow", models=models)


def test_tensorflow_signature_is_checked_before_models_are_loaded(
    write_project: WriteProject,
) -> None:
    project = write_project(
        """
        class Handler:
            def __init__(self, config):
                pass

            def handle_async(self, payload):
                pass
        """
    )
    error = load_error(project, tf_handler_spec(ModelsSpec(path="missing")))
    assert "must take `tensorflow_client` for handler.type tensorflow" in str(error)


def test_tensorflow_handler_with_a_missing_model_names_the_field(
    write_project: WriteProject,
) -> None:
    project = write_project(TF_HANDLER)
    error = load_error(project, tf_handler_spec(ModelsSpec(dir="models")))
    assert str(error).startswith("handler.models.dir: the folder 'models' does not exist")


def test_tensorflow_handler_gets_the_client_of_its_models(write_project: WriteProject) -> None:
    tf = pytest.importorskip(
        "tensorflow", reason="tensorflow is not installed in this venv; tensorflow-keras covers it"
    )
    project = write_project(TF_HANDLER)

    class Double(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def serve(self, x):
            return {"y": x * 2}

    module = Double()
    tf.saved_model.save(
        module, str(project / "double"), signatures={"serving_default": module.serve}
    )
    loaded = load_handler(project, tf_handler_spec(ModelsSpec(path="double")), MetricsClient())
    assert loaded.signature.init_args == frozenset({"tensorflow_client", "config"})
    assert loaded.instance.config == {"k": 1}
    assert loaded.instance.client.predict([1, 2.5]) == {"y": [2.0, 5.0]}
