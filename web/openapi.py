"""The panel's JSON endpoints, added to the kiosk API's OpenAPI document: one document for both."""

from __future__ import annotations

import copy

from kiosk.openapi import SPEC as KIOSK_SPEC


def _action(summary, fields=None, required=()):
    body = {"type": "object", "required": list(required),
            "properties": {k: v for k, v in (fields or {}).items()}}
    return {"post": {
        "summary": summary, "security": [{"panelSession": [], "csrfHeader": []}],
        "parameters": [{"name": "entry_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "requestBody": {"required": False, "content": {"application/json": {"schema": body}}},
        "responses": {"200": {"description": "Done", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PanelOk"}}}},
                      "400": {"description": "Bad input (a rule rejects a value) or CSRF token missing", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PanelError"}}}},
                      "401": {"description": "Not signed in"}, "403": {"description": "Role not allowed"},
                      "409": {"description": "Not allowed in the candidate's state", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PanelError"}}}}}}}


S = {"type": "string"}
PANEL_PATHS = {
    "/panel/api/sittings/{sitting_id}/board": {"get": {
        "summary": "The live board of a sitting: counts and one row per candidate",
        "security": [{"panelSession": []}],
        "parameters": [{"name": "sitting_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "The board", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Board"}}}},
                      "401": {"description": "Not signed in"}, "403": {"description": "Role not allowed"},
                      "404": {"description": "No such sitting"}}}},
    "/panel/api/sittings/{sitting_id}/events": {"get": {
        "summary": "Server-Sent Events: `change` whenever the board changes",
        "security": [{"panelSession": []}],
        "parameters": [{"name": "sitting_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "text/event-stream"}}}},
    "/panel/api/entries/{entry_id}/admit": _action(
        "Confirm the presented documents and admit", {"qualification_document": S,
                                                       "identity_checked": {"type": "string", "enum": ["1", ""]}},
        ["qualification_document"]),
    "/panel/api/entries/{entry_id}/call-in": _action("Call the candidate in to the interview"),
    "/panel/api/entries/{entry_id}/finish": _action("Mark the interview finished"),
    "/panel/api/entries/{entry_id}/return-devices": _action("Queue the unlock of the candidate's cell"),
    "/panel/api/entries/{entry_id}/violation": _action(
        "Draw up an act of violation (removes the candidate)",
        {"kind": {"type": "string", "enum": ["device", "literature", "other"]}, "description": S,
         "occurred_at": {"type": "string", "description": "HH:MM local time, or ISO 8601"},
         "witnesses": S, "corrects": {"type": "string", "description": "id of the act corrected"}},
        ["kind", "description"]),
    "/panel/api/entries/{entry_id}/absence": _action(
        "Record an absence", {"reason": {"type": "string", "enum": ["sick_leave", "vacation", "child_illness",
                                                                   "bereavement", "business_trip", "none"]},
                              "document": S, "return_date": {"type": "string", "format": "date"}}, ["reason"]),
    "/panel/api/entries/{entry_id}/decision": _action(
        "Record the protocol decision", {"outcome": S, "category": S, "note": S}, ["outcome"]),
}
PANEL_SCHEMAS = {
    "PanelOk": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string", "enum": ["ok"]}, "message": S}},
    "PanelError": {"type": "object", "required": ["status", "reason"], "properties": {
        "status": {"type": "string", "enum": ["error"]}, "reason": S, "message": S}},
    "Board": {"type": "object", "required": ["status", "counts", "rows", "version"], "properties": {
        "status": S, "version": S, "total": {"type": "integer"},
        "sitting": {"type": "object"}, "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
        "rows": {"type": "array", "items": {"type": "object"}}}},
}


def full_spec() -> dict:
    spec = copy.deepcopy(KIOSK_SPEC)
    spec["info"]["title"] = "Attestation check-in: kiosk and commission panel API"
    spec["paths"].update(PANEL_PATHS)
    spec["components"]["schemas"].update(PANEL_SCHEMAS)
    spec["components"]["securitySchemes"].update({
        "panelSession": {"type": "apiKey", "in": "cookie", "name": "panel_session",
                         "description": "Sign in at /panel/login"},
        "csrfHeader": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token",
                       "description": "The token in the panel page's csrf-token meta tag"}})
    return spec
