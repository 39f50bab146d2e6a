"""Every text the kiosk shows, as gettext message ids (English), keyed for the page's script.

The Kazakh and Russian translations are in ``translations/{kk,ru}/LC_MESSAGES/messages.po``;
``tests/test_kiosk_i18n.py`` fails when any of these lacks a translation.
"""

from flask_babel import lazy_gettext as _l

from attestation.vocabulary import Refusal

from .camera import BRIGHTER, CLOSER, STILL

UI = {
    "welcome.title": _l("Welcome to the attestation"),
    "welcome.choose": _l("Choose the language of your attestation"),
    "welcome.scan_read": _l("Card read: now choose your language"),
    "scan.busy": _l("Someone is registering now: wait until they finish, or press Start over."),
    "identify.title": _l("Identify yourself"),
    "identify.scan": _l("Hold your ID card to the scanner or show the QR code of your digital ID"),
    "identify.or_type": _l("or type your IIN"),
    "identify.camera": _l("Hold the phone's QR code or the back of the ID card up to the camera "
                          "above the screen, a hand's width away"),
    # the camera's advice when it sees a code it cannot read (kiosk.camera.Guide)
    f"camera.{CLOSER}": _l("Hold the phone closer to the camera"),
    f"camera.{BRIGHTER}": _l("Turn up the brightness of the phone's screen"),
    f"camera.{STILL}": _l("Hold the phone still for a moment"),
    "identify.iin_ok": _l("IIN is valid"),
    "identify.iin_bad": _l("This IIN is not valid: check the digits"),
    "identify.continue": _l("Continue"),
    "identify.erase": _l("Erase"),
    "identify.checking": _l("Checking…"),
    "common.back": _l("Back"),
    "common.start_over": _l("Start over"),
    "person.title": _l("Is this you?"),
    "person.iin": _l("IIN"),
    "person.yes": _l("Yes, this is me"),
    "person.no": _l("No, this is not me"),
    "person.check_identity": _l("A staff member will check your identity document"),
    "stages.title": _l("How the attestation runs"),
    "stages.intro": _l("The attestation has these stages:"),
    "stages.minutes": _l("{minutes} min"),
    "stages.total": _l("Total: {minutes} min"),
    "stages.ack": _l("I have read the stages and their duration"),
    "rules.title": _l("Devices and literature"),
    "rules.body1": _l("During the attestation you may not use reference or other literature, "
                      "on paper or electronic, nor mobile phones or any other electronic "
                      "devices that receive or transmit."),
    "rules.body2": _l("Put your phone, smart watch and other devices into the locker cell "
                      "that will open now, and close its door."),
    "rules.body3": _l("If these rules are broken, the commission draws up an act of violation "
                      "and removes you from the attestation."),
    "rules.ack": _l("I agree and will put my devices in the cell"),
    "opening.title": _l("Opening your cell…"),
    "cell.title": _l("Cell {number} is open"),
    "cell.instructions": _l("Put your devices in cell {number} and close the door firmly."),
    "cell.no_sensor_done": _l("I have closed the door"),
    "cell.not_closed": _l("The door still seems open. Close it firmly; if it will not close, "
                          "call a staff member."),
    "done.title": _l("Done"),
    "done.body": _l("Your devices are in cell {number}. After the interview a staff member "
                    "will open it for you."),
    "done.wait": _l("Please wait to be called by the commission."),
    "done.finish": _l("Done: the next person, please"),
    "done.returning": _l("The screen returns to the start in {seconds} s"),
    "existing.title": _l("You are already checked in"),
    "existing.body": _l("Your devices are in cell {number}."),
    "refusal.call_staff": _l("If you need help, call a staff member."),
    "out_of_order.title": _l("Temporarily out of order"),
    "out_of_order.body": _l("Please call a staff member. Error code: {code}"),
    "error.bad_request": _l("The request could not be understood."),
}

#: Refusal -> (title, what to do next); a refusal without its screen fails at import.
REFUSAL_TEXT = {
    Refusal.INVALID_IIN: (_l("The IIN is not valid"),
                          _l("Check the 12 digits of your IIN and type it again.")),
    Refusal.UNREADABLE_CARD: (_l("Could not read the code"),
                              _l("Try again: hold the ID card or the phone still under the scanner. "
                                 "Or type your IIN.")),
    Refusal.DOCUMENT_EXPIRED: (_l("Your ID card has expired"),
                               _l("An expired identity document cannot be accepted. Show the QR code "
                                  "of your digital ID, or go to the secretary of the commission.")),
    Refusal.NOT_ON_ROSTER: (_l("You are not on today's list"),
                            _l("You are not on today's list of this venue. Check the date in your "
                               "invitation or go to the secretary of the commission.")),
    Refusal.SITTING_NOT_OPEN: (_l("Check-in has not started"),
                               _l("Check-in for today's sitting is not open. Please wait or ask "
                                  "the secretary.")),
    Refusal.REGISTRATION_CLOSED: (_l("Registration has ended"),
                                  _l("Today's sitting is closed and registration has ended. Please go "
                                     "to the secretary of the commission.")),
    Refusal.ALREADY_REMOVED: (_l("You have been removed from this attestation"),
                              _l("An act of violation was drawn up. Please go to the secretary of "
                                 "the commission.")),
    Refusal.ABSENCE_RECORDED: (_l("Your absence has already been recorded"),
                               _l("The secretary has recorded that you are absent today. Please go "
                                  "to the secretary.")),
    Refusal.ALREADY_FINISHED: (_l("Your attestation today is finished"),
                               _l("The commission has already made its decision. Please go to the "
                                  "secretary if you need your devices.")),
    Refusal.INTERVIEW_OVER: (_l("Your interview is over"),
                             _l("Your devices have been returned to you. Please wait for the "
                                "commission's decision or ask the secretary.")),
    Refusal.DEVICES_RETURNED: (_l("You are already registered"),
                               _l("Your devices are not in a cell. Please go to the secretary of the "
                                  "commission.")),
    Refusal.NOT_ACKNOWLEDGED: (_l("Please confirm both screens"),
                               _l("Read the stages and the device rules and confirm them to "
                                  "continue.")),
    Refusal.CABINET_FULL: (_l("No free locker cell"),
                           _l("All cells are taken. A staff member will take your devices: please "
                              "call one.")),
    Refusal.LOCK_FAULT: (_l("The cell did not open"),
                         _l("Please call a staff member: they will open the cell for you. Your "
                            "registration is saved.")),
    Refusal.IDENTITY_SERVICE_DOWN: (_l("The digital documents service is not answering"),
                                    _l("Use your ID card or type your IIN instead.")),
    Refusal.NOT_IDENTITY_DOCUMENT: (_l("This document is not an identity document"),
                                    _l("Show the QR code of your digital ID card or passport.")),
    Refusal.DOCUMENT_NOT_FOUND: (_l("The QR code is not valid"),
                                 _l("The QR code has expired or is unknown. Create a new one in the "
                                    "app and show it again.")),
    Refusal.NAME_MISMATCH: (_l("The names do not match the list"),
                            _l("The name on your document differs from the list. Please go to the "
                               "secretary of the commission.")),
    Refusal.SESSION_EXPIRED: (_l("Time is up"), _l("Please start again.")),
    Refusal.TOO_MANY_ATTEMPTS: (_l("Too many attempts"),
                                _l("Please wait a minute and try again, or ask the secretary "
                                   "for help.")),
}

if missing := set(Refusal) - set(REFUSAL_TEXT):
    raise ImportError(f"refusals without a kiosk screen: {sorted(missing)}")

#: Refusals the person cannot resolve at the kiosk: the screen, its colour and its sound say
#: "call staff".  The others are "try again" (a wrong digit, a code held badly, too early).
NEEDS_STAFF = frozenset({
    Refusal.NOT_ON_ROSTER, Refusal.REGISTRATION_CLOSED, Refusal.ALREADY_REMOVED,
    Refusal.ABSENCE_RECORDED, Refusal.ALREADY_FINISHED, Refusal.INTERVIEW_OVER,
    Refusal.DEVICES_RETURNED, Refusal.DOCUMENT_EXPIRED, Refusal.CABINET_FULL,
    Refusal.LOCK_FAULT, Refusal.NAME_MISMATCH, Refusal.TOO_MANY_ATTEMPTS})


def catalogue() -> dict:
    """All texts in the current locale, for the page's script."""
    out = {key: str(text) for key, text in UI.items()}
    for code, (title, hint) in REFUSAL_TEXT.items():
        out[f"refusal.{code}.title"] = str(title)
        out[f"refusal.{code}.hint"] = str(hint)
    return out
