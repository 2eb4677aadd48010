"""Any table of the dashboard as CSV or Excel, safe to open in a spreadsheet.

A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would be read as a formula by
Excel or LibreOffice (post and comment texts come from strangers): such a cell gets a leading apostrophe
(the OWASP rule for CSV injection), in the CSV and in the workbook, where it is also written as a string.
Numbers stay numbers (a negative number is not text). The workbook is written by openpyxl.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text that a spreadsheet would run, prefixed with an apostrophe; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    """A value as a cell: lists joined, missing values empty, time zones dropped (Excel has none)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        items = value.tolist() if hasattr(value, "tolist") else value
        if isinstance(items, list):
            return ", ".join(str(v) for v in items)
        value = items
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return neutralise(value) if isinstance(value, str) else value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every cell made safe (object columns; numbers kept)."""
    out = frame.copy()
    for column in out.columns:
        out[column] = [_cell(v) for v in out[column]]
    out.columns = [str(neutralise(str(c))) for c in out.columns]
    return out


def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark (Excel then reads umlauts right), comma-separated, CRLF line ends (RFC 4180:
    a cell holding a CR or LF is quoted), every text cell safe."""
    return safe_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_xlsx(frame: pd.DataFrame, sheet: str = "Daten") -> bytes:
    """One sheet with a header row; formula-like texts stored as text (apostrophe-prefixed)."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet[:31] or "Daten"
    ws.append([str(neutralise(str(c))) for c in frame.columns])
    for row in frame.itertuples(index=False):
        cells = [_cell(v) for v in row]
        ws.append(cells)
        for cell, value in zip(ws[ws.max_row], cells, strict=True):
            if isinstance(value, str):
                cell.data_type = TYPE_STRING  # never a formula, whatever the text
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
