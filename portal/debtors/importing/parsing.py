"""Read a portfolio CSV: refuse broken files up front, then stream validated rows.

Nothing here touches the database; the loaders consume `RowReader` and write.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import itertools
import multiprocessing
import os
import re
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.utils.translation import gettext as _

from .values import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, ImportRow, RowError, RowValidator

ROW = "(row)"  # the `column` of an error about the row as a whole
PROGRESS_EVERY = 5_000

_CHUNK = 1 << 20
# C0 control characters other than tab, LF and CR never occur in a text CSV, and are the
# same bytes in UTF-8 and Latin-1, so one bytes pattern detects binary in either encoding.
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FileRefused(ValueError):
    """The file as a whole cannot be imported; nothing has been written."""


@dataclass
class CsvSource:
    raw: IO[bytes]
    encoding: str
    delimiter: str
    columns: list[str]
    sha256: str
    line_count: int

    def text(self) -> IO[str]:
        self.raw.seek(0)
        return io.TextIOWrapper(self.raw, encoding=self.encoding, newline="")


def _binary_handle(path_or_file: Any) -> IO[bytes]:
    if isinstance(path_or_file, str | os.PathLike):
        return open(path_or_file, "rb")  # noqa: SIM115  (closed by the caller)
    handle = path_or_file
    if hasattr(handle, "seekable") and handle.seekable():
        handle.seek(0)
        return handle
    # Non-seekable streams are spooled so the file can be read twice (check, then parse).
    spool = tempfile.SpooledTemporaryFile(max_size=_CHUNK * 8)  # noqa: SIM115
    shutil.copyfileobj(handle, spool, _CHUNK)
    spool.seek(0)
    return spool


def source_open(path_or_file: Any) -> CsvSource:
    """Check the whole file before anything is written, then read its header.

    Raises FileRefused for an empty or binary file, or a wrong header.
    """
    raw = _binary_handle(path_or_file)
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    is_utf8 = True
    lines = 0
    size = 0
    last = b""
    while chunk := raw.read(_CHUNK):
        size += len(chunk)
        digest.update(chunk)
        lines += chunk.count(b"\n")
        last = chunk
        if _BINARY.search(chunk):
            raise FileRefused(
                "The file is not a text CSV (it contains binary data). "
                "Export the sheet as CSV (UTF-8 or Latin-1) and try again."
            )
        if is_utf8:
            try:
                utf8.decode(chunk)
            except UnicodeDecodeError:
                is_utf8 = False
    if is_utf8:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    if size and not last.endswith(b"\n"):
        lines += 1
    source = CsvSource(
        raw=raw,
        encoding="utf-8-sig" if is_utf8 else "latin-1",
        delimiter=",",
        columns=[],
        sha256=digest.hexdigest(),
        line_count=lines,
    )
    text = source.text()
    header = text.readline()
    text.detach()  # or collecting the wrapper would close the caller's file
    if not header.strip():
        raise FileRefused("The file is empty: a header row and at least the header is required.")
    source.delimiter = ";" if header.count(";") > header.count(",") else ","
    source.columns = _header_check(header, source.delimiter)
    return source


def unreadable(error: csv.Error, line: int) -> FileRefused:
    """The refusal for a file the csv module cannot read past `line` (nothing is written:
    the loaders run inside a transaction, or stage into temporary tables)."""
    if "field limit" in str(error):
        # Mostly an unclosed quote: the field then runs on to the end of the file.
        message = _(
            "Line %(line)s has a field longer than %(limit)s characters, which no column "
            "of a portfolio file allows (often a quote that is never closed). Nothing was "
            "imported; fix the file and upload it again."
        ) % {"line": line, "limit": csv.field_size_limit()}
    else:
        message = _(
            "Line %(line)s cannot be read as CSV (%(error)s). Nothing was imported; fix "
            "the file and upload it again."
        ) % {"line": line, "error": error}
    return FileRefused(message)


def _header_check(header: str, delimiter: str) -> list[str]:
    try:
        fields = next(csv.reader([header], delimiter=delimiter))
    except csv.Error as exc:
        raise unreadable(exc, 1) from None
    names = [name.strip().lower() for name in fields]
    problems = []
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        problems.append("missing required columns: " + ", ".join(missing))
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    unknown = [name or "(empty)" for name in names if name not in known]
    if unknown:
        problems.append("unknown columns: " + ", ".join(unknown))
    duplicated = sorted({name for name in names if name and names.count(name) > 1})
    if duplicated:
        problems.append("duplicate columns: " + ", ".join(duplicated))
    if problems:
        raise FileRefused(
            "Wrong header (line 1): "
            + "; ".join(problems)
            + ". Expected columns: "
            + ", ".join(REQUIRED_COLUMNS)
            + " (optional: "
            + ", ".join(OPTIONAL_COLUMNS)
            + ")."
        )
    return names


class RowReader:
    """Iterate the valid rows of a source; collect the errors of the others.

    A row with any error is rejected whole. The first row claiming an account_ref owns
    it, even if that row is itself rejected, so the outcome does not depend on the order
    in which values are checked.

    Large files are validated by a pool of forked processes, a chunk at a time and in
    file order: phone and email checks cost tens of microseconds a row, which dominates a
    million-row import. Celery's prefork workers are daemons and may not fork, so there
    the rows are validated in-process.
    """

    def __init__(
        self,
        source: CsvSource,
        *,
        country: str,
        currency: str,
        today: dt.date,
        progress: Callable[[int], None] | None = None,
        parallel: bool | None = None,
    ) -> None:
        self.source = source
        self.validate = RowValidator(
            source.columns,
            country=country,
            currency=currency,
            semicolon=source.delimiter == ";",
            today=today,
        )
        self.progress = progress
        # Worth it from 2 cores now that chunks come back as text: on 2 cores a million
        # rows staged in 26-31 s through the pool and in 39 s in-process.
        self.parallel = (
            _can_fork()
            and (os.cpu_count() or 1) >= PARALLEL_MIN_CPUS
            and source.line_count > PARALLEL_MIN_ROWS
        )
        if parallel is not None:
            self.parallel = parallel and _can_fork()
        self.errors: list[RowError] = []
        self.rejected = 0
        self.rejected_early = 0
        self.processed = 0

    def reject(self, errors: list[RowError]) -> None:
        """Reject a row found invalid later (by a loader)."""
        self.errors.extend(errors)
        self.rejected += 1

    def __iter__(self) -> Iterator[ImportRow]:
        """The valid rows, validated in this process."""
        text = self.source.text()
        try:
            validate = self.validate
            for line, fields, first in self._records(text):
                row, errors = validate(fields, line)
                errors = _with_duplicate(errors, line, first)
                self._count(1)
                if errors:
                    self.reject(errors)
                else:
                    yield row
        finally:
            text.detach()
        self._finish()

    def formatted(self, format_row: Callable[[ImportRow], str]) -> Iterator[str]:
        """The valid rows passed through `format_row`, joined a chunk at a time.

        For a loader that needs each row only as text (COPY). In the process pool the
        workers format too, so one string per chunk travels back rather than a row
        object per row, whose pickling used to cost more than the pool saved.
        """
        if not self.parallel:
            batch: list[str] = []
            for row in self:
                batch.append(format_row(row))
                if len(batch) >= PARALLEL_CHUNK:
                    yield "".join(batch)
                    batch = []
            yield "".join(batch)
            return
        text = self.source.text()
        try:
            for chunk_text, rejected, rows in self._pooled(self._records(text), format_row):
                for errors in rejected:
                    self.reject(errors)
                self._count(rows)
                yield chunk_text
        finally:
            text.detach()
        self._finish()

    def _count(self, rows: int) -> None:
        before, self.processed = self.processed, self.processed + rows
        crossed = before // PROGRESS_EVERY < self.processed // PROGRESS_EVERY
        if crossed and self.progress is not None:
            self.progress(self.processed)

    def _finish(self) -> None:
        self.processed += self.rejected_early
        if self.progress is not None:
            self.progress(self.processed)

    def _records(self, text: IO[str]) -> Iterator[tuple[int, list[str], int]]:
        """(line, fields, line of the earlier row with this account_ref or 0)."""
        reader = csv.reader(text, delimiter=self.source.delimiter)
        next(reader)
        width = len(self.source.columns)
        account_at = self.source.columns.index("account_ref")
        seen: dict[str, int] = {}
        self.rejected_early = 0
        end = 1
        while True:
            try:
                fields = next(reader, None)
            except csv.Error as exc:
                raise unreadable(exc, end + 1) from None
            if fields is None:
                break
            line = end + 1
            end = reader.line_num
            if not any(fields):
                continue  # blank lines and lines of bare delimiters are not rows
            if len(fields) != width:
                reason = _("expected %(width)s fields, found %(found)s") % {
                    "width": width,
                    "found": len(fields),
                }
                self.reject([RowError(line, ROW, reason)])
                self.rejected_early += 1
                continue
            account_ref = fields[account_at].strip()
            first = seen.setdefault(account_ref, line) if account_ref else line
            yield line, fields, (first if first != line else 0)

    def _pooled(
        self, records: Iterable[tuple[int, list[str], int]], format_row
    ) -> Iterator[tuple[str, list[list[RowError]], int]]:
        global _worker_validate, _worker_format
        _worker_validate, _worker_format = self.validate, format_row  # inherited by the fork
        workers = min(os.cpu_count() or 2, 4)
        pending: deque = deque()
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            # A bounded window of chunks in flight keeps memory flat and progress honest.
            for chunk in _batched(records):
                pending.append(pool.apply_async(_validate_chunk, _packed(chunk)))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()


PARALLEL_MIN_ROWS = 20_000
PARALLEL_MIN_CPUS = 2
PARALLEL_CHUNK = 2_000
_worker_validate: RowValidator | None = None
_worker_format: Callable[[ImportRow], str] | None = None


def _can_fork() -> bool:
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def _batched(records: Iterable) -> Iterator[list]:
    iterator = iter(records)
    while chunk := list(itertools.islice(iterator, PARALLEL_CHUNK)):
        yield chunk


# A chunk's fields travel to a worker joined into one string: unpickling a list of
# field lists cost twice as much as splitting the string again (5.6 against 2.7 µs a
# row). source_open refuses any file holding these C0 controls, so no field has one.
_FIELD_SEPARATOR, _RECORD_SEPARATOR = "\x1f", "\x1e"


def _packed(chunk: list[tuple[int, list[str], int]]) -> tuple[str, list[int], dict[int, int]]:
    """(the records' fields joined, their lines, {line: first line} of the duplicates)."""
    text = _RECORD_SEPARATOR.join([_FIELD_SEPARATOR.join(fields) for _, fields, _ in chunk])
    lines = [line for line, _, _ in chunk]
    return text, lines, {line: first for line, _, first in chunk if first}


def _validate_chunk(
    text: str, lines: list[int], duplicates: dict[int, int]
) -> tuple[str, list[list[RowError]], int]:
    """In a worker: (the valid rows formatted and joined, each rejected row's errors, rows)."""
    validate, format_row = _worker_validate, _worker_format
    valid: list[str] = []
    rejected: list[list[RowError]] = []
    records = text.split(_RECORD_SEPARATOR)
    for line, record in zip(lines, records, strict=True):
        row, errors = validate(record.split(_FIELD_SEPARATOR), line)
        if duplicates:
            errors = _with_duplicate(errors, line, duplicates.get(line, 0))
        if errors:
            rejected.append(errors)
        else:
            valid.append(format_row(row))
    return "".join(valid), rejected, len(lines)


def _with_duplicate(errors: list[RowError] | None, line: int, first: int) -> list[RowError] | None:
    if not first:
        return errors
    reason = _("duplicate account_ref, first on line %(first)s") % {"first": first}
    return [*(errors or ()), RowError(line, "account_ref", reason)]
