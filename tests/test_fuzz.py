"""Bad input everywhere: the JSON APIs fuzzed from their OpenAPI schemas, and every parser.

The request bodies are drawn from the schemas in /api/v1/openapi.json (valid shapes with
random values), mixed with arbitrary JSON and broken bytes.  Nothing may answer 500, and
the database must keep its invariants afterwards.
"""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from attestation import audit, identification, mrz, roster_import
from attestation.checkin import Refused
from attestation.models import Assignment
from kiosk import create_app as kiosk_app
from webcore.openapi import full_spec

from kiosk_site import build_site
from panel_site import add_users, login, panel_app

SPEC = full_spec()
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                    max_leaves=10)


def from_schema(schema, depth=0):
    if "$ref" in schema:
        return from_schema(SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]], depth)
    kind = schema.get("type")
    if "enum" in schema:
        return st.sampled_from(schema["enum"]) | JSON
    if kind == "object" and depth < 3:
        props = {k: from_schema(v, depth + 1) for k, v in schema.get("properties", {}).items()}
        return st.fixed_dictionaries({k: props[k] for k in schema.get("required", [])},
                                     optional={k: v for k, v in props.items() if k not in schema.get("required", [])})
    if kind == "string":
        return st.text(max_size=40) | st.sampled_from(["", "880412450773", "ru", "kk", "1", "x" * 3000])
    if kind == "boolean":
        return st.booleans() | JSON
    if kind == "integer":
        return st.integers(-5, 10**12)
    return JSON


def body_strategy(path):
    op = SPEC["paths"][path]["post"]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    return from_schema(schema) | JSON


KIOSK_POSTS = [p for p in SPEC["paths"] if p.startswith("/api/v1/kiosk/") and "post" in SPEC["paths"][p]]
PANEL_POSTS = [p for p in SPEC["paths"] if p.startswith("/panel/api/entries/")]


@pytest.fixture
def apps(db, db_url):
    site = build_site(db, "loop://", cells=6, candidates=6, kiosks=1)
    add_users(db)
    kiosk = kiosk_app({"DATABASE_URL": db_url, "KIOSK_TOKEN": site.tokens[0]})
    panel = panel_app(db_url)
    yield site, kiosk, panel
    for app in (kiosk, panel):
        app.extensions["attestation_db"].dispose()


def invariants(db):
    with db.read() as s:
        assert audit.verify(s).ok
        for column in (Assignment.cell_id, Assignment.roster_entry_id):
            assert not s.execute(select(column).where(Assignment.released_at.is_(None))
                                 .group_by(column).having(func.count() > 1)).all()


@pytest.mark.parametrize("path", KIOSK_POSTS)
def test_kiosk_api_fuzz(apps, db, path):
    site, kiosk, _ = apps
    client = kiosk.test_client()
    auth = {"Authorization": f"Bearer {site.tokens[0]}"}
    real_session = client.post("/api/v1/kiosk/identify", headers=auth,
                               json={"credential": site.people[0]["iin"], "language": "kk"}).get_json()["session"]

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=body_strategy(path), use_session=st.booleans(), raw=st.binary(max_size=40))
    def run(body, use_session, raw):
        if use_session and isinstance(body, dict) and "session" in body:
            body["session"] = real_session
        r = client.post(path, headers=auth, json=body)
        assert r.status_code in (200, 400), (body, r.status_code, r.get_data(as_text=True)[:200])
        assert r.get_json()["status"] in ("ok", "refused", "error")
        r = client.post(path, headers=dict(auth, **{"Content-Type": "application/json"}), data=raw)
        assert r.status_code in (200, 400)
    run()
    invariants(db)


def test_kiosk_get_endpoints_fuzz(apps, db):
    site, kiosk, _ = apps
    client = kiosk.test_client()
    auth = {"Authorization": f"Bearer {site.tokens[0]}"}

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(token=st.text(max_size=50), after=st.text(max_size=10), wait=st.text(max_size=6))
    def run(token, after, wait):
        from urllib.parse import quote
        r = client.get(f"/api/v1/kiosk/checkin/{quote(token, safe='')}", headers=auth)
        assert r.status_code in (200, 404)
        r = client.get(f"/api/v1/kiosk/scans?after={quote(after)}&wait=0", headers=auth)
        assert r.status_code in (200, 400)
    run()


@pytest.mark.parametrize("path", PANEL_POSTS)
def test_panel_api_fuzz(apps, db, path):
    site, _, panel = apps
    role = {"violation": "chair", "return-devices": "operator"}.get(path.rsplit("/", 1)[1], "secretary")
    client = panel.test_client()
    csrf = login(client, role)
    with db.read() as s:
        from attestation.models import RosterEntry
        ids = s.execute(select(RosterEntry.id)).scalars().all()

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=body_strategy(path), entry=st.sampled_from(ids) | st.integers(-3, 10**9))
    def run(body, entry):
        url = path.replace("{entry_id}", str(entry))
        r = client.post(url, json=body, headers={"X-CSRF-Token": csrf})
        assert r.status_code in (200, 400, 404, 409), (url, body, r.status_code, r.get_data(as_text=True)[:200])
    run()
    invariants(db)


# -- parsers ------------------------------------------------------------------------------

@given(st.text(max_size=120))
def test_mrz_parser_never_crashes(text):
    try:
        mrz.parse(text)
    except mrz.InvalidMRZ:
        pass


@given(st.text(max_size=200), st.sampled_from(["keypad", "scanner"]))
def test_credential_recognition_never_crashes(text, source):
    try:
        assert identification.recognise(text, source) in identification.METHODS
    except Refused as exc:
        assert exc.code == "unreadable_card"


@given(st.binary(max_size=400), st.sampled_from(["r.csv", "r.xlsx", "r.txt", "r"]))
def test_roster_reader_never_crashes(data, name):
    try:
        rows = roster_import.read_rows(name, data)
    except roster_import.RosterFileError as exc:
        assert exc.errors
    else:
        assert all(set(r) == set(roster_import.COLUMNS) for _, r in rows)


@given(st.lists(st.tuples(st.text(max_size=14), st.text(max_size=8), st.text(max_size=8)), max_size=6))
def test_roster_rows_are_validated_not_crashed_on(sitting_rows):
    header = "iin,last_name,first_name\n"
    text = header + "".join(",".join(v.replace(",", " ").replace("\n", " ").replace('"', "")
                                     for v in row) + "\n" for row in sitting_rows)
    try:
        roster_import.read_rows("r.csv", text.encode())
    except roster_import.RosterFileError:
        pass


# -- every panel route, with any form and query ------------------------------------------------

FORM_FIELDS = ("category", "corrects", "description", "document", "identity_checked", "kind", "note",
               "occurred_at", "outcome", "qualification_document", "reason", "return_date", "status",
               "witnesses", "back", "role", "password", "confirmed", "username", "full_name", "venue",
               "current", "repeat")
QUERY_FIELDS = ("cell", "entry", "lang", "next", "q", "since", "sitting")
NASTY = st.sampled_from(["", "0", "-1", "2**31", "9" * 30, "9999-12-31", "0001-01-01", "31.02.2026",
                         "https://evil.example/", "//evil.example", "\x00", "a\tb\rc", "=1+1",
                         "х" * 5000, "' OR 1=1 --", "<script>", "kk", "ru", "open", "closed"])
TEXT = st.text(max_size=30) | NASTY


def _panel_routes(app, ids):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/panel/") or rule.endpoint.endswith(("events", "logout")):
            continue
        view = app.view_functions[rule.endpoint]
        if getattr(view, "permission", None) is None:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, view.permission


def test_every_panel_route_survives_any_form_and_query(apps, db):
    """Every route of the panel, as a role that may use it, with random ids, query strings
    and form fields (dates out of range, control characters, huge texts, foreign URLs)."""
    from panel_site import ROLES
    from web.roles import PERMISSIONS
    _, _, panel = apps
    clients = {}
    for role in ROLES:
        clients[role] = panel.test_client()
        clients[role].csrf = login(clients[role], role)
    routes = list(_panel_routes(panel, {}))
    assert len(routes) > 30

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(pick=st.integers(0, len(routes) - 1), ident=st.integers(-2, 12) | st.integers(2**31 - 2, 2**40),
           form=st.dictionaries(st.sampled_from(FORM_FIELDS), TEXT, max_size=6),
           query=st.dictionaries(st.sampled_from(QUERY_FIELDS), TEXT, max_size=3))
    def run(pick, ident, form, query):
        rule, method, permission = routes[pick]
        role = next(r for r in ROLES if r in PERMISSIONS[permission])
        client = clients[role]
        url = rule.build({name: ident if name.endswith("_id") else "ru" for name in rule.arguments},
                         append_unknown=False)[1] if rule.arguments else rule.rule
        if method == "GET":
            r = client.get(url, query_string=query)
        else:
            r = client.post(url, query_string=query, data=dict(form, csrf_token=client.csrf))
        assert r.status_code < 500, (method, url, query, form, r.status_code)
    run()
    invariants(db)
