"""Validating a JSON request body against a small schema of types and allowed values."""

from __future__ import annotations

from flask import request


class BadRequest(Exception):
    """The body is not what the endpoint takes; ``detail`` says why (English, for developers)."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


def json_body(fields: dict) -> dict:
    """Validate a JSON object against ``{name: (types, required, allowed)}``."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    out = {}
    for name, (types, required, allowed) in fields.items():
        if name not in data or data[name] is None:
            if required:
                raise BadRequest(f"'{name}' is required")
            continue
        value = data[name]
        if not isinstance(value, types) or (types is int and isinstance(value, bool)):
            raise BadRequest(f"'{name}' has the wrong type")
        if allowed is not None and value not in allowed:
            raise BadRequest(f"'{name}' must be one of: {', '.join(map(str, allowed))}")
        out[name] = value
    return out
