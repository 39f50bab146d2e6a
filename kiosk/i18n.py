"""Gettext catalogues for the kiosk: Kazakh and Russian, compiled at start-up.

The ``.po`` files are the source; compiled ``.mo`` files go to a cache directory keyed
by the catalogues' content, so nothing is written into the installed code and no build
step can be forgotten.
"""

from __future__ import annotations

import hashlib
import pathlib
import tempfile

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import g, request
from flask_babel import Babel

LANGUAGES = ("kk", "ru")
SOURCE = pathlib.Path(__file__).with_name("translations")


def compiled_dir(source: pathlib.Path = SOURCE) -> pathlib.Path:
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


def select_locale() -> str:
    lang = getattr(g, "language", None)
    if lang in LANGUAGES:
        return lang
    return request.accept_languages.best_match(LANGUAGES) or "ru"


def init_app(app, source: pathlib.Path = SOURCE) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled_dir(source))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "ru")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Almaty")
    Babel(app, locale_selector=select_locale)
