"""Domain errors.

Every error carries a stable ``code`` from a closed set so that the kiosk, the panel and
the CLI can each show it in the user's language; ``str(error)`` is an English
explanation for logs and the technician's CLI.  Each class also subclasses the builtin
that best describes it, so callers that only know Python can still catch it.
"""


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


class NoFreeCell(DomainError):
    """Every in-service cell of the cabinet is taken."""

    code = "cabinet_full"


class Conflict(DomainError):
    """Someone else changed the same thing at the same moment; try again."""

    code = "conflict"


#: The longest free text (a reason, a document reference) a column holds.
TEXT_LIMIT = 300


def check_length(text: str, what: str, limit: int = TEXT_LIMIT) -> str:
    """Refuse, rather than cut, a text its column cannot hold: nothing is silently lost."""
    if len(text) > limit:
        raise InvalidInput(f"{what} is longer than {limit} characters", code="too_long")
    return text
