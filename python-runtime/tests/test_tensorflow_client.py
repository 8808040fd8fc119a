from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from glia_runtime.errors import HandlerLoadError, ModelInputError, UnknownModelError
from glia_runtime.spec import ModelPath, ModelsSpec
from glia_runtime.tensorflow_client import (
    ModelSource,
    TensorFlowClient,
    import_tensorflow,
    load_tensorflow_client,
    match_inputs,
    model_sources,
    to_json_values,
)

HAS_TENSORFLOW = importlib.util.find_spec("tensorflow") is not None


def fake_saved_model(folder: Path) -> Path:
    """A folder that looks like a SavedModel to the path checks (nothing loads it)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "saved_model.pb").write_bytes(b"")
    return folder


def load_error(root: Path, models: ModelsSpec) -> str:
    with pytest.raises(HandlerLoadError) as caught:
        model_sources(root, models)
    return str(caught.value)


def test_models_path_is_one_source_with_the_default_signature(tmp_path: Path) -> None:
    fake_saved_model(tmp_path / "m")
    assert model_sources(tmp_path, ModelsSpec(path="m")) == [
        ModelSource("m", "handler.models.path", tmp_path / "m", "serving_default")
    ]


def test_the_highest_numbered_version_folder_is_loaded(tmp_path: Path) -> None:
    for version in ("1", "10", "2"):
        fake_saved_model(tmp_path / "m" / version)
    (tmp_path / "m" / "99").mkdir()  # not a SavedModel: ignored
    [source] = model_sources(tmp_path, ModelsSpec(path="m"))
    assert source.path == tmp_path / "m" / "10"


def test_models_paths_keep_their_order_names_and_signature_keys(tmp_path: Path) -> None:
    fake_saved_model(tmp_path / "a")
    fake_saved_model(tmp_path / "b")
    models = ModelsSpec(
        paths=(ModelPath("second", "b", "predict"), ModelPath("first", "a")),
        signature_key="shared",
    )
    assert [(s.name, s.path.name, s.signature_key) for s in model_sources(tmp_path, models)] == [
        ("second", "b", "predict"),
        ("first", "a", "shared"),
    ]


def test_models_dir_names_each_model_after_its_folder(tmp_path: Path) -> None:
    fake_saved_model(tmp_path / "models" / "zeta")
    fake_saved_model(tmp_path / "models" / "alpha" / "3")
    fake_saved_model(tmp_path / "models" / ".hidden")
    (tmp_path / "models" / "README.md").write_text("not a model")
    sources = model_sources(tmp_path, ModelsSpec(dir="models"))
    assert [(s.name, s.where) for s in sources] == [
        ("alpha", "handler.models.dir (alpha)"),
        ("zeta", "handler.models.dir (zeta)"),
    ]
    assert sources[0].path == tmp_path / "models" / "alpha" / "3"


def test_a_missing_model_folder_names_the_field_and_the_path(tmp_path: Path) -> None:
    message = load_error(tmp_path, ModelsSpec(paths=(ModelPath("iris", "models/iris"),)))
    assert message.startswith(
        "handler.models.paths[0] (iris): the SavedModel folder 'models/iris' does not exist"
    )
    assert str(tmp_path / "models" / "iris") in message


def test_a_folder_without_saved_model_pb_is_not_a_saved_model(tmp_path: Path) -> None:
    (tmp_path / "m" / "1").mkdir(parents=True)
    message = load_error(tmp_path, ModelsSpec(path="m"))
    assert "handler.models.path: 'm' is not a SavedModel: it has no saved_model.pb" in message


def test_models_dir_must_exist_and_hold_sub_folders(tmp_path: Path) -> None:
    assert "handler.models.dir: the folder 'models' does not exist" in load_error(
        tmp_path, ModelsSpec(dir="models")
    )
    (tmp_path / "models").mkdir()
    assert "handler.models.dir: 'models' has no sub-folders" in load_error(
        tmp_path, ModelsSpec(dir="models")
    )


def test_a_missing_model_is_reported_before_tensorflow_is_needed(tmp_path: Path) -> None:
    with pytest.raises(HandlerLoadError, match="handler.models.path: the SavedModel folder"):
        load_tensorflow_client(tmp_path, ModelsSpec(path="nope"))


def test_a_dict_input_must_name_exactly_the_signature_inputs() -> None:
    assert match_inputs({"b": 2, "a": 1}, ["a", "b"], "model m") == {"a": 1, "b": 2}
    with pytest.raises(ModelInputError) as caught:
        match_inputs({"a": 1, "c": 3, "d": 4}, ["a", "b"], "model 'm' (signature 'k')")
    assert str(caught.value) == (
        "model 'm' (signature 'k'): missing input b; unknown input c, d (its inputs: a, b)"
    )


def test_a_bare_value_is_the_input_of_a_one_input_signature() -> None:
    assert match_inputs([[1, 2]], ["x"], "model m") == {"x": [[1, 2]]}
    assert match_inputs(3.5, ["x"], "model m") == {"x": 3.5}
    with pytest.raises(ModelInputError, match="model m has the inputs a, b; pass a dict"):
        match_inputs([1], ["a", "b"], "model m")


def test_outputs_are_made_json_ready() -> None:
    assert to_json_values([[b"cat", b"caf\xc3\xa9"], [b"", b"x"]], "label") == [
        ["cat", "café"],
        ["", "x"],
    ]
    assert to_json_values([1.5, 2], "p") == [1.5, 2]
    assert to_json_values(7, "n") == 7
    with pytest.raises(ValueError, match="output 'raw' holds bytes that are not UTF-8"):
        to_json_values([b"\xff"], "raw")


class Echo:
    """Stands in for a loaded model: the client's job here is only to pick one."""

    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, model_input: object) -> dict[str, object]:
        return {"model": self.name, "input": model_input}


def test_model_name_picks_one_of_several_models() -> None:
    client = TensorFlowClient({"a": Echo("a"), "b": Echo("b")}, single=False)
    assert client.model_names == ["a", "b"]
    assert client.predict([1], "b") == {"model": "b", "input": [1]}
    with pytest.raises(UnknownModelError, match="predict needs a model_name: .* models a, b"):
        client.predict([1])
    with pytest.raises(UnknownModelError, match="no model named 'c'; the models are: a, b"):
        client.predict([1], model_name="c")


def test_model_name_is_ignored_for_a_single_model_path() -> None:
    client = TensorFlowClient({"saved": Echo("saved")}, single=True)
    assert client.predict(1)["model"] == "saved"
    assert client.predict(1, model_name="anything")["model"] == "saved"


@pytest.mark.skipif(HAS_TENSORFLOW, reason="tensorflow is installed here")
def test_without_tensorflow_the_load_error_says_what_to_install() -> None:
    with pytest.raises(HandlerLoadError, match="add tensorflow-cpu .* to requirements.txt"):
        import_tensorflow()


# --- With TensorFlow (skipped in the tools venv; examples/tensorflow-keras covers it end to end).


@pytest.fixture
def tf():  # noqa: ANN201
    return pytest.importorskip(
        "tensorflow", reason="tensorflow is not installed in this venv; tensorflow-keras covers it"
    )


def save_two_input_model(tf, folder: Path) -> None:  # noqa: ANN001
    class Scale(tf.Module):
        def __init__(self) -> None:
            self.factor = tf.Variable(2.0)

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, 2], tf.float32, name="x"),
                tf.TensorSpec([None], tf.string, name="tag"),
            ]
        )
        def predict(self, x, tag):  # noqa: ANN001, ANN202
            return {"scaled": x * self.factor, "tag": tag, "count": tf.shape(x)[0]}

    module = Scale()
    tf.saved_model.save(module, str(folder), signatures={"predict": module.predict})


def test_a_saved_model_signature_runs_on_json_values(tf, tmp_path: Path) -> None:  # noqa: ANN001
    save_two_input_model(tf, tmp_path / "scale" / "1")
    client = load_tensorflow_client(tmp_path, ModelsSpec(path="scale", signature_key="predict"))
    result = client.predict({"x": [[1, 2], [0.5, -1]], "tag": ["a", "é"]})
    assert result == {"scaled": [[2.0, 4.0], [1.0, -2.0]], "tag": ["a", "é"], "count": 2}


def test_bad_inputs_name_the_input_dtype_and_shape(tf, tmp_path: Path) -> None:  # noqa: ANN001
    save_two_input_model(tf, tmp_path / "scale")
    client = load_tensorflow_client(tmp_path, ModelsSpec(path="scale", signature_key="predict"))
    with pytest.raises(
        ModelInputError, match=r"input 'x' has shape \[1, 3\], .* float32 \[None, 2\]"
    ):
        client.predict({"x": [[1, 2, 3]], "tag": ["a"]})
    with pytest.raises(ModelInputError, match="input 'x' cannot be made a float32 tensor"):
        client.predict({"x": [[1, 2], [3]], "tag": ["a", "b"]})
    with pytest.raises(ModelInputError, match="missing input tag"):
        client.predict({"x": [[1, 2]]})


def test_a_missing_signature_key_lists_the_signatures(tf, tmp_path: Path) -> None:  # noqa: ANN001
    save_two_input_model(tf, tmp_path / "scale")
    with pytest.raises(HandlerLoadError, match="has no signature 'serving_default'; .*: predict"):
        load_tensorflow_client(tmp_path, ModelsSpec(path="scale"))
