"""An app's settings and its database: the part of each app factory that is the same."""

from __future__ import annotations

from flask import Flask, current_app
from flask.json.provider import DefaultJSONProvider

from attestation.db import Database

EXTENSION = "attestation_db"


#: No request body of either app nests JSON deeper than this; deeper is bad input, not a
#: RecursionError (a 500).
MAX_JSON_DEPTH = 16


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing bodies nested deeper than :data:`MAX_JSON_DEPTH` as malformed."""

    ensure_ascii = False

    def loads(self, s, **kwargs):
        try:
            data = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        if _depth(data) > MAX_JSON_DEPTH:
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        return data


def _depth(data) -> int:
    deepest, stack = 0, [(data, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in
                         (item.values() if isinstance(item, dict) else item))
    return deepest


def configure(app: Flask, defaults: dict, config: dict | None) -> None:
    """Settings from ``defaults``, then ``ATTESTATION_*`` variables, then ``config``."""
    app.config.from_mapping(defaults)
    app.config.from_prefixed_env("ATTESTATION")
    if config:
        app.config.update(config)
    app.json = BoundedJSONProvider(app)
    # "//" in a path is a malformed id (an encoded "/" in a token), not a reason to redirect.
    app.url_map.merge_slashes = False


def init_database(app: Flask) -> Database:
    """One :class:`Database` per app, from its ``DATABASE_URL`` setting."""
    database = Database(app.config["DATABASE_URL"])
    app.extensions[EXTENSION] = database
    return database


def db() -> Database:
    """The current app's database."""
    return current_app.extensions[EXTENSION]
