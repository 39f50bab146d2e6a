"""An app's settings and its database: the part of each app factory that is the same."""

from __future__ import annotations

from flask import Flask, current_app

from attestation.db import Database

EXTENSION = "attestation_db"


def configure(app: Flask, defaults: dict, config: dict | None) -> None:
    """Settings from ``defaults``, then ``ATTESTATION_*`` variables, then ``config``."""
    app.config.from_mapping(defaults)
    app.config.from_prefixed_env("ATTESTATION")
    if config:
        app.config.update(config)
    app.json.ensure_ascii = False
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
