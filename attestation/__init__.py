"""The attestation domain shared by the kiosk (``kiosk``) and the commission panel (``web``).

Everything that is a rule of order No. 210/403 lives in this package, once: the roster
state machine (:mod:`attestation.states`), IIN validation (:mod:`attestation.iin`),
cell allocation (:mod:`attestation.allocation`), absences and postponement
(:mod:`attestation.absence`), acts of violation (:mod:`attestation.violations`) and the
append-only audit log (:mod:`attestation.audit`).  The hardware layer
(``locker_driver``) knows nothing of it.
"""
