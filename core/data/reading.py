"""Reading an uploaded file's bytes into a frame: archives, Parquet, and CSV as real bank exports write it.

Encodings (UTF-8, Windows-1252, mixed lines, UTF-16), delimiters, title lines above the header,
end-of-report and total lines, placeholders for missing values, decimal commas and dotted
thousands: each reading is stated in a note the analyst sees. :mod:`core.data.loaders` turns the
frame into a validated dataset.
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from core.data.parse import parse_numbers, plain_numbers
from core.errors import EmptyDataError, FileFormatError, FileTooLargeError

logger = logging.getLogger(__name__)

_ENCODINGS = (("utf-8-sig", "UTF-8"), ("cp1252", "Windows-1252"), ("latin-1", "Latin-1"))
_DELIMITERS = ",;\t|"
_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "pipes"}


def _decode(data: bytes) -> tuple[str, str, str]:
    """The file's text, the name of the encoding it was read with, and a note when lines differ.

    A UTF-8 file with a few lines in Windows-1252 (one pasted from an older export, a name typed
    on an old terminal) keeps its UTF-8 text: only the lines that are not UTF-8 are read as
    Windows-1252, and the note names them, so one stray byte does not turn every ``é`` of the
    file into ``Ã©``.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16"), "UTF-16", ""
    head = data[:4096]
    if b"\x00" in head and len(head) >= 64:  # UTF-16 without a byte-order mark: every other byte is zero
        odd, even = head[1::2].count(0) / (len(head) // 2), head[0::2].count(0) / (len(head) // 2)
        for share, enc in ((odd, "utf-16-le"), (even, "utf-16-be")):
            if share > 0.9:
                try:
                    return data.decode(enc), "UTF-16", ""
                except UnicodeDecodeError:
                    break
    if b"\x00" in head:
        raise FileFormatError("The file looks binary, not like text or Parquet.",
                              "Upload a CSV (comma, semicolon or tab separated) or a Parquet file.")
    try:
        return data.decode("utf-8-sig"), "UTF-8", ""
    except UnicodeDecodeError:
        pass
    mixed = _mixed_lines(data)
    if mixed is not None:
        return mixed
    for enc, label in _ENCODINGS[1:]:
        try:
            return data.decode(enc), label, ""
        except UnicodeDecodeError:
            continue
    raise FileFormatError("The file's text encoding could not be read.", "Save it as UTF-8 and upload it again.")


def _mixed_lines(data: bytes) -> tuple[str, str, str] | None:
    """A UTF-8 file with a few non-UTF-8 lines, decoded line by line; None when the file is not UTF-8."""
    lines = data.removeprefix(b"\xef\xbb\xbf").split(b"\n")
    out, odd, utf8_multibyte = [], [], False
    for i, line in enumerate(lines, start=1):
        try:
            text = line.decode("utf-8")
            utf8_multibyte = utf8_multibyte or any(b >= 0x80 for b in line)
        except UnicodeDecodeError:
            odd.append(i)
            try:
                text = line.decode("cp1252")
            except UnicodeDecodeError:
                text = line.decode("latin-1")
        out.append(text)
    if not utf8_multibyte or len(odd) > max(3, len(lines) // 100):
        return None  # no UTF-8 text beyond ASCII, or too many odd lines: the whole file is another encoding
    shown = ", ".join(str(i) for i in odd[:5]) + (f" and {len(odd) - 5} more" if len(odd) > 5 else "")
    return ("\n".join(out), "UTF-8",
            f"The file is UTF-8 except line{'s' if len(odd) > 1 else ''} {shown}, read as Windows-1252; "
            "check the accented letters there.")


def _delimiter(text: str) -> tuple[str, int]:
    """The delimiter, and the line the header is on (title lines above it are skipped).

    The delimiter is the one that splits the most lines into the same number of fields; the header
    is the first line with that number that names two or more columns, so a report title or an "as
    of" line above it (even one padded with empty fields) does not become the header.
    """
    lines = [ln for ln in text[:64_000].splitlines() if ln.strip()][:50]
    best, best_key, best_width = ",", (-1.0, 0), 0
    for d in _DELIMITERS:
        widths = [len(row) for row in csv.reader(lines, delimiter=d)]
        if not widths:
            continue
        counts = {w: widths.count(w) for w in set(widths)}
        width = widths[0] if counts[widths[0]] * 2 >= len(widths) else max(counts, key=lambda w: (counts[w], w))
        if width < 2:
            continue
        key = (counts[width] / len(widths), width)
        if key > best_key:
            best, best_key, best_width = d, key, width
    if best_width < 2:
        return best, 0
    rows = list(csv.reader(lines, delimiter=best))
    # a title padded out to the table's width by the export ("Kundenexport Dezember;;;;;") is still a
    # title: the header is the first full-width line that names at least two columns
    named = [sum(1 for c in row if c.strip()) for row in rows]
    first = next((i for i, row in enumerate(rows) if len(row) == best_width and named[i] >= 2), None)
    if first is None:
        return best, 0
    return best, first if all(len(row) < best_width or named[i] <= 1 for i, row in enumerate(rows[:first])) else 0


_TITLE_PREVIEW = 60
_PLACEHOLDERS = frozenset({"?", "-", "--", "---", ".", "n.a.", "n.a", "#value!", "#div/0!", "#ref!", "#num!", "#name?"})
_TOTAL_WORDS = re.compile(r"(grand\s+|sub-?\s*)?totals?|sum|summe|gesamt(summe)?|totaal|totale|total\s+general"
                          r"|合计|总计|小计|總計|合計", re.IGNORECASE)
_COMMA_DECIMAL = re.compile(r"[-+]?(\d+,\d{1,2}|\d{1,3}(\.\d{3})+,\d+|0,\d+)")
_DOTTED_WHOLE = re.compile(r"[-+]?(\d+|[1-9]\d{0,2}(\.\d{3})+)-?")


def _skip_lines(text: str, n: int) -> tuple[str, list[str]]:
    """``text`` without its first ``n`` non-blank lines (and the blank lines among them), and those lines."""
    lines = text.splitlines(keepends=True)
    skipped: list[str] = []
    i = 0
    while len(skipped) < n and i < len(lines):
        if lines[i].strip():
            skipped.append(lines[i].strip())
        i += 1
    return "".join(lines[i:]), skipped


def _trailer(text: str, sep: str, width: int) -> tuple[str, list[str]]:
    """``text`` without end-of-report lines ("End of report", "Records: 2000") that hold one field of a wide table."""
    if width < 3:
        return text, []
    lines = text.rstrip().splitlines(keepends=True)
    dropped: list[str] = []
    while len(lines) > 2 and len(dropped) < 3:
        fields = next(csv.reader([lines[-1]], delimiter=sep), [])
        if sum(bool(f.strip()) for f in fields) > 1 or not lines[-1].strip():
            break
        if len(fields) > 1 and not fields[0].strip():
            break
        if len(fields) >= width and not _TOTAL_WORDS.fullmatch(fields[0].strip().rstrip(":").strip()):
            break  # a full-width row with only its first cell filled is a customer with missing values
        dropped.append(lines.pop().strip())
    return "".join(lines), dropped[::-1]


def _total_rows(frame: pd.DataFrame) -> list[int]:
    """Positions of footer rows among the last three ("Total", "Summe", "合计" in a cell the rest of its column lacks)."""
    if len(frame) < 4:
        return []
    out = []
    for pos in range(len(frame) - 1, max(len(frame) - 4, 0), -1):
        row = frame.iloc[pos]
        hit = False
        for c, v in row.items():
            if isinstance(v, str) and _TOTAL_WORDS.fullmatch(v.strip().rstrip(":").strip()):
                body = frame[c].iloc[: len(frame) - 3]
                if not body.astype(str).str.strip().str.rstrip(":").str.fullmatch(_TOTAL_WORDS).any():
                    hit = True
                    break
        if not hit:
            break
        out.append(pos)
    return sorted(out)


def _decimal_comma_evidence(frame: pd.DataFrame) -> str:
    """'12,5' in 'Rate': a value that shows the file writes decimal commas; '' when none does."""
    for c in frame.columns:
        s = frame[c].dropna()
        if s.dtype != object or s.empty:
            continue
        sample = pd.Series(pd.unique(s.astype(str).str.strip())[:2000])
        hit = sample[sample.str.fullmatch(_COMMA_DECIMAL)]
        if len(hit) and len(hit) >= 0.5 * len(sample):
            return f"{hit.iloc[0]!r} in '{c}'"
    return ""


def _clean_text(frame: pd.DataFrame, comma_evidence: str = "") -> tuple[pd.DataFrame, list[str]]:
    """Strip the cells of text columns (blank cells and placeholders become missing), read plain numbers as numbers.

    ``comma_evidence`` names a value showing that the file writes decimal commas; a column of
    whole numbers grouped with dots (``1.169``) is then read as such, with a note.
    """
    out, notes, placeholders = {}, [], {}
    for c in frame.columns:
        s = frame[c]
        if s.dtype == object:
            uniques = pd.unique(s.dropna())
            stripped = [str(v).strip() for v in uniques]
            blank = [v if v and v.lower() not in _PLACEHOLDERS else np.nan for v in stripped]
            kept = [v for v in stripped if v and v.lower() not in _PLACEHOLDERS]
            if kept and any(isinstance(v, float) for v in blank):
                n = int(s.isin([u for u, v in zip(uniques, blank, strict=True) if isinstance(v, float)]).sum())
                shown = sorted({v for v in stripped if v.lower() in _PLACEHOLDERS})
                if shown:
                    placeholders[c] = (n, shown)
            if any(a != b for a, b in zip(uniques, blank, strict=True)):  # only touch rows when a cell needs it
                s = s.map(dict(zip(uniques, blank, strict=True)))
            if comma_evidence and kept and all(_DOTTED_WHOLE.fullmatch(v) for v in kept[:5000]) and any(
                    "." in v for v in kept):
                p = parse_numbers(s, decimal_hint=",")
                if p.share == 1.0:
                    s = p.values
                    ex = next(v for v in kept if "." in v)
                    notes.append(f"'{c}' holds whole numbers with dots grouping thousands ({ex!r} read as "
                                 f"{abs(p.values[frame[c].astype(str).str.strip() == ex].iloc[0]):,.0f}): "
                                 f"the file writes decimal commas (e.g. {comma_evidence}).")
            numbers = plain_numbers(s) if s.dtype == object else None
            if numbers is not None:
                s = numbers
        out[c] = s
    for c, (n, shown) in placeholders.items():
        notes.append(f"'{c}': {n:,} cell{'s' if n != 1 else ''} holding {', '.join(repr(v) for v in shown)} "
                     "(a placeholder, not a value) read as missing.")
    return pd.DataFrame(out, index=frame.index), notes


def read_csv(data: bytes) -> tuple[pd.DataFrame, list[str]]:
    """Parse CSV bytes, detecting the encoding and the delimiter; returns the frame and reading notes.

    Every cell is read as text first, so digit codes keep their leading zeros (``00123``); plain
    numbers then become numbers, and numbers written with units or separators are left to the
    inference (:mod:`core.data.parse`). Title lines above the header, end-of-report lines and
    footer totals are set aside with a note: they are not customers.
    """
    text, encoding, encoding_note = _decode(data)
    if not text.strip():
        raise EmptyDataError("The file is empty.", "Upload a file with a header row and data rows.")
    head = text.lstrip()[:1]
    if head in ("{", "[") and text.lstrip()[:200].count('"') >= 2 and ":" in text.lstrip()[:200]:
        raise FileFormatError("The file holds JSON, not CSV.",
                              "Export the table as CSV (a header row, then one row per customer) or as Parquet.")
    sep, header_at = _delimiter(text)
    notes = []
    if encoding not in ("UTF-8", "UTF-16"):
        notes.append(f"The file was read as {encoding} text (it is not UTF-8).")
    if encoding_note:
        notes.append(encoding_note)
    if header_at:
        text, skipped = _skip_lines(text, header_at)
        shown = "; ".join(repr(x[:_TITLE_PREVIEW]) for x in skipped[:3])
        notes.append(f"The {'line' if len(skipped) == 1 else f'{len(skipped)} lines'} above the header "
                     f"({shown}) {'is' if len(skipped) == 1 else 'are'} a title, not data, and "
                     f"{'was' if len(skipped) == 1 else 'were'} skipped.")
    header_line = next((ln for ln in text.splitlines() if ln.strip()), "")
    width = len(next(csv.reader([header_line], delimiter=sep), []))
    text, trailer = _trailer(text, sep, width)
    if trailer:
        notes.append(f"The last {'line' if len(trailer) == 1 else f'{len(trailer)} lines'} "
                     f"({'; '.join(repr(x[:_TITLE_PREVIEW]) for x in trailer)}) "
                     f"{'is' if len(trailer) == 1 else 'are'} not a row of the table and "
                     f"{'was' if len(trailer) == 1 else 'were'} skipped.")
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=True, low_memory=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise FileFormatError(f"The file could not be parsed as CSV: {_parser_message(exc)}",
                              "Check that every row has the same number of fields.") from exc
    if frame.shape[1] == 1 and len(header_line) > 40:
        raise FileFormatError("Only one column was found; the delimiter was not recognised.",
                              "Use comma, semicolon, tab or pipe as the separator.")
    if sep != ",":
        notes.append(f"The columns are separated by {_DELIMITER_NAMES[sep]}.")
    header = next(csv.reader([header_line], delimiter=sep))
    names = [h.strip() for h in header]
    repeated = sorted({h for h in names if names.count(h) > 1 and h})
    for h in repeated:
        notes.append(f"Two or more columns are named '{h}'; the later ones were renamed '{h}.1', '{h}.2', ...")
    frame.columns = [str(c).strip() for c in frame.columns]
    totals = _total_rows(frame)
    if totals:
        first = frame.iloc[totals[0]]
        label = next(str(v).strip() for v in first if isinstance(v, str) and _TOTAL_WORDS.fullmatch(
            str(v).strip().rstrip(":").strip()))
        notes.append(f"The last {'row' if len(totals) == 1 else f'{len(totals)} rows'} ({label!r}) "
                     f"{'is a total' if len(totals) == 1 else 'are totals'} of the rows above, not "
                     f"{'a customer' if len(totals) == 1 else 'customers'}, and {'was' if len(totals) == 1 else 'were'} "
                     "set aside.")
        frame = frame.drop(index=frame.index[totals])
    evidence = _decimal_comma_evidence(frame) if sep != "," else ""
    frame, cleaning = _clean_text(frame, evidence)
    return frame, notes + cleaning


def _parser_message(exc: Exception) -> str:
    """The pandas parser's error in the analyst's words ("line 7 has 5 fields where the header has 4")."""
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if m:
        return f"line {m.group(2)} has {m.group(3)} fields where the header has {m.group(1)}."
    return str(exc).strip().split("\n")[0]


def read_csv_bytes(data: bytes) -> pd.DataFrame:
    """Parse CSV bytes, detecting the encoding and the delimiter (see :func:`read_csv`)."""
    return read_csv(data)[0]


def read_parquet_bytes(data: bytes) -> pd.DataFrame:
    try:
        return pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises several types for corrupt input
        raise FileFormatError(f"The Parquet file could not be read: {exc}") from exc


def _unpack(filename: str, data: bytes, max_mb: int) -> tuple[str, bytes, list[str]]:
    """A gzip or single-file zip archive unpacked (the inner name, its bytes, a note); other files as they are.

    The unpacked size counts against the upload limit, read in chunks, so a small archive that
    expands to gigabytes is refused before it fills memory.
    """
    limit = max_mb * 2**20
    too_big = FileTooLargeError(f"The archive unpacks to more than the {max_mb} MiB limit.",
                                "Load it through SQL from the workspace, or raise STUDIO_MAX_UPLOAD_MB.")
    if data[:2] == b"\x1f\x8b":
        inner = filename[:-3] if filename.lower().endswith(".gz") else Path(filename).stem + ".csv"
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
                out = fh.read(limit + 1)
        except (OSError, EOFError) as exc:
            raise FileFormatError(f"The gzip file could not be unpacked: {exc}.", "Upload the CSV itself.") from None
        if len(out) > limit:
            raise too_big
        return inner, out, [f"The file was unpacked from gzip ('{inner}')."]
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                if "xl/workbook.xml" in zf.namelist():
                    raise FileFormatError("The file is an Excel workbook, not CSV or Parquet.",
                                          "Save the sheet as CSV (File > Save as > CSV UTF-8) and upload that.")
                members = [m for m in zf.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")
                           and Path(m.filename).suffix.lower() in (".csv", ".txt", ".tsv", ".parquet", ".pq")]
                if len(members) != 1:
                    raise FileFormatError(
                        f"The zip archive holds {len(members)} data files; one is needed.",
                        "Zip one CSV or Parquet file, or upload the file itself.")
                m = members[0]
                if m.file_size > limit:
                    raise too_big
                with zf.open(m) as fh:
                    out = fh.read(limit + 1)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError) as exc:  # corrupt, encrypted, odd method
            raise FileFormatError(f"The zip archive could not be unpacked: {exc}.", "Upload the CSV itself.") from None
        if len(out) > limit:
            raise too_big
        return m.filename, out, [f"The file was unpacked from the zip archive ('{m.filename}')."]
    return filename, data, []


def read_file(filename: str, data: bytes, max_mb: int) -> tuple[pd.DataFrame, list[str]]:
    """Read an uploaded file (CSV, Parquet, or either one gzipped or zipped), enforcing the size limit.

    What the bytes are decides, not only the name: a Parquet file named ``.csv`` is read as Parquet.
    Returns the frame and reading notes.
    """
    size_mb = len(data) / 2**20
    if size_mb > max_mb:
        raise FileTooLargeError(f"The file is {size_mb:,.0f} MiB, over the {max_mb} MiB limit.",
                                "Load it through SQL from the workspace, or raise STUDIO_MAX_UPLOAD_MB.")
    if not data:
        raise EmptyDataError("The file is empty.", "Upload a file with a header row and data rows.")
    filename, data, notes = _unpack(filename, data, max_mb)
    suffix = Path(filename).suffix.lower()
    if suffix in (".parquet", ".pq") and data[:4] != b"PAR1" and b"\x00" not in data[:4096]:
        try:  # text named .parquet: a CSV saved under the wrong name
            frame, more = read_csv(data)
        except (FileFormatError, EmptyDataError):
            frame, more = pd.DataFrame(), []
        if frame.shape[0] and frame.shape[1] >= 2:
            return frame, [*notes, f"'{filename}' holds text, not Parquet, and was read as CSV.", *more]
        raise FileFormatError(f"'{filename}' is not a Parquet file (nor a CSV).", "Upload a .csv or .parquet file.")
    if data[:4] == b"PAR1" or suffix in (".parquet", ".pq"):
        if suffix not in (".parquet", ".pq"):
            notes.append(f"'{filename}' holds a Parquet file and was read as one.")
        frame = read_parquet_bytes(data)
        frame.columns = [str(c).strip() for c in frame.columns]
        return frame, notes
    if suffix in (".csv", ".txt", ".tsv", ".dat", ""):
        frame, more = read_csv(data)
        return frame, notes + more
    raise FileFormatError(f"'{filename}' is neither CSV nor Parquet.",
                          "Upload a .csv or .parquet file (gzipped or zipped is fine).")


def read_file_bytes(filename: str, data: bytes, max_mb: int) -> pd.DataFrame:
    """Read an uploaded file by its extension, enforcing the size limit (see :func:`read_file`)."""
    return read_file(filename, data, max_mb)[0]
