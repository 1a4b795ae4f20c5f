"""Checks JSON the emulator emits against the official SDK's models, more strictly than the SDK itself.

The SDK's deserialiser silently drops unknown fields, coerces primitives (`bool("false")` is True) and
turns unknown enum values into "outdated_sdk_version". A faithful emulator must emit only fields the
models know, with the right JSON types, timestamps the SDK parses, and enum values the SDK accepts.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from dateutil.parser import isoparse

from harness import gc

_LIST = re.compile(r"^list\[(.*)\]$")
_DICT = re.compile(r"^dict\(([^,]*), (.*)\)$")
_SCRATCH = gc.ApiClient(host="http://127.0.0.1:1")
OUTDATED = "outdated_sdk_version"


def _model(name: str) -> Any:
    cls = getattr(gc.models, name, None)
    if cls is None:
        raise AssertionError(f"SDK has no model {name}")
    return cls


def shape_problems(data: Any, klass: str, path: str = "$") -> list[str]:
    """Every way `data` deviates from the SDK type `klass`; empty when it conforms."""
    problems: list[str] = []
    _walk(data, klass, path, problems)
    return problems


def _walk(value: Any, klass: str, path: str, problems: list[str]) -> None:
    if value is None:
        return  # null is tolerated structurally; enum setters that crash on it are caught by sdk_problems
    m = _LIST.match(klass)
    if m:
        if not isinstance(value, list):
            problems.append(f"{path}: expected array ({klass}), got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            _walk(item, m.group(1), f"{path}[{i}]", problems)
        return
    m = _DICT.match(klass)
    if m:
        if not isinstance(value, dict):
            problems.append(f"{path}: expected object ({klass}), got {type(value).__name__}")
            return
        for k, item in value.items():
            _walk(item, m.group(2), f"{path}.{k}", problems)
        return
    if klass == "str":
        if not isinstance(value, str):
            problems.append(f"{path}: expected string, got {type(value).__name__} {value!r}")
        return
    if klass == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{path}: expected integer, got {type(value).__name__} {value!r}")
        return
    if klass == "float":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            problems.append(f"{path}: expected number, got {type(value).__name__} {value!r}")
        return
    if klass == "bool":
        if not isinstance(value, bool):
            problems.append(f"{path}: expected boolean, got {type(value).__name__} {value!r}")
        return
    if klass in ("datetime", "LocalDateTime"):
        if not isinstance(value, str):
            problems.append(f"{path}: expected ISO-8601 string, got {type(value).__name__}")
            return
        try:
            parsed = isoparse(value)
        except ValueError:
            problems.append(f"{path}: {value!r} is not ISO-8601")
            return
        if klass == "datetime" and isinstance(parsed, datetime) and parsed.tzinfo is None:
            problems.append(f"{path}: {value!r} has no time zone (Genesys emits UTC with Z)")
        return
    if klass == "date":
        if not isinstance(value, str):
            problems.append(f"{path}: expected date string, got {type(value).__name__}")
        return
    if klass in ("object", "YearMonth"):
        return
    cls = _model(klass)
    if not isinstance(value, dict):
        problems.append(f"{path}: expected object ({klass}), got {type(value).__name__} {str(value)[:80]!r}")
        return
    inst = cls()
    by_json = {json_key: attr for attr, json_key in inst.attribute_map.items()}
    for key, item in value.items():
        attr = by_json.get(key)
        if attr is None:
            problems.append(f"{path}.{key}: field unknown to SDK model {klass}")
            continue
        _walk(item, inst.swagger_types[attr], f"{path}.{key}", problems)


def sdk_problems(data: Any, klass: str) -> list[str]:
    """Runs the SDK's real deserialiser; reports crashes and values it maps to outdated_sdk_version."""
    try:
        obj = _SCRATCH._ApiClient__deserialize(data, klass)  # the SDK's own code path
    except Exception as err:  # noqa: BLE001 - any crash of the SDK on our JSON is a finding
        return [f"SDK deserialiser raised {type(err).__name__}: {err}"]
    problems: list[str] = []
    _outdated(obj, "$", problems)
    return problems


def _outdated(obj: Any, path: str, problems: list[str]) -> None:
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            _outdated(item, f"{path}[{i}]", problems)
        return
    if isinstance(obj, dict):
        for k, item in obj.items():
            _outdated(item, f"{path}.{k}", problems)
        return
    if hasattr(obj, "swagger_types") and hasattr(obj, "attribute_map"):
        for attr in obj.swagger_types:
            item = getattr(obj, attr)
            if isinstance(item, str) and item == OUTDATED:
                problems.append(f"{path}.{obj.attribute_map[attr]}: SDK mapped the value to {OUTDATED}")
            else:
                _outdated(item, f"{path}.{obj.attribute_map[attr]}", problems)


def all_problems(data: Any, klass: str) -> list[str]:
    return shape_problems(data, klass) + sdk_problems(data, klass)


def assert_conforms(data: Any, klass: str, what: str = "") -> None:
    problems = all_problems(data, klass)
    assert not problems, f"{what or klass} deviates from SDK model {klass}:\n  " + "\n  ".join(problems[:40])
