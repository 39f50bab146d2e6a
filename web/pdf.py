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

import collections
import functools
import hashlib
import json
import threading
from collections.abc import Callable

from flask import Response

CACHE_BYTES = 64 * 2**20  # about 40 sittings of 40 people, both languages


def Document(texts, landscape: bool = False, draft: str = ""):  # noqa: N802 (it makes a Document)
    """A new A4 document with the panel's fonts and blocks; ``texts``: all it will say (the
    fonts are chosen to have every letter of it); ``draft``: the draft band's text."""
    from .pdf_layout import Document as Layout
    return Layout(texts, landscape, draft)


class _Rendered:
    """Documents already laid out, by layout and texts, the least recently used dropped
    first past ``CACHE_BYTES``.  The key is the texts themselves (their digest), so a
    document can never come back out of date: a change to what it says is another key.
    ``made`` and ``reused`` count layouts and lookups that found one (for tests and benches)."""

    def __init__(self, limit: int):
        self._limit, self._size = limit, 0
        self.made = self.reused = 0
        self._items: collections.OrderedDict[str, bytes] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
                self.reused += 1
            return data

    def put(self, key: str, data: bytes) -> None:
        with self._lock:
            self.made += 1
            if key not in self._items:
                self._items[key] = data
                self._size += len(data)
            while self._size > self._limit and len(self._items) > 1:
                self._size -= len(self._items.popitem(last=False)[1])


RENDERED = _Rendered(CACHE_BYTES)


def remembered(layout: Callable[[dict], bytes]) -> Callable[[dict], bytes]:
    """``layout(texts) -> PDF bytes``, laid out once per distinct ``texts`` in the process
    (fpdf2 takes 20-100 ms a page; a sitting's archive is 80-odd documents, mostly ones that
    did not change since they were last made)."""
    @functools.wraps(layout)
    def cached(texts: dict) -> bytes:
        blob = json.dumps(texts, sort_keys=True, ensure_ascii=False, default=str)
        key = f"{layout.__module__}.{layout.__qualname__}:" + hashlib.sha256(blob.encode()).hexdigest()
        data = RENDERED.get(key)
        if data is None:
            data = layout(texts)
            RENDERED.put(key, data)
        return data
    return cached


def pdf_response(data: bytes, filename: str) -> Response:
    """A PDF the browser shows inline (and saves under ``filename``)."""
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})
