"""Content keys: a stable hash of what defines a stage's output.

A stage's key covers its steps' classes, code and configuration, its shards, and the keys of
the stages it reads. A rerun reuses every stage whose key is unchanged, like a build system.
Functions (lambdas included) are keyed by their bytecode, constants and closure values, so
changing ``> 200`` to ``> 300`` in a lambda changes the key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import types
from typing import Any

import orjson

from shardflow._version import __version__


def _code_token(code: types.CodeType) -> Any:
    consts = [_code_token(c) if isinstance(c, types.CodeType) else fingerprint(c) for c in code.co_consts]
    return {"code": hashlib.sha256(code.co_code).hexdigest(), "consts": consts, "names": code.co_names}


def fingerprint(value: Any, _depth: int = 0) -> Any:
    """Turn ``value`` into JSON-able data that changes when the value's meaning changes."""
    if _depth > 20:
        return repr(type(value))
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    if isinstance(value, (list, tuple)):
        return [fingerprint(v, _depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((fingerprint(v, _depth + 1) for v in value), key=repr)
    if isinstance(value, dict):
        return {str(k): fingerprint(v, _depth + 1) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, types.FunctionType):
        closure = [fingerprint(c.cell_contents, _depth + 1) for c in (value.__closure__ or ()) if _has(c)]
        return {
            "fn": value.__qualname__,
            "code": _code_token(value.__code__),
            "defaults": fingerprint(value.__defaults__, _depth + 1),
            "closure": closure,
        }
    if isinstance(value, (types.BuiltinFunctionType, type)):
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    if dataclasses.is_dataclass(value):
        return fingerprint(dataclasses.asdict(value), _depth + 1)
    if hasattr(value, "config") and callable(value.config):
        return {"class": _class_token(type(value)), "config": fingerprint(value.config(), _depth + 1)}
    if hasattr(value, "__dict__"):
        return {"class": _class_token(type(value)), "state": fingerprint(vars(value), _depth + 1)}
    return repr(value)


def _has(cell: types.CellType) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def _class_token(cls: type) -> dict[str, str]:
    """A class's name and a hash of its source: editing a step's code invalidates its stages."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        source = ""
    return {"name": f"{cls.__module__}.{cls.__qualname__}", "source": hashlib.sha256(source.encode()).hexdigest()[:16]}


def digest(data: Any) -> str:
    """A short hex digest of JSON-able ``data``."""
    raw = orjson.dumps({"shardflow": __version__, "data": data}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(raw).hexdigest()[:16]
