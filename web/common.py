"""Helpers shared by the panel's blueprints: answering forms and JSON alike."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, jsonify, redirect, request, session

from attestation.errors import DomainError, InvalidInput

from attestation.vocabulary import DEFAULT_LANGUAGE, Language, values
from webcore.app import db  # noqa: F401  (the views' one way to the database)

from .texts import error_text


def wants_json() -> bool:
    return request.is_json or request.path.startswith("/panel/api/")


def field(name: str, default: str = "") -> str:
    if request.is_json:
        data = request.get_json(silent=True)
        value = data.get(name, default) if isinstance(data, dict) else default
        return value if isinstance(value, str) else default
    return request.form.get(name, default)


def document_lang(*preferred: str | None) -> str:
    """The language of a printed document: ``?lang=``, else ``preferred`` in order (the
    candidate's attestation language, say), else the signed-in user's, else Russian."""
    for lang in (request.args.get("lang"), *preferred, session.get("lang")):
        if lang in values(Language):
            return lang
    return DEFAULT_LANGUAGE


def local_path(target: str | None, fallback: str) -> str:
    """``target`` if it is a path of this panel, else ``fallback``: never a redirect elsewhere.

    A full URL of this host (a Referer) is reduced to its path; "//host", "/\\host" and
    any other scheme or host are refused.
    """
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        if parts.netloc != request.host or parts.scheme not in ("http", "https"):
            return fallback
        target = parts.path + (f"?{parts.query}" if parts.query else "")
    if not target.startswith("/panel/") or target.startswith(("//", "/\\")) or "\\" in target:
        return fallback
    return target


def done(message: str, back: str, **data):
    if wants_json():
        return jsonify(status="ok", message=message, **data)
    flash(message, "ok")
    return redirect(back)


def failed(exc: DomainError, back: str, status: int | None = None):
    """400 for input the rules reject, 409 for an action the candidate's state forbids."""
    if status is None:
        status = 400 if isinstance(exc, InvalidInput) else 409
    message = error_text(exc.code)
    if wants_json():
        return jsonify(status="error", reason=exc.code, message=message), status
    flash(message, "error")
    return redirect(back)
