"""Loading the user's handler: stage the project, import the file, find, check and build Handler.

For ``handler.type: tensorflow`` the SavedModels of ``handler.models`` are loaded after the
signatures are checked and before ``__init__`` runs, which gets them as ``tensorflow_client``.

Every failure raises :class:`~glia_runtime.errors.HandlerLoadError` with a message that names the
file, and the original exception as its ``__cause__``.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from glia_runtime.errors import HandlerLoadError
from glia_runtime.metrics import MetricsClient
from glia_runtime.signature import HandlerSignature, check_handler_class, select_args
from glia_runtime.spec import HandlerSpec
from glia_runtime.tensorflow_client import TensorFlowClient, load_tensorflow_client

HANDLER_CLASS_NAME = "Handler"


@dataclass(frozen=True)
class LoadedHandler:
    """A constructed Handler and what the runtime needs to call it.

    Attributes:
        instance: The Handler object.
        signature: Which arguments its methods take.
        path: The handler file, relative to the project root.
        seconds: How long importing and constructing it took.
    """

    instance: object
    signature: HandlerSignature
    path: str
    seconds: float


def load_handler(project: Path, spec: HandlerSpec, metrics_client: MetricsClient) -> LoadedHandler:
    """Stage the project, then import, check and construct the Handler once.

    Args:
        project: The project root (becomes the working directory and ``sys.path[0]``).
        spec: The resolved ``handler`` section of the spec.
        metrics_client: Passed to ``__init__`` when it declares ``metrics_client``.

    Returns:
        The loaded handler.

    Raises:
        HandlerLoadError: Any step failed.
    """
    started = time.perf_counter()
    root = stage_project(project, spec.python_path)
    module = import_handler_module(root, spec.path)
    cls = find_handler_class(module, spec.path)
    signature = check_handler_class(cls, spec.path, spec.type)
    init_args: dict[str, object] = {
        "config": copy.deepcopy(spec.config),
        "metrics_client": metrics_client,
    }
    if spec.type == "tensorflow":
        init_args["tensorflow_client"] = tensorflow_client(root, spec)
    instance = construct_handler(cls, select_args(signature.init_args, init_args), spec.path)
    return LoadedHandler(instance, signature, spec.path, time.perf_counter() - started)


def tensorflow_client(root: Path, spec: HandlerSpec) -> TensorFlowClient:
    """Load the SavedModels of a tensorflow handler.

    Args:
        root: The project root.
        spec: The handler section (``type`` tensorflow).

    Returns:
        The client passed as ``tensorflow_client``.

    Raises:
        HandlerLoadError: ``models`` is missing, TensorFlow is not installed, or a model cannot
            be loaded.
    """
    if spec.models is None:  # control-plane/config refuses this; kept for callers building specs
        raise HandlerLoadError("handler.models must be defined for handler.type tensorflow")
    return load_tensorflow_client(root, spec.models)


def stage_project(project: Path, python_path: str | None) -> Path:
    """Make the project the working directory and put it (then ``python_path``) first on sys.path.

    Args:
        project: The project root.
        python_path: A folder relative to the project to import from as well, or None.

    Returns:
        The project root as an absolute path.

    Raises:
        HandlerLoadError: The project folder or the ``python_path`` folder does not exist.
    """
    root = project.resolve()
    if not root.is_dir():
        raise HandlerLoadError(f"the project directory {project} does not exist")
    entries = [str(root)]
    if python_path is not None:
        extra = (root / python_path).resolve()
        if not extra.is_dir():
            raise HandlerLoadError(
                f"handler.python_path {python_path!r} is not a directory in the project "
                f"(looked for {extra})"
            )
        entries.append(str(extra))
    os.chdir(root)
    for entry in reversed(entries):
        while entry in sys.path:
            sys.path.remove(entry)
        sys.path.insert(0, entry)
    return root


def import_handler_module(root: Path, path: str) -> ModuleType:
    """Import the handler file as a top-level module named after its stem.

    The module is registered in ``sys.modules`` (so pickling and ``import handler`` find it).

    Args:
        root: The project root.
        path: The handler file, relative to ``root``.

    Returns:
        The executed module.

    Raises:
        HandlerLoadError: The file is missing, not a ``.py`` file, clashes with an imported
            module, or raised while it ran.
    """
    file = (root / path).resolve()
    name = _module_name(file, path)
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise HandlerLoadError(f"{path} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        sys.modules.pop(name, None)
        raise HandlerLoadError(
            f"{path} could not be imported: {type(exc).__name__}: {exc}"
        ) from exc
    return module


def _module_name(file: Path, path: str) -> str:
    if file.suffix != ".py":
        raise HandlerLoadError(f"handler.path must name a .py file, got {path!r}")
    if not file.is_file():
        raise HandlerLoadError(f"{path} does not exist in the project (looked for {file})")
    name = file.stem
    existing = sys.modules.get(name)
    if existing is not None and getattr(existing, "__file__", None) != str(file):
        raise HandlerLoadError(
            f"{path} would be imported as module {name!r}, but a module of that name is already "
            f"imported ({getattr(existing, '__file__', None) or 'built in'}); rename the file"
        )
    return name


def find_handler_class(module: ModuleType, path: str) -> type:
    """Return the class named ``Handler`` defined in the handler module.

    Args:
        module: The imported handler module.
        path: The handler file, for messages.

    Returns:
        The class.

    Raises:
        HandlerLoadError: There is no ``Handler``, or it is not a class.
    """
    cls = vars(module).get(HANDLER_CLASS_NAME)
    if cls is None:
        raise HandlerLoadError(
            f"{path} does not define a class named Handler; define `class Handler:` with a "
            "`handle_async(self, payload, request_id)` method"
        )
    if not isinstance(cls, type):
        raise HandlerLoadError(f"{path}: Handler must be a class, got {type(cls).__name__}")
    return cls


def construct_handler(cls: type, kwargs: dict[str, object], path: str) -> object:
    """Call ``Handler(**kwargs)`` once.

    Args:
        cls: The Handler class.
        kwargs: The declared ``__init__`` arguments.
        path: The handler file, for messages.

    Returns:
        The Handler instance.

    Raises:
        HandlerLoadError: ``__init__`` raised; the original exception is the cause.
    """
    try:
        return cls(**kwargs)
    except (Exception, SystemExit) as exc:
        raise HandlerLoadError(
            f"{path}: Handler.__init__ raised {type(exc).__name__}: {exc}"
        ) from exc
