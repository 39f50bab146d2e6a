"""Alphabetical order of names in Kazakh and Russian (one order serves both).

The Kazakh Cyrillic alphabet is the Russian one with nine letters placed after their
nearest Russian ones: А Ә Б В Г Ғ Д Е Ё Ж З И Й К Қ Л М Н Ң О Ө П Р С Т У Ұ Ү Ф Х Һ Ц Ч
Ш Щ Ъ Ы І Ь Э Ю Я.  Russian words sort the same in it.  Sorting by code point instead
puts Ә, Ғ, Қ, Ң, Ө, Ұ, Ү, Һ, І after Я.  Latin letters (a foreign name) come after the
Cyrillic ones, digits before letters.  Written out here rather than through ICU: PyICU
needs a C library build on the Pi, and this order is all the panel needs.
"""

from __future__ import annotations

import functools

ALPHABET = "АӘБВГҒДЕЁЖЗИЙКҚЛМНҢОӨПРСТУҰҮФХҺЦЧШЩЪЫІЬЭЮЯ"
_RANK = {letter: n for n, letter in enumerate(ALPHABET)}


@functools.lru_cache(maxsize=65536)  # a live board sorts the same names on every change
def sort_key(text: str) -> tuple:
    """A key that orders ``text`` alphabetically, ignoring case (then by case and code)."""
    upper = (text or "").upper()
    return tuple((_RANK[ch], 0) if ch in _RANK else (len(ALPHABET) + ord(ch), 0) if ch.isalpha()
                 else (-1, ord(ch)) for ch in upper), text or ""


def name_key(person) -> tuple:
    """Surname, then first name, then patronymic: a person as lists are sorted."""
    return (sort_key(person.last_name), sort_key(person.first_name),
            sort_key(getattr(person, "middle_name", "") or ""))
