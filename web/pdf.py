"""The panel's documents as PDF: one look for the act, the protocol and the attestation file.

A document is A4 (the protocol's table: A4 landscape), set in DejaVu Sans, the one free
font on Debian and Raspberry Pi OS that has every Kazakh letter (ә ғ қ ң ө ұ ү һ і).
Texts come already translated (the callers build them under ``force_locale``); this
module only lays them out.  A draft carries a grey "draft" band at the top of every page,
so a draft never passes for the signed document, even on a single printed page.

fpdf2 and the fonts it brings (about 35 MiB with Pillow and numpy) are loaded with the
first PDF asked for (:mod:`web.pdf_layout`, which holds the whole layout and imports
nothing of this module), not when the panel starts.
"""

from __future__ import annotations

from flask import Response


def Document(landscape: bool = False, draft: str = ""):  # noqa: N802 (it makes a Document)
    """A new A4 document with the panel's fonts and blocks; ``draft``: the draft band's text."""
    from .pdf_layout import Document as Layout
    return Layout(landscape, draft)


def pdf_response(data: bytes, filename: str) -> Response:
    """A PDF the browser shows inline (and saves under ``filename``)."""
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})
