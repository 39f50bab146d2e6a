"""Who may do what in the panel: the one role matrix every route is checked against."""

from attestation.vocabulary import CorrectionKind, Role

ADMIN, SECRETARY, CHAIR, MEMBER, OPERATOR = (Role.ADMIN, Role.SECRETARY, Role.CHAIR, Role.MEMBER,
                                             Role.OPERATOR)
STAFF = frozenset({ADMIN, SECRETARY, CHAIR, MEMBER, OPERATOR})
COMMISSION = frozenset({SECRETARY, CHAIR, MEMBER})

#: permission -> roles that hold it
PERMISSIONS: dict[str, frozenset[str]] = {
    "board.view": STAFF,                                     # the live board of a sitting
    "candidate.search": frozenset({SECRETARY, CHAIR}),      # who admits finds a person
    "sitting.manage": frozenset({ADMIN, SECRETARY}),         # open / close a sitting
    "sitting.reopen": frozenset({ADMIN, CHAIR}),             # reopen a closed one, with a reason
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
    "users.manage": frozenset({ADMIN}),                      # add, disable, role, password
    "kiosks.manage": frozenset({ADMIN}),                     # list, revoke, new token
    "account.own": STAFF,                                    # change one's own password
}


#: What each permission lets a person do, as the README's role table says it.
DESCRIPTIONS = {
    "board.view": "see the live board",
    "candidate.search": "search today's candidates at their venues",
    "sitting.manage": "open and close a sitting, record the commission present at it",
    "sitting.reopen": "reopen a closed sitting, stating why",
    "admission": "admit (confirm the professional-qualification document, and the identity "
                 "document where the kiosk flagged \"check ID\"), withdraw an admission made by "
                 "mistake, call in, mark the interview finished",
    "violation.record": "draw up acts of violation",
    "violation.print": "print acts",
    "devices.return": "return devices",
    "cabinet.view": "see the cabinet view",
    "cabinet.manage": "take a cell out of service, force it open with a stated reason",
    "absence.record": "record absences (and withdraw one recorded by mistake)",
    "decision.record": "record decisions (and supersede one, stating why)",
    "protocol.export": "print and export the protocol and each candidate's attestation file",
    "roster.import": "import the roster, add a walk-in, correct a name or organisation",
    "audit.view": "read the audit log",
    "users.manage": "add users, disable them, change their role, reset their password",
    "kiosks.manage": "list kiosks, revoke a kiosk's token, issue a new one",
    "account.own": "change their own password",
}


#: Who may correct a fact: whoever may record it (see attestation.corrections).
CORRECTION_PERMISSIONS = {
    CorrectionKind.WITHDRAW_ABSENCE: "absence.record",
    CorrectionKind.WITHDRAW_ADMISSION: "admission",
    CorrectionKind.SUPERSEDE_DECISION: "decision.record",
    CorrectionKind.FIX_DETAILS: "roster.import",
    CorrectionKind.ADD_CANDIDATE: "roster.import",
}


def allowed(role: str | None, permission: str) -> bool:
    return role in PERMISSIONS[permission]


def role_table() -> str:
    """The README's role table, made from :data:`PERMISSIONS` (a test keeps them equal)."""
    lines = ["| role | may |", "|---|---|"]
    for role in Role:
        may = [DESCRIPTIONS[p] for p in PERMISSIONS if role in PERMISSIONS[p]]
        lines.append(f"| {role} | {'; '.join(may)} |")
    return "\n".join(lines)
