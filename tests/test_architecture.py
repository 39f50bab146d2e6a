"""The layout is a rule, not a habit: import-linter's contracts (in pyproject.toml) hold,
and the vocabulary is the one spelling of every closed set."""

import ast
import importlib
import pathlib
import pkgutil
import subprocess
import sys

import attestation
from attestation import checkin
from attestation.errors import DomainError
from attestation.vocabulary import DriverKind, ErrorCode, values
from locker_driver.registry import DRIVERS

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    lint = pathlib.Path(sys.executable).with_name("lint-imports")
    r = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "0 broken" in r.stdout


def test_no_module_imports_itself_through_others():
    """No import cycle anywhere (lazy imports inside functions count): web.pdf and
    web.pdf_layout imported each other once."""
    import grimp
    import tomllib
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["root_packages"]
    graph = grimp.build_graph(*packages)
    cycles = sorted({tuple(sorted((module, imported)))
                     for module in graph.modules
                     for imported in graph.find_modules_directly_imported_by(module)
                     if graph.find_shortest_chain(importer=imported, imported=module)})
    assert cycles == []


def test_every_driver_kind_has_a_driver_and_no_other():
    assert set(DRIVERS) == set(values(DriverKind))
    for kind, cls in DRIVERS.items():
        assert cls.kind == kind
        assert cls.first_board <= cls.last_board


def _error_codes_in_domain():
    """Every ``code="..."`` a domain error is raised with, and every class-level ``code``."""
    found = set()
    for path in (ROOT / "attestation").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "code" and \
                    isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                found.add((path.name, node.value.value))
    return found


def test_every_error_code_is_in_the_vocabulary():
    refusals = set(checkin.REFUSALS)
    unknown = {(f, c) for f, c in _error_codes_in_domain()
               if c not in values(ErrorCode) and c not in refusals}
    assert not unknown
    for module in pkgutil.iter_modules(attestation.__path__):
        importlib.import_module(f"attestation.{module.name}")
    classes = {cls.code for cls in _subclasses(DomainError)} | {DomainError.code}
    assert classes <= set(values(ErrorCode)) | refusals


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_error_code_has_a_panel_text():
    from attestation.roster_import import ROW_ERRORS
    from web.texts import ERRORS, ROSTER_ERRORS
    assert set(values(ErrorCode)) <= set(ERRORS)
    assert set(ROW_ERRORS) == set(ROSTER_ERRORS)


def test_every_roster_row_error_has_a_code():
    """The roster's rejections are said in the panel's languages: none without a code."""
    source = (pathlib.Path(attestation.__file__).parent / "roster_import.py").read_text()
    tree = ast.parse(source)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "RowError"]
    assert calls and all(len(c.args) >= 3 for c in calls)


def test_every_value_of_the_vocabulary_has_a_panel_text():
    from attestation import states
    from attestation.vocabulary import (AbsenceReason, CellStatus, CommandPurpose, CommandStatus,
                                        CommissionPosition, CorrectionKind, DoorEventKind, DoorState,
                                        IdentifiedBy, Language, Role, ViolationKind)
    from web import texts
    for table, allowed in ((texts.STATES, states.STATES), (texts.LANGUAGES, values(Language)),
                           (texts.IDENTIFIED_BY, values(IdentifiedBy)),
                           (texts.ABSENCE_REASONS, values(AbsenceReason)),
                           (texts.VIOLATION_KINDS, values(ViolationKind)),
                           (texts.CELL_STATUS, values(CellStatus)), (texts.DOOR, values(DoorState)),
                           (texts.UNLOCK_PURPOSES, values(CommandPurpose)),
                           (texts.COMMAND_STATUSES, values(CommandStatus)),
                           (texts.DOOR_EVENTS, values(DoorEventKind)), (texts.ROLE_NAMES, values(Role)),
                           (texts.CORRECTION_KINDS, values(CorrectionKind)),
                           (texts.COMMISSION_POSITIONS, values(CommissionPosition))):
        assert set(table) == set(allowed)
    from web.roles import CORRECTION_PERMISSIONS, PERMISSIONS
    assert set(CORRECTION_PERMISSIONS) == set(values(CorrectionKind))
    assert set(CORRECTION_PERMISSIONS.values()) <= set(PERMISSIONS)
