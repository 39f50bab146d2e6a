"""Helpers shared by the panel's blueprints: answering forms and JSON alike."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (abort, current_app, flash, g, jsonify, redirect, render_template, request,
                   session)

from attestation import audit, scoping
from attestation.errors import DomainError, InvalidInput
from attestation.vocabulary import DEFAULT_LANGUAGE, Language, values
from webcore.app import db  # noqa: F401  (the views' one way to the database)
from webcore.loaders import get_or_404

from .texts import error_text


def load(session, model, ident, *options):
    """The row a panel view works on, or 404 when it is missing or at a venue the user
    does not belong to (the same answer: another venue's ids reveal nothing)."""
    row = get_or_404(session, model, ident, *options)
    if not scoping.within(g.scope, scoping.venue_id_of(row)):
        abort(404)
    return row


def printed_checkpoint(session) -> str:
    """The audit chain's head as printed at the foot of a document, published as it is
    printed (the paper and the journal then both hold it: see ``kioskctl audit verify``)."""
    head = audit.head(session)
    if head is None:
        return ""
    publisher = current_app.extensions["attestation_db"].audit_publisher
    if publisher is not None:
        publisher.publish(head)
    return head.printed


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


def confirmed() -> bool:
    """Whether an action that removes a person, opens someone's cell, closes a sitting or
    takes away access was confirmed: a form by the confirmation page's button, a JSON
    client by calling the API (it has said what it means)."""
    return wants_json() or request.form.get("confirmed") == "yes"


def confirmation(question: str, back: str, details=(), button: str = ""):
    """The confirmation page: the question, what it touches, and the same form again with
    ``confirmed=yes`` (a real page, not a script dialog: usable by touch and keyboard)."""
    fields = [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "confirmed")]
    return render_template("confirm.html", question=question, details=list(details), fields=fields,
                           action=request.path, back=back, button=button)


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
