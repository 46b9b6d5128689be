"""A table (a header and rows of text) as a spreadsheet: .xlsx (openpyxl) or .csv.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab
or carriage return before them) as a formula, so text that a respondent typed could compute,
fetch or link when the secretariat opens the file ("CSV injection"). Every such cell is written
with a leading apostrophe, which spreadsheets show as the text itself. No Flask, no git.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"  # Werkzeug adds "; charset=utf-8" to a text type (given here, it came twice)
MAX_CELL_CHARS = 32_767  # Excel's limit for one cell
_ILLEGAL = {code: None for code in (*range(0, 9), 11, 12, *range(14, 32))}  # control characters XML refuses


def safe_cell(value: str) -> str:
    """``value`` as inert text: an apostrophe before a formula's first character."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def to_csv(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    """UTF-8 with a byte order mark (so Excel reads the six languages right), every cell inert."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(header: Sequence[str], rows: Sequence[Sequence[str]], *, title: str = "Responses",
            right_to_left: bool = False) -> bytes:
    """One sheet: the header in bold and frozen, then the rows, every cell text (never a formula)."""
    from openpyxl import Workbook  # loaded at the first spreadsheet, not at every worker's start
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_sheet_title(title))
    sheet.freeze_panes = "A2"
    sheet.sheet_view.rightToLeft = right_to_left
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for index in range(len(header)):
        sheet.column_dimensions[_column(index)].width = 18 if index < 7 else 50

    def cell(value: str, header_row: bool = False) -> WriteOnlyCell:
        written = WriteOnlyCell(sheet, value=_xlsx_text(value))
        written.data_type = "s"  # text, whatever it looks like
        if header_row:
            written.font = bold
        else:
            written.alignment = wrap
        return written

    sheet.append([cell(value, True) for value in header])
    for row in rows:
        sheet.append([cell(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_text(value: str) -> str:
    text = safe_cell(value.translate(_ILLEGAL))
    return text if len(text) <= MAX_CELL_CHARS else text[:MAX_CELL_CHARS - 1] + "…"


def _sheet_title(title: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in title).strip().strip("'")
    return cleaned[:31] or "Responses"


def _column(index: int) -> str:
    """The column letters of a 0-based index (0: A, 26: AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
