"""The archive of one sitting: a ZIP file that is "this sitting, as decided", and its check.

Layout (every path below the ZIP's root)::

    manifest.json            format, sitting, when and by whom, SHA-256 of every member
    manifest.sig             HMAC-SHA256 of manifest.json's SHA-256 with the audit key
                             (absent when the services run without one)
    protocol/protocol-kk.pdf, protocol/protocol-ru.pdf
    acts/act-N-YEAR-kk.pdf, acts/act-N-YEAR-ru.pdf         every act, corrections included
    files/file-ENTRY-kk.pdf, files/file-ENTRY-ru.pdf       every candidate's attestation file
    roster.csv               the sitting's roster (UTF-8 with BOM, semicolons: Excel in ru/kk)
    audit/entries.jsonl      the sitting's audit entries, one JSON object a line, in id order
    audit/log-kk.csv, audit/log-ru.csv                     the same entries in words
    audit/head.json          the chain's head when the archive was made: id, hash, signature

:func:`verify` fails when a member is added, removed or changed (its sum), when the
manifest was changed (its signature, given the key), when an audit entry's content no
longer gives its hash, when two consecutive entries do not link, or when an entry's or the
head's signature does not match.  The sitting's entries are a part of the whole chain, so
only consecutive ids can be checked for links; ``kioskctl sitting verify-archive
--database`` also checks every entry against the live log.

This module packs and checks bytes; the documents are rendered by the panel
(:mod:`web.archive`), which has the texts and the fonts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Mapping

from sqlalchemy import select

from attestation import audit, audit_anchor
from attestation.models import AuditEntry

FORMAT = "attestation-sitting-archive/1"
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
ENTRIES, HEAD = "audit/entries.jsonl", "audit/head.json"
_ENTRY_FIELDS = ("id", "actor", "device", "action", "subject_type", "subject_id", "sitting_id",
                 "before", "after", "prev_hash", "hash", "mac")

#: What a verification that passed could not vouch for (as audit.WARNINGS).
WARNINGS = {
    "no_key": "no audit key: the manifest's and the entries' signatures were not checked",
    "unsigned": "the archive is not signed (made without an audit key)",
}


def entry_record(entry: AuditEntry) -> dict:
    record = {name: getattr(entry, name) for name in _ENTRY_FIELDS}
    record["at"] = entry.at.astimezone(dt.timezone.utc).isoformat()
    return record


def _entry(record: dict) -> AuditEntry:
    fields = {name: record[name] for name in _ENTRY_FIELDS}
    return AuditEntry(at=dt.datetime.fromisoformat(record["at"]), **fields)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pack(documents: Mapping[str, bytes], entries: Iterable[AuditEntry],
         head: audit_anchor.Checkpoint | None, about: dict, key: bytes | None) -> bytes:
    """The archive's bytes: ``documents`` (path -> bytes), the audit part, the manifest.

    ``about`` goes into the manifest as it is (the sitting, who made the archive, when).
    """
    members = dict(documents)
    members[ENTRIES] = "".join(json.dumps(entry_record(e), ensure_ascii=False, sort_keys=True) + "\n"
                               for e in entries).encode("utf-8")
    members[HEAD] = json.dumps(dataclasses.asdict(head) if head else None,
                               sort_keys=True).encode("utf-8")
    manifest = json.dumps({"format": FORMAT, **about,
                           "members": {name: _sha256(data) for name, data in sorted(members.items())}},
                          ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, manifest)
        if key is not None:
            archive.writestr(SIGNATURE, audit_anchor.sign(key, _sha256(manifest)))
        for name, data in sorted(members.items()):
            archive.writestr(name, data)
    return buf.getvalue()


@dataclasses.dataclass
class ArchiveCheck:
    ok: bool = True
    problem: str = ""
    members: int = 0
    entries: int = 0
    head: audit_anchor.Checkpoint | None = None
    about: dict = dataclasses.field(default_factory=dict)
    warnings: list[str] = dataclasses.field(default_factory=list)


class _Broken(Exception):
    pass


def verify(data: bytes, key: bytes | None = None) -> ArchiveCheck:
    """Check an archive's members against its manifest, the manifest's signature, and the
    audit entries inside; the first problem found ends the check (``ok`` False)."""
    result = ArchiveCheck()
    try:
        _verify(data, key, result)
    except _Broken as exc:
        result.ok, result.problem = False, str(exc)
    return result


def _verify(data: bytes, key: bytes | None, result: ArchiveCheck) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        contents = {info.filename: archive.read(info) for info in archive.infolist()}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise _Broken(f"not a readable ZIP archive ({exc})") from None
    if MANIFEST not in contents:
        raise _Broken("the archive has no manifest.json")
    try:
        manifest = json.loads(contents[MANIFEST])
        sums = dict(manifest["members"])
    except (ValueError, KeyError, TypeError):
        raise _Broken("manifest.json is not a manifest of this format") from None
    if manifest.get("format") != FORMAT:
        raise _Broken(f"unknown archive format {manifest.get('format')!r}")
    result.about = {k: v for k, v in manifest.items() if k not in ("format", "members")}
    _check_signature(contents, key, result)
    present = set(contents) - {MANIFEST, SIGNATURE}
    if present - set(sums):
        raise _Broken(f"member not in the manifest (added): {sorted(present - set(sums))[0]}")
    if set(sums) - present:
        raise _Broken(f"member of the manifest is missing: {sorted(set(sums) - present)[0]}")
    for name, expected in sorted(sums.items()):
        if _sha256(contents[name]) != expected:
            raise _Broken(f"{name} was changed: its SHA-256 differs from the manifest's")
    result.members = len(sums)
    _check_entries(contents, key, result)


def _check_signature(contents: dict, key: bytes | None, result: ArchiveCheck) -> None:
    signature = contents.get(SIGNATURE)
    if key is None:
        result.warnings.append("no_key")
    elif signature is None:
        result.warnings.append("unsigned")
    elif not audit_anchor.signature_matches(key, _sha256(contents[MANIFEST]),
                                            signature.decode("ascii", "replace").strip()):
        raise _Broken("manifest.json was changed, or signed with another key: its signature "
                      "does not match")


def _check_entries(contents: dict, key: bytes | None, result: ArchiveCheck) -> None:
    try:
        records = [json.loads(line) for line in contents[ENTRIES].decode("utf-8").splitlines() if line]
        entries = [_entry(r) for r in records]
        head_record = json.loads(contents[HEAD])
        head = audit_anchor.Checkpoint(**head_record) if head_record else None
    except (ValueError, KeyError, TypeError) as exc:
        raise _Broken(f"the audit part cannot be read ({exc})") from None
    previous = None
    for entry in entries:
        where = f"audit entry {entry.id}"
        if audit.entry_hash(entry.prev_hash, entry) != entry.hash:
            raise _Broken(f"{where}: its content was changed")
        if previous is not None and entry.id <= previous.id:
            raise _Broken(f"{where}: entries out of order")
        if previous is not None and entry.id == previous.id + 1 and entry.prev_hash != previous.hash:
            raise _Broken(f"{where}: its link to entry {previous.id} is broken")
        if key is not None and entry.mac is not None and not audit_anchor.signature_matches(
                key, entry.hash, entry.mac):
            raise _Broken(f"{where}: its signature does not match")
        previous = entry
    if entries and head is None:
        raise _Broken("the archive has audit entries but no chain head")
    if head is not None:
        if previous is not None and head.entry_id < previous.id:
            raise _Broken("the chain head is older than the sitting's last entry")
        if previous is not None and head.entry_id == previous.id and head.entry_hash != previous.hash:
            raise _Broken("the chain head differs from the sitting's last entry")
        if key is not None and head.mac is not None and not audit_anchor.signature_matches(
                key, head.entry_hash, head.mac):
            raise _Broken("the chain head's signature does not match")
    result.entries, result.head = len(entries), head


def missing_from_log(session, data: bytes) -> list[int]:
    """Ids of the archive's audit entries (and its head) that the live log does not hold
    with the same hash: an archive of another database, or a log rewritten since."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    wanted = {r["id"]: r["hash"] for r in map(json.loads, archive.read(ENTRIES).splitlines())}
    head = json.loads(archive.read(HEAD))
    if head:
        wanted[head["entry_id"]] = head["entry_hash"]
    if not wanted:
        return []
    found = dict(session.execute(select(AuditEntry.id, AuditEntry.hash).where(
        AuditEntry.id.between(min(wanted), max(wanted)))).all())
    return sorted(i for i, h in wanted.items() if found.get(i) != h)
