"""File handling shared by the studio-side adapters: decoding exports, drop folders, atomic writes.

- :func:`decode` turns an export's bytes into text and remembers how it was encoded (BOM, encoding,
  line ending) so a write-back can speak the same dialect.
- :func:`drop_folder_files` lists the files a drop folder offers, skipping what is still being written.
- :func:`write_new` writes a file atomically (temp file + rename) and never replaces an existing one;
  :func:`replace_atomically` rewrites a file in place, also through a temp file.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from syncengine.errors import SourceError, WritebackError

#: The order matters: UTF-32 LE starts with the UTF-16 LE BOM, but no export uses UTF-32.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: Names a drop folder may hold while a file is still being copied or edited (Office lock files,
#: browser and rsync partials, editor swap files): never read.
_TEMP_PREFIXES = ("~$", ".")
OUTBOX_PREFIX = "from-google-"
_TEMP_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp", "~")


@dataclass(frozen=True)
class Decoded:
    """An export's text and the dialect it came in."""

    text: str
    #: a codec name that writes the same bytes back: "utf-8", "utf-8-sig", "utf-16", "cp1252", ...
    encoding: str
    #: the first line ending seen ("\r\n", "\n" or "\r"); "\r\n" when the file has a single line.
    newline: str
    #: SHA-256 of the raw bytes, to notice a file that changed between read and write.
    digest: str


def decode(path: Path, data: bytes, encoding: str = "auto") -> Decoded:
    """Decode ``data``; ``encoding: auto`` tries BOMs, then UTF-8, then cp1252.

    Raises :class:`SourceError` (with the line of the first bad byte) when the bytes are not valid in
    the chosen encoding: such a file is rejected as a whole.
    """
    digest = hashlib.sha256(data).hexdigest()
    chosen = encoding.lower()
    if chosen == "auto":
        chosen = next((name for bom, name in _BOMS if data.startswith(bom)), "")
        if not chosen:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                chosen = "cp1252"
            else:
                return Decoded(text, "utf-8", _newline(text), digest)
    try:
        text = data.decode(chosen)
    except LookupError as exc:
        raise SourceError(path, f"unknown encoding {encoding!r}") from exc
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            path, f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not valid {chosen}", line=line
        ) from exc
    if chosen in ("utf-16", "utf-16-le", "utf-16-be") and text.startswith("\ufeff"):
        text = text[1:]
    return Decoded(text, chosen, _newline(text), digest)


def _newline(text: str) -> str:
    cr = text.find("\r")
    lf = text.find("\n")
    if cr == -1 and lf == -1:
        return "\r\n"
    if cr == -1:
        return "\n"
    if lf == cr + 1:
        return "\r\n"
    return "\r" if lf == -1 or cr < lf else "\n"


def read_bytes(path: Path) -> bytes:
    """A file's bytes; an unreadable file is a :class:`SourceError`."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(path, f"cannot read: {exc.strerror or exc}") from exc


def is_temporary(path: Path) -> bool:
    """Whether ``path`` looks like a file still being written (see ``_TEMP_PREFIXES``)."""
    name = path.name
    return name.startswith(_TEMP_PREFIXES) or name.lower().endswith(_TEMP_SUFFIXES)


def drop_folder_files(folder: Path, suffixes: tuple[str, ...] = (".csv", ".ics")) -> list[Path]:
    """The export files of a drop folder, oldest first (by mtime, then name), so later ones win.

    Outbox files (``from-google-*``) are skipped too: a writeback folder inside the drop folder must
    not make syncengine read its own changes back as if the studio had exported them.
    """
    if not folder.is_dir():
        raise SourceError(folder, "the drop folder does not exist")
    found: list[tuple[int, str, Path]] = []
    for entry in folder.iterdir():
        skipped = is_temporary(entry) or entry.name.startswith(OUTBOX_PREFIX)
        if entry.suffix.lower() not in suffixes or skipped or not entry.is_file():
            continue
        found.append((entry.stat().st_mtime_ns, entry.name, entry))
    return [path for _, _, path in sorted(found)]


def source_files(path: Path, suffixes: tuple[str, ...] = (".csv", ".ics")) -> list[Path]:
    """The files a source path stands for: the file itself, or a drop folder's export files."""
    if path.is_dir():
        return drop_folder_files(path, suffixes)
    if not path.exists():
        # A path without a suffix names a drop folder (SourceConfig.is_folder).
        what = "the drop folder" if not path.suffix else "the export file"
        raise SourceError(path, f"{what} does not exist")
    return [path]


def outbox_stamp(now: datetime) -> str:
    """The UTC timestamp in outbox file names: sortable, no characters Windows refuses."""
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def write_new(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, never replacing a file: on a clash add ``-1``, ``-2``...

    Returns the path written.  The temp file lives in the same folder, so the final step is a
    same-filesystem link (which fails rather than overwrite) and readers never see a partial file.
    """
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temp = _write_temp(folder, data)
    except OSError as exc:
        raise WritebackError(path, f"cannot write: {exc.strerror or exc}") from exc
    try:
        for attempt in range(1000):
            target = path if attempt == 0 else path.with_name(f"{path.stem}-{attempt}{path.suffix}")
            try:
                os.link(temp, target)
            except FileExistsError:
                continue
            except OSError:
                # A filesystem without hard links: check, then rename (a narrow race, but no overwrite
                # of a file that existed before this call).
                if target.exists():
                    continue
                os.replace(temp, target)
            return target
        raise WritebackError(path, "too many files with this name already exist")
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def replace_atomically(path: Path, data: bytes) -> None:
    """Rewrite ``path`` with ``data`` through a temp file and a rename (readers see old or new)."""
    try:
        temp = _write_temp(path.parent, data)
        try:
            os.replace(temp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
    except OSError as exc:
        raise WritebackError(path, f"cannot rewrite: {exc.strerror or exc}") from exc


def _write_temp(folder: Path, data: bytes) -> str:
    fd, temp = tempfile.mkstemp(dir=folder, prefix=".syncengine-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        os.unlink(temp)
        raise
    return temp
