"""Loading one row for a view, or answering 404 (flaskr's ``get_post``)."""

from __future__ import annotations

from flask import abort
from sqlalchemy.orm import Session

from attestation import loaders
from attestation.errors import NotFound


def get_or_404(session: Session, model, ident, *options):
    """``model`` with primary key ``ident`` and the eager ``options`` applied, or 404."""
    try:
        return loaders.get(session, model, ident, *options)
    except NotFound:
        abort(404)
