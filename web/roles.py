"""Who may do what in the panel: the one role matrix every route is checked against."""

ADMIN, SECRETARY, CHAIR, MEMBER, OPERATOR = "admin", "secretary", "chair", "member", "operator"
STAFF = frozenset({ADMIN, SECRETARY, CHAIR, MEMBER, OPERATOR})
COMMISSION = frozenset({SECRETARY, CHAIR, MEMBER})

#: permission -> roles that hold it
PERMISSIONS: dict[str, frozenset[str]] = {
    "board.view": STAFF,                                     # the live board of a sitting
    "candidate.search": frozenset({ADMIN, SECRETARY, CHAIR, MEMBER}),
    "sitting.manage": frozenset({ADMIN, SECRETARY}),         # open / close a sitting
    "admission": frozenset({SECRETARY, CHAIR}),              # documents, admit, call in, finish
    "violation.record": frozenset({CHAIR, MEMBER}),
    "violation.print": frozenset({SECRETARY, CHAIR, MEMBER}),
    "devices.return": frozenset({OPERATOR, SECRETARY}),
    "cabinet.view": frozenset({OPERATOR, ADMIN, SECRETARY}),
    "cabinet.manage": frozenset({OPERATOR, ADMIN}),          # out of service, force open
    "absence.record": frozenset({SECRETARY}),
    "decision.record": frozenset({CHAIR, SECRETARY}),
    "protocol.export": frozenset({SECRETARY, CHAIR}),
    "roster.import": frozenset({SECRETARY, ADMIN}),
    "audit.view": frozenset({ADMIN, CHAIR, SECRETARY}),
}


def allowed(role: str | None, permission: str) -> bool:
    return role in PERMISSIONS[permission]
