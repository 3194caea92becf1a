"""Backends, chosen by dotted path as Django chooses cache and e-mail backends.

Only :mod:`.base` is imported here: the AWS and HTTP backends need optional
packages and are loaded when asked for by path or alias.
"""

from __future__ import annotations

import importlib
from typing import Any, Mapping

from ..exceptions import ConfigurationError
from .base import Backend, CapabilityError

#: short names accepted wherever a dotted path is
ALIASES = {
    "aws": "personalize_sdk.backends.aws.AwsBackend",
    "http": "personalize_sdk.backends.http.HttpBackend",
    "local": "personalize_sdk.backends.local.LocalBackend",
    "memory": "personalize_sdk.backends.memory.MemoryBackend",
}

DEFAULT_BACKEND = ALIASES["local"]


def import_backend(path: str) -> type[Backend]:
    """Import the backend class at dotted ``path`` (or an alias from :data:`ALIASES`)."""
    dotted = ALIASES.get(path, path)
    module_name, _, class_name = dotted.rpartition(".")
    if not module_name:
        raise ConfigurationError(f"Backend {path!r} is not a dotted path like 'package.module.ClassName'")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        # A missing optional package arrives as ImproperlyInstalled (an ImportError
        # that is not a ModuleNotFoundError) and is re-raised untouched below.
        if err.name and (module_name == err.name or module_name.startswith(err.name + ".")):
            raise ConfigurationError(f"Backend {path!r} cannot be imported: no module named {err.name!r}") from err
        raise
    try:
        cls = getattr(module, class_name)
    except AttributeError:
        raise ConfigurationError(f"Backend {path!r} cannot be imported: {module_name} has no {class_name!r}") from None
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise ConfigurationError(f"Backend {path!r} is not a subclass of personalize_sdk.backends.base.Backend")
    return cls


def backend_class(backend: Any = None) -> type[Backend]:
    """The class of ``backend`` (an instance, a class, a dotted path or alias,
    or ``None`` for the embedded local engine) without building it, so its
    capability flags can be read from settings alone."""
    if isinstance(backend, Backend):
        return type(backend)
    if backend is None:
        backend = DEFAULT_BACKEND
    cls = import_backend(backend) if isinstance(backend, str) else backend
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise ConfigurationError(f"{backend!r} is neither a Backend instance, a Backend subclass nor a dotted path")
    return cls


def load_backend(backend: Any = None, options: Mapping[str, Any] | None = None) -> Backend:
    """Build a backend from an instance, a class or a dotted path, with ``options``
    passed to its constructor. ``None`` means the embedded local engine."""
    if isinstance(backend, Backend):
        if options:
            raise ConfigurationError("Options cannot be given with a backend instance; pass them to its constructor")
        return backend
    cls = backend_class(backend)
    try:
        return cls(**dict(options or {}))
    except TypeError as err:
        raise ConfigurationError(f"Bad options for the {cls.__name__} backend: {err}") from err


__all__ = [
    "ALIASES",
    "Backend",
    "CapabilityError",
    "DEFAULT_BACKEND",
    "backend_class",
    "import_backend",
    "load_backend",
]
