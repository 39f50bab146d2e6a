"""Gettext catalogues of both apps (Kazakh and Russian), compiled at start-up.

The ``.po`` files are the source; compiled ``.mo`` files go to a cache directory keyed
by the catalogues' content, so nothing is written into the installed code and no build
step can be forgotten.
"""

from __future__ import annotations

import hashlib
import pathlib
import tempfile
from typing import Callable

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request
from flask_babel import Babel

from attestation.timeutil import ZONE_NAME
from attestation.vocabulary import DEFAULT_LANGUAGE, Language, values

LANGUAGES = values(Language)


def compiled_dir(source: pathlib.Path) -> pathlib.Path:
    pos = sorted(source.glob("*/LC_MESSAGES/messages.po"))
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in pos)).hexdigest()[:16]
    target = pathlib.Path(tempfile.gettempdir()) / f"attestation-i18n-{source.parent.name}-{digest}"
    for po in pos:
        mo = target / po.relative_to(source).with_suffix(".mo")
        if not mo.exists():
            mo.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as f:
                catalog = read_po(f)
            tmp = mo.with_suffix(".tmp")
            with tmp.open("wb") as f:
                write_mo(f, catalog)
            tmp.replace(mo)
    return target


def pick(chosen: str | None) -> str:
    """``chosen`` if it is one of the languages, else the browser's preference, else Russian."""
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def init_app(app: Flask, source: pathlib.Path, chosen: Callable[[], str | None]) -> None:
    """Serve the catalogues under ``source``; ``chosen()`` names the language picked, if any."""
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled_dir(source))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE.value)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", ZONE_NAME)
    Babel(app, locale_selector=lambda: pick(chosen()))
