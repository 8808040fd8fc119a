"""``tensorflow_client`` for ``handler.type: tensorflow``: SavedModels run in this process.

Cortex ran the models in a TensorFlow Serving sidecar and talked to it over gRPC; glia loads each
SavedModel with ``tf.saved_model.load`` once, before the runtime serves, and calls its signature
directly. TensorFlow is imported only here and only when :func:`load_tensorflow_client` runs, so
the runtime itself starts in environments without it.

Which models (``handler.models``, paths relative to the project root):

- ``path``: one model; ``predict``'s ``model_name`` is ignored (as in Cortex).
- ``paths``: one model per entry, picked by ``model_name`` (required).
- ``dir``: every sub-folder is a model named after the sub-folder, picked by ``model_name``.

A model folder holds ``saved_model.pb``, or numbered version folders (``1/``, ``2/``, as TensorFlow
Serving lays them out) of which the highest is loaded. The signature served is the entry's
``signature_key``, else ``models.signature_key``, else ``serving_default``.

``predict(model_input, model_name=None)`` converts, calls, converts back:

- ``model_input``: a dict of input name -> value (exactly the signature's input names), or, when
  the signature has one input, the value itself. A value is a number, string, bool or nested
  lists of them; it becomes a tensor of the input's dtype (``tf.convert_to_tensor``: ints are
  accepted for float inputs, floats are refused for int inputs) and must fit the input's shape
  (``None`` dimensions take any size). Anything that does not fit raises
  :class:`~glia_runtime.errors.ModelInputError` naming the input, its dtype and shape.
- result: a dict of output name -> ``tensor.numpy().tolist()`` (nested lists of Python numbers;
  ``tf.string`` elements decoded from UTF-8), ready for JSON.
"""

from __future__ import annotations

import importlib
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from glia_runtime.errors import HandlerLoadError, ModelInputError, UnknownModelError
from glia_runtime.log import RUNTIME_LOGGER_NAME
from glia_runtime.spec import ModelsSpec

DEFAULT_SIGNATURE_KEY = "serving_default"
SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")


@dataclass(frozen=True)
class ModelSource:
    """One SavedModel to load.

    Attributes:
        name: What ``model_name`` picks it by (for ``models.path``: the path as written).
        where: The ``cortex.yaml`` field it comes from, for messages.
        path: The SavedModel folder (the highest version folder when there are versions).
        signature_key: The signature to serve.
    """

    name: str
    where: str
    path: Path
    signature_key: str


def model_sources(root: Path, models: ModelsSpec) -> list[ModelSource]:
    """List the SavedModels that ``handler.models`` names, checking that each folder is one.

    Args:
        root: The project root, against which relative paths are taken.
        models: The resolved ``handler.models``.

    Returns:
        One source per model, in the order of the spec (``dir``: sorted by folder name).

    Raises:
        HandlerLoadError: A folder is missing or holds no SavedModel.
    """
    default_key = models.signature_key or DEFAULT_SIGNATURE_KEY
    if models.path is not None:
        where = "handler.models.path"
        return [
            ModelSource(models.path, where, _saved_model(root, models.path, where), default_key)
        ]
    if models.paths:
        return [
            ModelSource(
                entry.name,
                f"handler.models.paths[{index}] ({entry.name})",
                _saved_model(root, entry.path, f"handler.models.paths[{index}] ({entry.name})"),
                entry.signature_key or default_key,
            )
            for index, entry in enumerate(models.paths)
        ]
    return _dir_sources(root, models.dir or "", default_key)


def _dir_sources(root: Path, folder: str, signature_key: str) -> list[ModelSource]:
    base = root / folder
    if not base.is_dir():
        raise HandlerLoadError(
            f"handler.models.dir: the folder {folder!r} does not exist in the project "
            f"(looked for {base})"
        )
    children = sorted(c for c in base.iterdir() if c.is_dir() and not c.name.startswith("."))
    if not children:
        raise HandlerLoadError(
            f"handler.models.dir: {folder!r} has no sub-folders; put each SavedModel in a "
            "sub-folder named after the model"
        )
    sources: list[ModelSource] = []
    for child in children:
        where = f"handler.models.dir ({child.name})"
        rel = str(Path(folder) / child.name)
        sources.append(
            ModelSource(child.name, where, _saved_model(root, rel, where), signature_key)
        )
    return sources


def _saved_model(root: Path, path: str, where: str) -> Path:
    folder = root / path
    if not folder.is_dir():
        raise HandlerLoadError(
            f"{where}: the SavedModel folder {path!r} does not exist in the project "
            f"(looked for {folder})"
        )
    if _is_saved_model(folder):
        return folder
    versions = [c for c in folder.iterdir() if c.name.isdigit() and _is_saved_model(c)]
    if versions:
        return max(versions, key=lambda c: int(c.name))
    raise HandlerLoadError(
        f"{where}: {path!r} is not a SavedModel: it has no saved_model.pb, nor numbered version "
        "folders holding one (export it with model.export(...) or tf.saved_model.save(...))"
    )


def _is_saved_model(folder: Path) -> bool:
    return folder.is_dir() and any((folder / name).is_file() for name in SAVED_MODEL_FILES)


def match_inputs(model_input: object, names: list[str], label: str) -> dict[str, object]:
    """Pair ``model_input`` with the signature's input names.

    Args:
        model_input: A dict of input name -> value, or one value when there is one input.
        names: The signature's input names.
        label: The model and signature, for messages.

    Returns:
        Input name -> value, with exactly the signature's names.

    Raises:
        ModelInputError: Names are missing or unknown, or a bare value was given for several inputs.
    """
    if not isinstance(model_input, dict):
        if len(names) == 1:
            return {names[0]: model_input}
        raise ModelInputError(
            f"{label} has the inputs {', '.join(names)}; pass a dict of input name -> value, "
            f"not a {type(model_input).__name__}"
        )
    items = cast("dict[object, object]", model_input).items()
    given: dict[str, object] = {str(key): value for key, value in items}
    missing = [name for name in names if name not in given]
    unknown = sorted(key for key in given if key not in names)
    if missing or unknown:
        parts = [f"missing input {', '.join(missing)}"] if missing else []
        parts += [f"unknown input {', '.join(unknown)}"] if unknown else []
        raise ModelInputError(f"{label}: {'; '.join(parts)} (its inputs: {', '.join(names)})")
    return given


def to_json_values(value: object, output: str) -> object:
    """Make the ``tolist()`` of an output JSON-ready: bytes (``tf.string``) become text.

    Args:
        value: A Python scalar or nested lists, from ``numpy.ndarray.tolist()``.
        output: The output name, for messages.

    Returns:
        The same structure with every ``bytes`` decoded from UTF-8.

    Raises:
        ValueError: A string element is not valid UTF-8.
    """
    if isinstance(value, list):
        return [to_json_values(item, output) for item in cast("list[object]", value)]
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"output {output!r} holds bytes that are not UTF-8 text") from exc
    return value


class ServedModel:
    """One loaded SavedModel signature: converts inputs, calls it, converts the outputs."""

    def __init__(self, tf: Any, source: ModelSource, loaded: Any, function: Any) -> None:  # noqa: ANN401 - TensorFlow objects are untyped
        """Wrap a loaded signature.

        Args:
            tf: The ``tensorflow`` module.
            source: Where the model came from.
            loaded: The object ``tf.saved_model.load`` returned (kept: it owns the variables).
            function: Its signature function.
        """
        self.source = source
        self._tf = tf
        self._loaded = loaded
        self._function = function
        self.inputs: dict[str, Any] = dict(function.structured_input_signature[1])
        self.outputs: dict[str, Any] = dict(function.structured_outputs)
        self.label = f"model {source.name!r} (signature {source.signature_key!r})"

    def describe(self) -> dict[str, object]:
        """Describe the signature for logs.

        Returns:
            ``{"inputs": {name: "float32 [None, 4]"}, "outputs": {...}}``.
        """
        return {
            "inputs": {name: _spec_text(spec) for name, spec in self.inputs.items()},
            "outputs": {name: _spec_text(spec) for name, spec in self.outputs.items()},
        }

    def run(self, model_input: object) -> dict[str, object]:
        """Run the signature on a JSON-like input.

        Args:
            model_input: See the module docstring.

        Returns:
            Output name -> nested Python lists or scalars.

        Raises:
            ModelInputError: The input does not fit the signature.
        """
        values = match_inputs(model_input, list(self.inputs), self.label)
        tensors = {name: self._tensor(name, value) for name, value in values.items()}
        outputs = self._function(**tensors)
        return {name: to_json_values(t.numpy().tolist(), name) for name, t in outputs.items()}

    def _tensor(self, name: str, value: object) -> Any:  # noqa: ANN401 - a tf.Tensor
        spec = self.inputs[name]
        try:
            tensor = self._tf.convert_to_tensor(value, dtype=spec.dtype)
        except (TypeError, ValueError) as exc:
            raise ModelInputError(
                f"{self.label}: input {name!r} cannot be made a {spec.dtype.name} tensor: {exc}"
            ) from exc
        if not spec.shape.is_compatible_with(tensor.shape):
            raise ModelInputError(
                f"{self.label}: input {name!r} has shape {tensor.shape.as_list()}, but the "
                f"signature takes {_spec_text(spec)}"
            )
        return tensor


def _spec_text(spec: Any) -> str:  # noqa: ANN401 - a tf.TensorSpec
    shape = "of any shape" if spec.shape.rank is None else str(spec.shape.as_list())
    return f"{spec.dtype.name} {shape}"


class TensorFlowClient:
    """What ``Handler.__init__`` gets as ``tensorflow_client``: the loaded models, by name."""

    def __init__(self, models: Mapping[str, ServedModel], single: bool) -> None:
        """Create the client.

        Args:
            models: The loaded models by name.
            single: Whether the spec named one model with ``models.path`` (``model_name`` is
                then ignored).
        """
        self._models = dict(models)
        self._single = single

    @property
    def model_names(self) -> list[str]:
        """The names ``predict``'s ``model_name`` accepts.

        Returns:
            The names, in the order of the spec.
        """
        return list(self._models)

    def predict(self, model_input: object, model_name: str | None = None) -> dict[str, object]:
        """Run a model's signature on ``model_input``.

        Args:
            model_input: A dict of input name -> nested lists / numbers / strings, or a single
                value when the signature has one input.
            model_name: Which model (required with ``models.paths`` and ``models.dir``; ignored
                with ``models.path``).

        Returns:
            Output name -> nested Python lists (JSON-serialisable).

        Raises:
            UnknownModelError: ``model_name`` is missing or names no loaded model.
            ModelInputError: The input does not fit the model's signature.
        """
        return self._pick(model_name).run(model_input)

    def _pick(self, model_name: str | None) -> ServedModel:
        if self._single:
            return next(iter(self._models.values()))
        names = ", ".join(self._models)
        if model_name is None:
            raise UnknownModelError(
                f"predict needs a model_name: this API serves the models {names}"
            )
        model = self._models.get(model_name)
        if model is None:
            raise UnknownModelError(f"no model named {model_name!r}; the models are: {names}")
        return model


def load_tensorflow_client(root: Path, models: ModelsSpec) -> TensorFlowClient:
    """Import TensorFlow and load every SavedModel of ``handler.models``.

    Args:
        root: The project root.
        models: The resolved ``handler.models``.

    Returns:
        The client to pass as ``tensorflow_client``.

    Raises:
        HandlerLoadError: TensorFlow is not installed, or a model cannot be found or loaded.
    """
    sources = model_sources(root, models)
    tf = import_tensorflow()
    loaded = {source.name: load_model(tf, source) for source in sources}
    return TensorFlowClient(loaded, single=models.path is not None)


def import_tensorflow() -> Any:  # noqa: ANN401 - the tensorflow module
    """Import ``tensorflow`` (only the tensorflow handler type needs it).

    Returns:
        The module.

    Raises:
        HandlerLoadError: It is not installed in the API's environment.
    """
    # Hide TensorFlow's C++ info lines (oneDNN, CPU features); handler.env can set it otherwise.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    try:
        return importlib.import_module("tensorflow")
    except ImportError as exc:
        raise HandlerLoadError(
            "handler.type tensorflow needs the tensorflow package in the API's environment; add "
            f"tensorflow-cpu (or tensorflow, for GPUs) to requirements.txt: {exc}"
        ) from exc


def load_model(tf: Any, source: ModelSource) -> ServedModel:  # noqa: ANN401 - the tensorflow module
    """Load one SavedModel and pick its signature.

    Args:
        tf: The ``tensorflow`` module.
        source: The model to load.

    Returns:
        The served model.

    Raises:
        HandlerLoadError: The SavedModel cannot be loaded or has no such signature.
    """
    started = time.perf_counter()
    try:
        loaded = tf.saved_model.load(str(source.path))
    except Exception as exc:
        raise HandlerLoadError(
            f"{source.where}: cannot load the SavedModel {source.path}: {type(exc).__name__}: {exc}"
        ) from exc
    signatures = getattr(loaded, "signatures", {})
    if source.signature_key not in signatures:
        raise HandlerLoadError(
            f"{source.where}: the SavedModel {source.path} has no signature "
            f"{source.signature_key!r}; its signatures: {', '.join(signatures) or 'none'} "
            "(set signature_key in handler.models)"
        )
    model = ServedModel(tf, source, loaded, signatures[source.signature_key])
    logging.getLogger(RUNTIME_LOGGER_NAME).info(
        "model loaded",
        extra={
            "model": source.name,
            "model_path": str(source.path),
            "signature_key": source.signature_key,
            "seconds": round(time.perf_counter() - started, 3),
            **model.describe(),
        },
    )
    return model
