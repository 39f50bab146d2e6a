"""The OpenAPI 3 document of both apps' JSON APIs, served by each at ``/api/v1/openapi.json``.

The kiosk API (``/api/v1/kiosk/...``) and the panel's JSON endpoints (``/panel/api/...``)
are one document; every enumeration in it comes from :mod:`attestation.vocabulary`.
"""

from __future__ import annotations

import copy

from attestation.checkin import REFUSALS
from attestation.vocabulary import (NO_VALID_REASON, AbsenceReason, DoorState, IdentifiedBy,
                                    Language, UnlockPhase, ViolationKind, values)

_bad = {"description": "Malformed JSON or wrong types",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_auth = {"description": "No valid kiosk token",
         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_down = {"description": "Out of order: the database is unreachable (code E-DB)",
         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _post(summary, request_schema, ok_schema):
    return {"post": {
        "summary": summary, "security": [{"kioskToken": []}],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{request_schema}"}}}},
        "responses": {"200": {"description": "Done, or refused with a reason code",
                              "content": {"application/json": {"schema": {"oneOf": [
                                  {"$ref": f"#/components/schemas/{ok_schema}"},
                                  {"$ref": "#/components/schemas/Refusal"}]}}}},
                      "400": _bad, "401": _auth, "503": _down}}}


def _get(summary, ok_schema, parameters=()):
    return {"get": {
        "summary": summary, "security": [{"kioskToken": []}], "parameters": list(parameters),
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{ok_schema}"}}}},
            "400": _bad, "401": _auth, "503": _down}}}


def _obj(required, **props):
    return {"type": "object", "required": list(required), "properties": props}


STR = {"type": "string"}
CELL = _obj(["cabinet", "number"], cabinet=STR, number={"type": "integer"})

SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Attestation check-in kiosk API", "version": "1",
             "description": "Check-in of candidates for the attestation of social workers: "
                            "identification, acknowledgements, locker cell."},
    "paths": {
        "/api/v1/kiosk/identify": _post("Identify a person by typed IIN, ID card or digital-ID QR",
                                        "IdentifyRequest", "IdentifyOk"),
        "/api/v1/kiosk/acknowledge": _post("Record that the stage plan or the device rules were acknowledged",
                                           "AcknowledgeRequest", "Ok"),
        "/api/v1/kiosk/checkin": _post("Assign a locker cell and queue its unlock (idempotent)",
                                       "CheckinRequest", "CheckinOk"),
        "/api/v1/kiosk/checkin/{session}": _get(
            "Follow the cell's lock and door", "CheckinState",
            [{"name": "session", "in": "path", "required": True, "schema": STR}]),
        "/api/v1/kiosk/reset": _post("End a kiosk session, if any, and drop queued serial scans (idle timeout, start over, a result shown)",
                                     "ResetRequest", "Ok"),
        "/api/v1/kiosk/health": _get("Database and cabinet reachability", "Health"),
        "/api/v1/kiosk/scans": _get(
            "Scans read by a serial scanner since `after` (without `after`: none, only `last` to ask from: a page never gets what was read before it loaded)", "Scans",
            [{"name": "after", "in": "query", "schema": {"type": "integer"}},
             {"name": "wait", "in": "query", "schema": {"type": "number", "maximum": 25}}]),
    },
    "components": {
        "securitySchemes": {"kioskToken": {"type": "http", "scheme": "bearer",
                                           "description": "Created by `kioskctl kiosk add NAME`"}},
        "schemas": {
            "Error": _obj(["status", "reason"], status={"type": "string", "enum": ["error"]},
                          reason={"type": "string", "enum": ["bad_request", "unauthorized", "out_of_order"]},
                          message=STR, detail=STR, code=STR),
            "Refusal": _obj(["status", "reason", "message"],
                            status={"type": "string", "enum": ["refused"]},
                            reason={"type": "string", "enum": sorted(REFUSALS),
                                    "description": "; ".join(f"{k}: {v}" for k, v in sorted(REFUSALS.items()))},
                            message=STR, what_to_do=STR,
                            needs_staff={"type": "boolean", "description": "the person cannot resolve it at the kiosk: call staff"}),
            "Ok": _obj(["status"], status={"type": "string", "enum": ["ok"]}),
            "IdentifyRequest": _obj(
                ["credential", "language"],
                credential={"type": "string", "maxLength": 2000,
                            "description": "What was typed or scanned: 12-digit IIN, the 3 lines of an ID card's MRZ, or a digital-ID QR payload"},
                language={"type": "string", "enum": list(values(Language)),
                          "description": "The attestation language the person chose"},
                source={"type": "string", "enum": ["keypad", "scanner"], "default": "keypad"}),
            "IdentifyOk": _obj(
                ["status", "session", "candidate", "stages", "identified_by"],
                status={"type": "string", "enum": ["ok"]}, session=STR,
                identified_by={"type": "string", "enum": list(values(IdentifiedBy))},
                language={"type": "string", "enum": list(values(Language))},
                candidate=_obj(["name", "iin"], name=STR,
                               iin={"type": "string", "description": "masked"},
                               identity_to_check={"type": "boolean"}),
                stages={"type": "array", "items": _obj(["name", "minutes"], name=STR,
                                                       minutes={"type": "integer"}, duration=STR)},
                stages_total=STR,
                existing_cell={"allOf": [CELL], "nullable": True}),
            "AcknowledgeRequest": _obj(["session", "what"], session=STR,
                                       what={"type": "string", "enum": ["stages", "rules"]}),
            "CheckinRequest": _obj(["session", "acknowledged_stages", "acknowledged_rules"],
                                   session=STR, acknowledged_stages={"type": "boolean"},
                                   acknowledged_rules={"type": "boolean"}),
            "CheckinOk": _obj(["status", "cell", "repeat"], status={"type": "string", "enum": ["ok"]},
                              cell=CELL, repeat={"type": "boolean"}),
            "CheckinState": _obj(["status", "phase"], status={"type": "string", "enum": ["ok", "refused"]},
                                 phase={"type": "string", "enum": list(values(UnlockPhase))},
                                 cell=CELL, door={"type": "string", "enum": list(values(DoorState))},
                                 has_sensor={"type": "boolean"}, message=STR, what_to_do=STR),
            "ResetRequest": _obj([], session=STR),
            "Health": _obj(["status", "ok", "database"], status=STR, ok={"type": "boolean"},
                           database={"type": "boolean"}, cabinet={"type": "boolean", "nullable": True},
                           code={"type": "string", "nullable": True}),
            "Scans": _obj(["status", "scans"], status=STR, enabled={"type": "boolean"},
                          last={"type": "integer"},
                          scans={"type": "array", "items": _obj(["seq", "credential"],
                                                                seq={"type": "integer"},
                                                                credential=STR)}),
        },
    },
}


# -- the panel ----------------------------------------------------------------------------

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
        {"kind": {"type": "string", "enum": list(values(ViolationKind))}, "description": S,
         "occurred_at": {"type": "string", "description": "HH:MM local time, or ISO 8601"},
         "witnesses": S, "corrects": {"type": "string", "description": "id of the act corrected"}},
        ["kind", "description"]),
    "/panel/api/entries/{entry_id}/absence": _action(
        "Record an absence", {"reason": {"type": "string",
                                          "enum": [*values(AbsenceReason), NO_VALID_REASON]},
                              "document": S, "return_date": {"type": "string", "format": "date"}}, ["reason"]),
    "/panel/api/entries/{entry_id}/decision": _action(
        "Record the protocol decision", {"outcome": S, "category": S, "note": S}, ["outcome"]),
    "/panel/api/entries/{entry_id}/corrections/withdraw_absence": _action(
        "Withdraw an absence recorded by mistake (the candidate is expected again)",
        {"reason": S}, ["reason"]),
    "/panel/api/entries/{entry_id}/corrections/withdraw_admission": _action(
        "Withdraw an admission made by mistake (back to checked in)", {"reason": S}, ["reason"]),
    "/panel/api/entries/{entry_id}/corrections/supersede_decision": _action(
        "Record a new decision in place of the one that stands (which is kept)",
        {"outcome": S, "category": S, "note": S, "reason": S}, ["outcome", "reason"]),
    "/panel/api/entries/{entry_id}/corrections/fix_details": _action(
        "Correct the candidate's name, organisation or position",
        {"last_name": S, "first_name": S, "middle_name": S, "organization": S, "position": S,
         "reason": S}, ["reason"]),
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
    spec = copy.deepcopy(SPEC)
    spec["info"]["title"] = "Attestation check-in: kiosk and commission panel API"
    spec["paths"].update(PANEL_PATHS)
    spec["components"]["schemas"].update(PANEL_SCHEMAS)
    spec["components"]["securitySchemes"].update({
        "panelSession": {"type": "apiKey", "in": "cookie", "name": "panel_session",
                         "description": "Sign in at /panel/login"},
        "csrfHeader": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token",
                       "description": "The token in the panel page's csrf-token meta tag"}})
    return spec
