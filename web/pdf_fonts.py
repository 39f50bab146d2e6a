"""The fonts of the panel's PDF documents: DejaVu Sans, cut to the letters the documents use.

fpdf2 parses the font file for every document and subsets it again when the document is
written; on the full DejaVu Sans (6,253 glyphs) that is about 0.3 s of a 40-person archive's
80-odd documents each, most of the time they take.  So the first document of a process cuts
regular and bold once, with fontTools (fpdf2's own dependency), to the panel's alphabets
(about 1,200 glyphs), and every document after it opens the small files.  A document whose
texts hold a character outside them (a name in another script) is set in the full font:
nothing is ever left out of a document for want of a glyph.

The small files live in a directory of the process's own (on the appliance, under its
tmpfs ``/tmp``), removed when the process exits.
"""

from __future__ import annotations

import atexit
import functools
import logging
import pathlib
import shutil
import tempfile
from collections.abc import Iterable

log = logging.getLogger(__name__)

FONT_DIRS = (pathlib.Path("/usr/share/fonts/truetype/dejavu"),)
FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}  # fpdf2's style -> file

# Code point ranges (inclusive) the panel's documents are written in: Latin with the
# Kazakh Latin letters (Ä Ğ Ñ Ö Ş Ū Ü I ı), combining marks, Cyrillic with its supplement
# (Kazakh's ә ғ қ ң ө ұ ү һ і), punctuation (« » — …), the tenge sign, № and the like, and
# the arrows (the audit's "a → b").
PANEL_RANGES = ((0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x400, 0x52F),
                (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x214F), (0x2190, 0x21FF))


@functools.cache
def full() -> dict[str, pathlib.Path]:
    """fpdf2 style -> the system's DejaVu file."""
    folder = next((d for d in FONT_DIRS if (d / FILES[""]).exists()), None)
    if folder is None:
        raise RuntimeError("the DejaVu fonts are missing (apt-get install fonts-dejavu-core)")
    return {style: folder / name for style, name in FILES.items()}


@functools.cache
def _panel() -> tuple[dict[str, pathlib.Path], frozenset[str]]:
    """fpdf2 style -> the cut file, and the characters both cut files have."""
    from fontTools import subset, ttLib

    folder = pathlib.Path(tempfile.mkdtemp(prefix="attestation-fonts-"))
    atexit.register(shutil.rmtree, folder, True)
    paths, alphabets = {}, []
    for style, source in full().items():
        font = ttLib.TTFont(source, recalcTimestamp=False)
        options = subset.Options()
        options.layout_features = []  # fpdf2 sets text without shaping: no GSUB/GPOS needed
        options.notdef_outline = True
        options.drop_tables += ["FFTM"]
        cutter = subset.Subsetter(options)
        cutter.populate(unicodes=[c for low, high in PANEL_RANGES for c in range(low, high + 1)])
        cutter.subset(font)
        paths[style] = folder / source.name
        font.save(paths[style])
        alphabets.append({chr(c) for c in font.getBestCmap()})
    return paths, frozenset.intersection(*map(frozenset, alphabets))


def _characters(texts) -> set[str]:
    if isinstance(texts, str):
        return set(texts)
    if isinstance(texts, dict):
        texts = texts.values()
    if isinstance(texts, Iterable):
        return set().union(*(_characters(t) for t in texts))
    return set(str(texts)) if texts is not None else set()


def covering(texts) -> dict[str, pathlib.Path]:
    """The font files (fpdf2 style -> path) that have every character of ``texts`` (a
    document's texts: strings, or dicts, lists and tuples of them, numbers)."""
    wanted = {c for c in _characters(texts) if not c.isspace()}
    paths, alphabet = _panel()
    if wanted <= alphabet:
        return paths
    log.info("a document set in the full fonts (slower) for %s", "".join(sorted(wanted - alphabet)))
    return full()
