"""The layout of the panel's PDF documents (fpdf2): loaded with the first PDF (see web.pdf)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from fpdf import FPDF
from fpdf.fonts import FontFace

from . import pdf_fonts

SIGNATURE_LINE = "_" * 30


class Document(FPDF):
    """An FPDF with the panel's fonts and blocks; ``draft``: the text of the draft band;
    ``texts``: everything the document will say (its fonts must have every letter of it)."""

    def __init__(self, texts, landscape: bool = False, draft: str = ""):
        super().__init__(orientation="L" if landscape else "P", format="A4")
        for style, path in pdf_fonts.covering((texts, draft)).items():
            self.add_font("DejaVu", style, str(path))
        self.draft = draft
        self.set_auto_page_break(True, margin=18)
        self.add_page()

    def header(self):
        if self.draft:
            self.set_font("DejaVu", "B", 12)
            self.set_text_color(120)
            self.cell(0, 8, self.draft, align="C", border=1, new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0)
            self.ln(2)

    def footer(self):
        self.set_y(-12)
        self.set_font("DejaVu", "", 8)
        self.cell(0, 5, f"{self.page_no()} / {{nb}}", align="C")

    def heading(self, title: str, *lines: str) -> None:
        self.set_font("DejaVu", "B", 14)
        self.multi_cell(0, 7, title, align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", "", 11)
        for line in lines:
            if line:
                self.multi_cell(0, 6, line, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(5)

    def pairs(self, rows: Iterable[tuple[str, str]]) -> None:
        """Label in bold, then its value: the layout of the act and the attestation file."""
        for label, value in rows:
            self.set_font("DejaVu", "B", 10)
            self.multi_cell(0, 5.5, label, new_x="LMARGIN", new_y="NEXT")
            self.set_font("DejaVu", "", 10)
            self.multi_cell(0, 5.5, str(value), new_x="LMARGIN", new_y="NEXT")
            self.ln(1.5)

    def paragraph(self, text: str, size: int = 10, bold: bool = False) -> None:
        if text:
            self.set_font("DejaVu", "B" if bold else "", size)
            self.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
            self.ln(2)

    def grid(self, head: Sequence[str], body: Iterable[Sequence[str]],
             widths: Sequence[float]) -> None:
        """A table whose heading row repeats on every page; ``widths`` are relative, widened
        where a heading's longest word would not fit (it would be broken mid-word)."""
        widths = self._fit_headings(head, widths)
        self.set_font("DejaVu", "", 8)
        with self.table(col_widths=widths, headings_style=FontFace(emphasis="BOLD"),
                        line_height=4.2, text_align="LEFT", repeat_headings=1) as table:
            table.row([str(h) for h in head])
            for values in body:
                table.row([str(v) if v is not None else "" for v in values])
        self.ln(4)

    def _fit_headings(self, head: Sequence[str], widths: Sequence[float]) -> list[float]:
        """Column widths in mm: each at least its heading's longest word (bold 8 pt plus the
        cell's padding), the room taken from the columns that have it to spare."""
        self.set_font("DejaVu", "B", 8)
        share = [w / sum(widths) * self.epw for w in widths]
        need = [max((self.get_string_width(word) for word in str(h).split()), default=0) + 2.5
                for h in head]
        grown = [max(s, n) for s, n in zip(share, need)]
        spare = [max(0.0, s - n) for s, n in zip(share, need)]
        over = sum(grown) - self.epw
        if over > 0 and sum(spare) > 0:
            grown = [g - over * sp / sum(spare) for g, sp in zip(grown, spare)]
        return grown

    def signatures(self, intro: str, names: Sequence[tuple[str, str]], blank: int = 0) -> None:
        """A signature line per (role, name), then ``blank`` unnamed lines."""
        self.paragraph(intro)
        self.set_font("DejaVu", "", 10)
        for role, name in names:
            self.ln(4)
            self.cell(0, 6, f"{role}: {name}  {SIGNATURE_LINE}", new_x="LMARGIN", new_y="NEXT")
        for _line in range(blank):
            self.ln(4)
            self.cell(0, 6, "_" * 60, new_x="LMARGIN", new_y="NEXT")
        self.ln(4)

    def signature(self, label: str) -> None:
        """One person's signature line, named by ``label`` (the candidate's, on an act)."""
        self.paragraph(f"{label}  {SIGNATURE_LINE}")

    def checkpoint(self, text: str) -> None:
        if text:
            self.ln(4)
            self.set_font("DejaVu", "", 8)
            self.multi_cell(0, 4, text, new_x="LMARGIN", new_y="NEXT")

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.output(buf)
        return buf.getvalue()
