"""Importing a sitting's roster from CSV or XLSX: all rows or none.

Columns (header row, any order): ``iin, last_name, first_name, middle_name,
organization, position``, and optionally the organisation and position in each language
(``organization_kk, organization_ru, position_kk, position_ru``: each document shows its
own language's, one value serves both); all but the IIN and the names may be empty.  CSV must be UTF-8 (a BOM is accepted; `,` or `;` separated).  Every bad row is
reported with its line number and nothing is written when any row is bad.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import pathlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit
from . import iin as iin_mod
from .errors import InvalidInput, check_text
from .models import Candidate, RosterEntry, Sitting

COLUMNS = ("iin", "last_name", "first_name", "middle_name", "organization", "position",
           "organization_kk", "organization_ru", "position_kk", "position_ru")
REQUIRED = ("iin", "last_name", "first_name")
MAX_ROWS = 20_000


@dataclasses.dataclass(frozen=True)
class RowError:
    """One reason a file was rejected: ``message`` in English (the CLI, the log), ``code``
    and ``params`` for the panel to say it in the user's language (one of :data:`ROW_ERRORS`)."""

    line: int
    message: str
    code: str = ""
    params: dict = dataclasses.field(default_factory=dict)

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


#: Every ``RowError.code``: the panel has a text in each language for each (a test checks).
ROW_ERRORS = ("unsupported_type", "missing_columns", "not_utf8", "empty_file", "malformed_csv",
              "bad_xlsx", "no_candidates", "too_many_rows", "empty_field", "text_too_long",
              "text_control_characters", "repeated_iin", "already_on_roster", "other_name",
              *(f"iin_{reason}" for reason in iin_mod.REASONS))


class RosterFileError(InvalidInput):
    """The file was rejected; ``errors`` lists every bad row (nothing was written)."""

    code = "roster_rejected"

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        head = "; ".join(str(e) for e in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        super().__init__(f"roster rejected, nothing imported: {head}{more}")


@dataclasses.dataclass
class ImportResult:
    added: int
    existing_candidates: int


def read_rows(filename: str, data: bytes) -> list[tuple[int, dict]]:
    """(line number, row) pairs from a CSV or XLSX file's bytes."""
    suffix = pathlib.Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(data)
    if suffix in (".csv", ".txt", ""):
        return _csv_rows(data)
    raise RosterFileError([RowError(0, f"unsupported file type {suffix!r}: use .csv or .xlsx",
                                    "unsupported_type", {"suffix": suffix})])


def _header(cells) -> list[str]:
    header = [str(c or "").strip().lower() for c in cells]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise RosterFileError([RowError(1, "missing column(s): " + ", ".join(missing)
                                        + "; expected " + ",".join(COLUMNS), "missing_columns",
                                        {"missing": ", ".join(missing), "expected": ",".join(COLUMNS)})])
    return header


def _csv_rows(data: bytes) -> list[tuple[int, dict]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise RosterFileError([RowError(line, "the file is not UTF-8 text; save it as "
                                              "'CSV UTF-8' and import again", "not_utf8")]) from None
    if not text.strip():
        raise RosterFileError([RowError(1, "the file is empty", "empty_file")])
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = []
    try:
        header = _header(next(reader))
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            rows.append((reader.line_num, _row(header, values)))
    except csv.Error as exc:
        raise RosterFileError([RowError(reader.line_num, f"the CSV is malformed: {exc}", "malformed_csv")]) from None
    return rows


def _xlsx_rows(data: bytes) -> list[tuple[int, dict]]:
    from openpyxl import load_workbook  # here: only an .xlsx import needs it, no service
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise RosterFileError([RowError(0, "the file is not a readable .xlsx workbook", "bad_xlsx")]) from None
    sheet = book.worksheets[0]
    it = sheet.iter_rows(values_only=True)
    try:
        header = _header(next(it))
    except StopIteration:
        raise RosterFileError([RowError(1, "the sheet is empty", "empty_file")]) from None
    rows = []
    for line, values in enumerate(it, start=2):
        values = ["" if v is None else (str(int(v)) if isinstance(v, float) and v.is_integer()
                                        else str(v)) for v in values]
        if any(v.strip() for v in values):
            rows.append((line, _row(header, values)))
    return rows


def _row(header: list[str], values) -> dict:
    row = {c: "" for c in COLUMNS}
    for name, value in zip(header, values):
        if name in row:
            row[name] = (value or "").strip()
    return row


def validate(session: Session, sitting: Sitting, rows: list[tuple[int, dict]]) -> list[RowError]:
    errors: list[RowError] = []
    if not rows:
        return [RowError(2, "the file has a header but no candidates", "no_candidates")]
    if len(rows) > MAX_ROWS:
        return [RowError(0, f"more than {MAX_ROWS} rows", "too_many_rows", {"limit": MAX_ROWS})]
    seen: dict[str, int] = {}
    iins = [r["iin"] for _, r in rows]
    known = {c.iin: c for c in session.execute(
        select(Candidate).where(Candidate.iin.in_(iins))).scalars()} if iins else {}
    on_roster = set(session.execute(
        select(Candidate.iin).join(RosterEntry).where(RosterEntry.sitting_id == sitting.id)).scalars())
    for line, row in rows:
        try:
            iin_mod.parse(row["iin"])
        except iin_mod.InvalidIIN as exc:
            errors.append(RowError(line, f"IIN {row['iin']!r}: {iin_mod.REASONS[exc.reason]}",
                                   f"iin_{exc.reason}", {"iin": row["iin"]}))
            continue
        for field in ("last_name", "first_name"):
            if not row[field]:
                errors.append(RowError(line, f"{field} is empty", "empty_field", {"field": field}))
        for field in COLUMNS[1:]:
            try:
                check_text(row[field], field, Candidate.__table__.c[field].type.length)
            except InvalidInput as exc:
                errors.append(RowError(line, str(exc), f"text_{exc.code}", {"field": field}))
        if row["iin"] in seen:
            errors.append(RowError(line, f"IIN {row['iin']} repeats line {seen[row['iin']]}", "repeated_iin",
                                   {"iin": row["iin"], "first": seen[row["iin"]]}))
        seen.setdefault(row["iin"], line)
        if row["iin"] in on_roster:
            errors.append(RowError(line, f"IIN {row['iin']} is already on this sitting's roster",
                                   "already_on_roster", {"iin": row["iin"]}))
        existing = known.get(row["iin"])
        if existing is not None and (existing.last_name, existing.first_name) != (
                row["last_name"], row["first_name"]):
            errors.append(RowError(line, f"IIN {row['iin']} is registered to another name "
                                         f"({existing.last_name} {existing.first_name})",
                                   "other_name", {"iin": row["iin"],
                                                  "name": f"{existing.last_name} {existing.first_name}"}))
    return errors


def import_rows(session: Session, sitting: Sitting, rows: list[tuple[int, dict]],
                actor: audit.Actor) -> ImportResult:
    """Validate every row, then add them all in the caller's transaction (or raise)."""
    errors = validate(session, sitting, rows)
    if errors:
        raise RosterFileError(errors)
    known = {c.iin: c for c in session.execute(select(Candidate).where(
        Candidate.iin.in_([r["iin"] for _, r in rows]))).scalars()}
    existing = 0
    for _, row in rows:
        candidate = known.get(row["iin"])
        if candidate is None:
            candidate = Candidate(**row)
            session.add(candidate)
        else:
            existing += 1
        session.flush()
        session.add(RosterEntry(sitting_id=sitting.id, candidate_id=candidate.id))
    session.flush()
    audit.append(session, actor, "roster.imported", "sitting", sitting.id, sitting_id=sitting.id,
                 after={"rows": len(rows), "new_candidates": len(rows) - existing})
    return ImportResult(len(rows), existing)
