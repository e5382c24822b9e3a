"""Name -> builder registries for swappable components (models, losses, optimizers, ...).

A config names a component and gives its arguments (``model: rnn_classifier`` plus
``model_args: {...}``). The registry checks those arguments against the builder's
signature before anything is built: unknown keys, missing keys and wrong types are
:class:`~kaldinn.errors.ConfigError` messages that list the valid choices. Values the
program derives from the data (``input_dim``, ``num_classes``, ``params``) are passed by
the caller and may not appear in the config.

Example::

    OPTIMIZERS = Registry("optim")

    @OPTIMIZERS.register("sgd")
    def sgd(params, lr: float = 0.1, momentum: float = 0.0):
        return torch.optim.SGD(params, lr=lr, momentum=momentum)

    opt = OPTIMIZERS.build("sgd", {"lr": "1e-2"}, params=model.parameters())
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Iterable
from typing import Any, Literal, Union, get_args, get_origin

from kaldinn.errors import ConfigError


class Registry:
    """A mapping from component names to builders (classes or functions)."""

    def __init__(self, kind: str):
        self.kind = kind
        self._builders: dict[str, Callable[..., Any]] = {}

    def register(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator registering ``builder`` under ``name``."""

        def add(builder: Callable[..., Any]) -> Callable[..., Any]:
            if name in self._builders:
                raise ValueError(f"{self.kind} '{name}' is registered twice")
            self._builders[name] = builder
            return builder

        return add

    def names(self) -> list[str]:
        return sorted(self._builders)

    def __contains__(self, name: object) -> bool:
        return name in self._builders

    def get(self, name: str) -> Callable[..., Any]:
        if name not in self._builders:
            raise ConfigError(f"unknown {self.kind} '{name}'; valid choices: {', '.join(self.names())}")
        return self._builders[name]

    def check_args(
        self, name: str, args: dict[str, Any] | None, derived: Iterable[str] = ()
    ) -> dict[str, Any]:
        """Return ``args`` type-checked (and coerced) against the builder's signature."""
        args = dict(args or {})
        derived = set(derived)
        params = {
            p.name: p
            for p in inspect.signature(self.get(name), eval_str=True).parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }
        valid = [key for key in params if key not in derived]
        where = f"{self.kind}_args of {self.kind} '{name}'"
        for key in args:
            if key in derived:
                raise ConfigError(f"{where}: '{key}' is derived from the data; remove it from the config")
            if key not in params:
                raise ConfigError(f"{where}: unknown key '{key}'; valid keys: {', '.join(valid)}")
        for key in valid:
            param = params[key]
            if key in args:
                args[key] = coerce(args[key], param.annotation, f"{where}: '{key}'")
            elif param.default is inspect.Parameter.empty:
                raise ConfigError(f"{where}: missing required key '{key}'")
        return args

    def build(self, name: str, args: dict[str, Any] | None = None, **derived: Any) -> Any:
        """Check ``args`` and call the builder with them plus the ``derived`` values."""
        checked = self.check_args(name, args, derived=derived)
        return self.get(name)(**derived, **checked)


def coerce(value: Any, annotation: Any, where: str) -> Any:
    """Check ``value`` against a type annotation; return it converted where that is lossless.

    YAML reads ``1e-3`` as a string, so float fields accept numeric strings; ints are
    accepted for floats; lists and tuples convert into each other.
    """
    if annotation in (inspect.Parameter.empty, Any):
        return value
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        for option in get_args(annotation):
            try:
                return coerce(value, option, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where}: expected {type_name(annotation)}, got {value!r}")
    if origin is Literal:
        if value in get_args(annotation):
            return value
        choices = ", ".join(str(c) for c in get_args(annotation))
        raise ConfigError(f"{where}: invalid value {value!r}; valid choices: {choices}")
    if origin in (list, tuple) or annotation in (list, tuple):
        return _coerce_sequence(value, annotation, where)
    return _coerce_scalar(value, annotation, where)


def _coerce_sequence(value: Any, annotation: Any, where: str) -> Any:
    if not isinstance(value, list | tuple):
        raise ConfigError(f"{where}: expected {type_name(annotation)} (a YAML list), got {value!r}")
    origin = get_origin(annotation) or annotation
    item_types = get_args(annotation)
    if origin is tuple and item_types and item_types[-1] is not Ellipsis:
        if len(value) != len(item_types):
            raise ConfigError(f"{where}: expected {len(item_types)} values, got {value!r}")
        return tuple(coerce(v, t, where) for v, t in zip(value, item_types, strict=True))
    item_type = item_types[0] if item_types else Any
    return origin(coerce(v, item_type, where) for v in value)


def _coerce_scalar(value: Any, annotation: Any, where: str) -> Any:
    ok = False
    if annotation is type(None):
        ok = value is None
    elif annotation is bool:
        ok = isinstance(value, bool)
    elif annotation is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif annotation is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                ok = False
    elif annotation is str:
        ok = isinstance(value, str)
    elif get_origin(annotation) is dict or annotation is dict:
        ok = isinstance(value, dict)
    else:
        ok = True  # a type we do not check (e.g. a module); the builder decides
    if not ok:
        raise ConfigError(f"{where}: expected {type_name(annotation)}, got {value!r}")
    return value


def type_name(annotation: Any) -> str:
    """Readable name of a type annotation for error messages."""
    if isinstance(annotation, type) and not get_args(annotation):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


__all__ = ["Registry", "coerce", "type_name"]
