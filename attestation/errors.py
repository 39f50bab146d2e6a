"""Domain errors.

Every error carries a stable ``code`` from a closed set so that the kiosk, the panel and
the CLI can each show it in the user's language; ``str(error)`` is an English
explanation for logs and the technician's CLI.  Each class also subclasses the builtin
that best describes it, so callers that only know Python can still catch it.
"""

import unicodedata


class DomainError(Exception):
    """Something the rules of the attestation forbid.  Nothing was changed."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None, **details):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.details = details


class InvalidInput(DomainError, ValueError):
    """Input that is malformed (a bad IIN, a bad date, a bad file)."""

    code = "invalid_input"


class NotFound(DomainError, LookupError):
    """The thing asked for does not exist."""

    code = "not_found"


class IllegalTransition(DomainError):
    """A roster entry cannot go from its current state by the requested event."""

    code = "illegal_transition"


class NotAllowed(DomainError, PermissionError):
    """The rules forbid this change as things stand (the last administrator, say)."""

    code = "not_allowed"


class NoFreeCell(DomainError):
    """Every in-service cell of the cabinet is taken."""

    code = "cabinet_full"


class Conflict(DomainError):
    """Someone else changed the same thing at the same moment; try again."""

    code = "conflict"


#: The longest free text (a reason, a document reference) a column holds.
TEXT_LIMIT = 300
#: The longest description of an act of violation, and of a decision's note or witnesses.
LONG_TEXT_LIMIT = 4000
#: Line breaks and tabs are text in a description; every other control character is not.
_MULTILINE_OK = frozenset("\n\r\t")


def check_text(text: str, what: str, limit: int = TEXT_LIMIT, *, multiline: bool = False) -> str:
    """The one rule for free text: refuse, never cut or clean, what a column or a document
    cannot hold: longer than ``limit``, or with control characters (a NUL byte in a name
    would break every spreadsheet of its sitting)."""
    if len(text) > limit:
        raise InvalidInput(f"{what} is longer than {limit} characters", code="too_long")
    allowed = _MULTILINE_OK if multiline else frozenset()
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text):
        raise InvalidInput(f"{what} contains control characters", code="control_characters")
    return text

