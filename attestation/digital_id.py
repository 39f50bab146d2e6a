"""The digital documents service adapter: a QR code shown in the eGov app -> its owner.

Our contract with the service (configure its address with ``DIGITAL_ID_URL`` and its key
with ``DIGITAL_ID_KEY``)::

    POST {url}/v1/documents/resolve      Authorization: Bearer {key}
    {"qr": "<the scanned payload>"}
    200 {"document": {"type": "identity_card", "number": "...",
                      "owner": {"iin": "...", "last_name": "...", "first_name": "...",
                                "middle_name": "..."}}}
    404 the QR is unknown or expired

Only identity documents identify a person for the attestation (point 7): an identity
card or a passport; a driving licence or a certificate does not.  Every failure is one
of three exceptions, which the kiosk turns into a refusal screen.  :mod:`.fake_digital_id`
is a local stand-in the tests and the demo use.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import urllib.error
import urllib.request

from .errors import DomainError
from .vocabulary import Refusal

IDENTITY_TYPES = frozenset({"identity_card", "passport"})
DEFAULT_TIMEOUT = 3.0


class ServiceDown(DomainError):
    code = Refusal.IDENTITY_SERVICE_DOWN


class NotIdentityDocument(DomainError):
    code = Refusal.NOT_IDENTITY_DOCUMENT


class DocumentNotFound(DomainError):
    code = Refusal.DOCUMENT_NOT_FOUND


@dataclasses.dataclass(frozen=True)
class DigitalDocument:
    type: str
    number: str
    iin: str
    last_name: str
    first_name: str
    middle_name: str


class DigitalDocumentsClient:
    def __init__(self, url: str, key: str, timeout: float = DEFAULT_TIMEOUT):
        self.url = url.rstrip("/")
        self.key = key
        self.timeout = timeout

    def resolve(self, payload: str) -> DigitalDocument:
        request = urllib.request.Request(
            f"{self.url}/v1/documents/resolve", method="POST",
            data=json.dumps({"qr": payload}).encode(),
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                body = json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise DocumentNotFound("the digital document is unknown or expired") from None
            raise ServiceDown(f"the digital documents service answered {exc.code}") from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as exc:
            raise ServiceDown(f"the digital documents service is unreachable: {exc}") from None
        except (ValueError, UnicodeDecodeError):
            raise ServiceDown("the digital documents service sent an unreadable answer") from None
        try:
            doc = body["document"]
            owner = doc["owner"]
            result = DigitalDocument(str(doc["type"]), str(doc.get("number", "")),
                                     str(owner["iin"]), str(owner.get("last_name", "")),
                                     str(owner.get("first_name", "")),
                                     str(owner.get("middle_name", "") or ""))
        except (KeyError, TypeError):
            raise ServiceDown("the digital documents service sent an unexpected answer") from None
        if result.type not in IDENTITY_TYPES:
            raise NotIdentityDocument(f"a {result.type} is not an identity document")
        return result


def same_name(a: str, b: str) -> bool:
    """Names compared as people write them: case, ё/е and extra spaces do not matter."""
    def norm(s: str) -> str:
        return " ".join((s or "").casefold().replace("ё", "е").split())
    return norm(a) == norm(b)
