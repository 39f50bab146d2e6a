"""Panel texts that come from data rather than templates: states, reasons, domain errors."""

from flask_babel import lazy_gettext as _l

from attestation import states
from attestation.vocabulary import (AbsenceReason, CellStatus, CommandPurpose, CommandStatus,
                                    CommissionPosition, CorrectionKind, DoorEventKind, DoorState,
                                    ErrorCode, IdentifiedBy, Language, Role, ViolationKind)

STATES = {
    states.EXPECTED: _l("Expected"), states.CHECKED_IN: _l("Checked in"),
    states.ADMITTED: _l("Admitted"), states.IN_INTERVIEW: _l("In interview"),
    states.INTERVIEWED: _l("Interviewed"), states.DECIDED: _l("Decided"),
    states.REMOVED: _l("Removed"), states.ABSENT_VALID: _l("Absent, valid reason"),
    states.ABSENT_INVALID: _l("Absent, no valid reason"),
}
ROLE_NAMES = {Role.ADMIN: _l("administrator"), Role.SECRETARY: _l("secretary"),
              Role.CHAIR: _l("chair of the commission"), Role.MEMBER: _l("member of the commission"),
              Role.OPERATOR: _l("locker operator")}
#: The attestation language a candidate chose at the kiosk (point 7).
LANGUAGES = {Language.KK: _l("Kazakh"), Language.RU: _l("Russian")}
IDENTIFIED_BY = {IdentifiedBy.IIN: _l("typed IIN"), IdentifiedBy.MRZ: _l("ID card"),
                 IdentifiedBy.BARCODE: _l("ID card barcode"),
                 IdentifiedBy.DIGITAL_ID: _l("digital ID")}
ABSENCE_REASONS = {
    AbsenceReason.SICK_LEAVE: _l("Temporary incapacity for work (sick leave)"),
    AbsenceReason.VACATION: _l("Vacation"),
    AbsenceReason.CHILD_ILLNESS: _l("Illness of a minor child"),
    AbsenceReason.BEREAVEMENT: _l("Death of a close relative"),
    AbsenceReason.BUSINESS_TRIP: _l("Business trip"),
}
VIOLATION_KINDS = {ViolationKind.DEVICE: _l("Use of a phone or electronic device"),
                   ViolationKind.LITERATURE: _l("Use of reference or other literature"),
                   ViolationKind.OTHER: _l("Other breach of the procedure")}
RETURN_STATUS = {"pending": _l("unlock pending"), "opened": _l("cell opened"),
                 "closed": _l("closed again, cell free"), "failed": _l("unlock failed")}
CELL_STATUS = {CellStatus.IN_SERVICE: _l("in service"),
               CellStatus.OUT_OF_SERVICE: _l("out of service"), CellStatus.FAULTY: _l("faulty")}
DOOR = {DoorState.OPEN: _l("door open"), DoorState.CLOSED: _l("door closed"),
        DoorState.UNKNOWN: _l("door unknown")}

#: The cabinet view's history: why an unlock was queued, how it went, what a door did.
UNLOCK_PURPOSES = {CommandPurpose.CHECKIN: _l("unlock for check-in"),
                   CommandPurpose.RETURN: _l("unlock to return devices"),
                   CommandPurpose.FORCE: _l("forced unlock"), CommandPurpose.TEST: _l("test unlock")}
COMMAND_STATUSES = {CommandStatus.REQUESTED: _l("requested"), CommandStatus.SENT: _l("sent"),
                    CommandStatus.DONE: _l("done"), CommandStatus.FAILED: _l("failed")}
DOOR_EVENTS = {DoorEventKind.OPENED: _l("door opened"), DoorEventKind.CLOSED: _l("door closed"),
               DoorEventKind.JAMMED: _l("door did not open (jammed?)"),
               DoorEventKind.FORCED_OPEN: _l("door opened without an unlock")}

CORRECTION_KINDS = {
    CorrectionKind.WITHDRAW_ABSENCE: _l("Absence withdrawn"),
    CorrectionKind.WITHDRAW_ADMISSION: _l("Admission withdrawn"),
    CorrectionKind.SUPERSEDE_DECISION: _l("Decision superseded"),
    CorrectionKind.FIX_DETAILS: _l("Details corrected"),
    CorrectionKind.ADD_CANDIDATE: _l("Added to the roster by hand"),
}
COMMISSION_POSITIONS = {CommissionPosition.CHAIR: _l("Chair of the commission"),
                        CommissionPosition.SECRETARY: _l("Secretary of the commission"),
                        CommissionPosition.MEMBER: _l("Member of the commission")}

ERRORS = {
    "sitting_closed": _l("The sitting is closed. To correct a record, the chair reopens it first, stating why."),
    "correction_not_allowed": _l("There is nothing of this kind to correct in the candidate's current state."),
    "nothing_changed": _l("Nothing differs from what is recorded."),
    "commission_incomplete": _l("Name the chair and the secretary of the commission."),
    "wrong_password": _l("The current password is wrong."),
    "passwords_differ": _l("The new password and its repetition differ."),
    "not_allowed": _l("The rules do not allow this change now."),
    "last_admin": _l("This is the last active administrator: make someone else an administrator first."),
    "qualification_document_required": _l("Record the professional qualification document (kind and number)."),
    "identity_check_required": _l("This person typed their IIN: check their identity document first."),
    "invalid_kind": _l("Choose what kind of violation it was."),
    "description_required": _l("Describe what happened."),
    "future_time": _l("The time of the violation cannot be in the future."),
    "invalid_time": _l("Enter the time as HH:MM."),
    "invalid_reason": _l("Choose one of the five valid reasons, or no valid reason."),
    "document_required": _l("A valid reason needs its supporting document."),
    "return_date_required": _l("A valid reason needs the return-to-work date."),
    "category_required": _l("This outcome needs a qualification category."),
    "category_not_allowed": _l("This outcome takes no category."),
    "invalid_outcome": _l("Choose an outcome."),
    "no_cell": _l("This candidate has no cell."),
    "too_early_to_return": _l("Devices are returned after the interview or after removal."),
    "reason_required": _l("State the reason."),
    "illegal_sitting_status": _l("The sitting cannot change to that status."),
    "conflict": _l("Someone changed this at the same moment. Try again."),
    "roster_rejected": _l("The roster file was rejected; nothing was imported."),
    "not_found": _l("Not found."),
    "illegal_transition": _l("This action is not possible in the candidate's current state."),
    "wrong_candidate": _l("A correction must concern the same candidate."),
    "too_long": _l("The text is too long."),
    "domain_error": _l("The request could not be carried out."),
    "invalid_input": _l("Check what you entered."),
    "cabinet_full": _l("No free cell is in service."),
    "duplicate": _l("This already exists."),
    "invalid_role": _l("Choose one of the roles."),
    "weak_password": _l("The password is too short."),
    "invalid_driver": _l("Choose one of the lock drivers."),
    "invalid_stage": _l("Each stage needs its name in Kazakh and Russian and its duration in minutes."),
    "invalid_language": _l("The attestation language is Kazakh or Russian."),
    "invalid_iin": _l("The IIN is wrong: check its 12 digits."),
    "invalid_mrz": _l("The ID card could not be read."),
    "invalid_date": _l("The date is outside the possible range."),
    "control_characters": _l("The text contains characters that cannot be printed."),
    "venue_required": _l("Name the venues the user works at."),
    "nobody_ticked": _l("Tick the people who did not appear."),
    "not_of_this_sitting": _l("This candidate is not on the roster of this sitting."),
}


#: attestation.audit.WARNINGS, for the audit page.
AUDIT_WARNINGS = {
    "no_key": _l("No audit key on this server: the signatures were not checked."),
    "unsigned": _l("No entry of the log is signed."),
    "no_checkpoint": _l("No published checkpoint was compared: entries deleted from the end "
                        "would go unnoticed here (run kioskctl audit verify --journal)."),
}


#: backup.status warnings, for the sittings page.
BACKUP_WARNINGS = {
    "no_backup": _l("No backup has been taken yet: run kioskctl backup, or enable the backup timer."),
    "backup_old": _l("The last backup is older than 30 minutes while a sitting is open."),
    "disk_full": _l("The disk is nearly full: less than 10 % free."),
}


#: The roster file's rejections (``roster_import.ROW_ERRORS``), with their parameters.
ROSTER_ERRORS = {
    "unsupported_type": _l("The file type %(suffix)s is not supported: use .csv or .xlsx."),
    "missing_columns": _l("Missing columns: %(missing)s. Expected: %(expected)s."),
    "not_utf8": _l("The file is not UTF-8 text: save it as “CSV UTF-8” and import it again."),
    "empty_file": _l("The file is empty."),
    "malformed_csv": _l("The CSV file is malformed here."),
    "bad_xlsx": _l("The file is not a readable .xlsx workbook."),
    "no_candidates": _l("The file has a header but no candidates."),
    "too_many_rows": _l("More than %(limit)s rows."),
    "empty_field": _l("%(field)s is empty."),
    "text_too_long": _l("%(field)s is too long."),
    "text_control_characters": _l("%(field)s contains control characters."),
    "repeated_iin": _l("IIN %(iin)s repeats line %(first)s."),
    "already_on_roster": _l("IIN %(iin)s is already on this sitting's roster."),
    "other_name": _l("IIN %(iin)s is registered to another name (%(name)s)."),
    "iin_empty": _l("No IIN is given."),
    "iin_length": _l("IIN %(iin)s: an IIN has exactly 12 digits."),
    "iin_not_digits": _l("IIN %(iin)s: an IIN consists of digits only."),
    "iin_bad_century": _l("IIN %(iin)s: the 7th digit (century and sex) must be 1 to 6."),
    "iin_bad_date": _l("IIN %(iin)s: the first six digits are not a real date of birth."),
    "iin_unusable": _l("IIN %(iin)s: such a number is never issued (both check-digit passes give 10)."),
    "iin_check_digit": _l("IIN %(iin)s: the check digit (12th digit) does not match."),
}
#: The roster file's columns, as the panel names them in errors.
ROSTER_COLUMNS = {"iin": _l("IIN"), "last_name": _l("Surname"), "first_name": _l("First name"),
                  "middle_name": _l("Patronymic"), "organization": _l("Organisation"),
                  "position": _l("Position"), "organization_kk": _l("Organisation in Kazakh"),
                  "organization_ru": _l("Organisation in Russian"), "position_kk": _l("Position in Kazakh"),
                  "position_ru": _l("Position in Russian")}


def roster_error_text(error) -> str:
    """A roster file's row error in the user's language (its English message if unknown)."""
    template = ROSTER_ERRORS.get(error.code)
    if template is None:
        return error.message
    params = dict(error.params)
    if "field" in params:
        params["field"] = str(ROSTER_COLUMNS.get(params["field"], params["field"]))
    return str(template) % params


def error_text(code: str) -> str:
    if code.startswith("illegal_from_"):
        code = ErrorCode.ILLEGAL_TRANSITION
    return str(ERRORS.get(code, ERRORS[ErrorCode.DOMAIN_ERROR]))
