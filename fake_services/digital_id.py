"""A local stand-in for the digital documents service (tests and the demo only).

Speaks the contract of :mod:`attestation.digital_id` on 127.0.0.1; knobs: ``delay``
(seconds before answering, to exercise timeouts) and ``fail`` (answer 503).
"""

from __future__ import annotations

import json
import threading
import time

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


class _Quiet(WSGIRequestHandler):
    """No access log: in ``make demo`` it would be printed into the ``scan>`` prompt."""

    def log_request(self, *args, **kwargs) -> None:
        pass


class FakeDigitalDocuments:
    def __init__(self, key: str = "demo-key", port: int = 0):
        self.key = key
        self.documents: dict[str, dict] = {}
        self.delay = 0.0
        self.fail = False
        self.requests = 0
        self._server = make_server("127.0.0.1", port, self._app, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def add(self, qr: str, *, iin: str, last_name: str, first_name: str, middle_name: str = "",
            doc_type: str = "identity_card", number: str = "") -> str:
        self.documents[qr] = {"type": doc_type, "number": number or f"0{iin[-8:]}",
                              "owner": {"iin": iin, "last_name": last_name,
                                        "first_name": first_name, "middle_name": middle_name}}
        return qr

    @Request.application
    def _app(self, request: Request) -> Response:
        self.requests += 1
        if self.delay:
            time.sleep(self.delay)
        if self.fail:
            return Response("unavailable", status=503)
        if request.path != "/v1/documents/resolve" or request.method != "POST":
            return Response("not found", status=404)
        if request.headers.get("Authorization") != f"Bearer {self.key}":
            return Response("unauthorised", status=401)
        try:
            qr = json.loads(request.get_data(as_text=True))["qr"]
        except (ValueError, KeyError, TypeError):
            return Response("bad request", status=400)
        doc = self.documents.get(qr)
        if doc is None:
            return Response(json.dumps({"error": "unknown"}), status=404,
                            content_type="application/json")
        return Response(json.dumps({"document": doc}, ensure_ascii=False),
                        content_type="application/json")

    def stop(self) -> None:
        self._server.shutdown()
