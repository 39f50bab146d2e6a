"""The OpenAPI 3 description of the kiosk API, served at ``/api/v1/openapi.json``."""

from attestation.checkin import REFUSALS

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
        "/api/v1/kiosk/reset": _post("End a kiosk session (idle timeout, start over)",
                                     "ResetRequest", "Ok"),
        "/api/v1/kiosk/health": _get("Database and cabinet reachability", "Health"),
        "/api/v1/kiosk/scans": _get(
            "Scans read by a serial scanner", "Scans",
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
                            message=STR, what_to_do=STR),
            "Ok": _obj(["status"], status={"type": "string", "enum": ["ok"]}),
            "IdentifyRequest": _obj(
                ["credential", "language"],
                credential={"type": "string", "maxLength": 2000,
                            "description": "What was typed or scanned: 12-digit IIN, the 3 lines of an ID card's MRZ, or a digital-ID QR payload"},
                language={"type": "string", "enum": ["kk", "ru"],
                          "description": "The attestation language the person chose"},
                source={"type": "string", "enum": ["keypad", "scanner"], "default": "keypad"}),
            "IdentifyOk": _obj(
                ["status", "session", "candidate", "stages", "identified_by"],
                status={"type": "string", "enum": ["ok"]}, session=STR,
                identified_by={"type": "string", "enum": ["iin", "mrz", "barcode", "digital_id"]},
                language={"type": "string", "enum": ["kk", "ru"]},
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
                                 phase={"type": "string", "enum": ["none", "opening", "put_devices", "done", "lock_fault"]},
                                 cell=CELL, door={"type": "string", "enum": ["unknown", "open", "closed"]},
                                 has_sensor={"type": "boolean"}, message=STR, what_to_do=STR),
            "ResetRequest": _obj(["session"], session=STR),
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
