"""Find a student's files in a submission, a folder or a zip, however it was packed.

A submission holds the package files at its top or in a ``student/`` folder,
either of those possibly inside one top folder (what zipping a folder gives),
and optionally the report the student submitted (``reports/grade-report.json``
or ``grade-report.json``). Only those files are read, each copied to a fixed
name with a size cap: an archive's own paths are never used to write, so a
hostile zip cannot write outside the place it is unpacked to, and a huge one is
never unpacked.
"""

import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..stages import MODULES

PACKAGE_FILES = ("__init__.py",) + tuple(m + ".py" for m in MODULES)
REPORT_NAMES = ("reports/grade-report.json", "grade-report.json")
MAX_MODULE_BYTES = 1 << 20  # a module of this kit is a few kB
MAX_REPORT_BYTES = 32 << 20
MAX_ENTRIES = 20000
SEARCH_DEPTH = 3  # top/student/engine.py


class SubmissionError(Exception):
    """The submission cannot be graded; the message says why, in words for the gradebook."""


@dataclass
class Unpacked:
    package: Path  # a folder holding the package files found (possibly not all five)
    report: Path | None  # the submitted report, copied, when there was one
    found: list = field(default_factory=list)  # package file names present
    notes: list = field(default_factory=list)  # things worth telling the instructor


def locate(names):
    """Where the package and the report sit among ``names`` (posix paths of regular files).

    Returns ``(package_prefix, report_name or None)``; raises SubmissionError
    when no module of the kit is there.
    """
    names = {n for n in names if not _is_junk(n)}
    candidates = ["", "student/"]
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) == 1 and all("/" in n for n in names):
        top = tops.pop() + "/"
        candidates += [top, top + "student/"]
    for prefix in candidates:
        if any(prefix + f in names for f in PACKAGE_FILES[1:]):
            root = prefix.removesuffix("student/")
            reports = [root + r for r in REPORT_NAMES] + [prefix + "grade-report.json"]
            return prefix, next((r for r in reports if r in names), None)
    if not names:
        raise SubmissionError("the submission is empty")
    raise SubmissionError("no engine.py, nn.py, train.py or derivatives.py found "
                          "(at the top, in student/, or in one top folder)")


def unpack(source, dest):
    """Copy the package files and the report of ``source`` (folder or zip) into ``dest``."""
    source, dest = Path(source), Path(dest)
    if source.is_dir():
        reader = _FolderReader(source)
    elif source.is_file():
        reader = _ZipReader(source)
    else:
        raise SubmissionError(f"{source.name} is neither a folder nor a file")
    with reader:
        prefix, report_name = locate(reader.names)
        unpacked = Unpacked(package=dest / "package", report=None, notes=list(reader.notes))
        unpacked.package.mkdir(parents=True)
        for name in PACKAGE_FILES:
            if prefix + name in reader.names:
                data = reader.read(prefix + name, MAX_MODULE_BYTES)
                (unpacked.package / name).write_bytes(data)
                unpacked.found.append(name)
        if report_name:
            unpacked.report = dest / "submitted-report.json"
            unpacked.report.write_bytes(reader.read(report_name, MAX_REPORT_BYTES))
    return unpacked


def _is_junk(name):
    parts = PurePosixPath(name).parts
    return parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts)


def _too_big(name, limit):
    return SubmissionError(f"{name} is larger than {limit // (1 << 20)} MB")


class _ZipReader:
    """The regular files of a zip, by safe relative name; links and odd paths are skipped."""

    def __init__(self, path):
        self.notes = []
        try:
            self.zip = zipfile.ZipFile(path)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
            raise SubmissionError(f"{path.name} is not a readable zip file ({error})") from None
        if len(infos) > MAX_ENTRIES:
            self.zip.close()
            raise SubmissionError(f"{path.name} holds more than {MAX_ENTRIES} entries")
        self.members = {}
        for info in infos:
            name = info.filename
            if info.is_dir():
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                self.notes.append(f"ignored the link {name}")
                continue
            parts = PurePosixPath(name).parts
            if "\\" in name or name.startswith("/") or ".." in parts or not parts:
                self.notes.append(f"ignored the unsafe path {name}")
                continue
            self.members[name] = info
        self.names = set(self.members)

    def read(self, name, limit):
        info = self.members[name]
        if info.file_size > limit:
            raise _too_big(name, limit)
        try:
            with self.zip.open(info) as f:
                data = f.read(limit + 1)
        except (zipfile.BadZipFile, RuntimeError, OSError, ValueError, EOFError,
                NotImplementedError) as error:  # corrupt, encrypted, unknown compression
            raise SubmissionError(f"{name} could not be read from the zip ({error})") from None
        if len(data) > limit:
            raise _too_big(name, limit)
        return data

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.zip.close()


class _FolderReader:
    """The regular files of a folder, a few levels deep; links are never followed."""

    def __init__(self, root):
        self.root = root
        self.notes = []
        self.names = set()
        try:
            self._walk(root, "", 0)
        except OSError as error:
            raise SubmissionError(f"{root.name} could not be read ({error.strerror})") from None

    def _walk(self, folder, prefix, depth):
        with os.scandir(folder) as entries:
            for entry in entries:
                if len(self.names) > MAX_ENTRIES:
                    raise SubmissionError(f"{self.root.name} holds more than {MAX_ENTRIES} files")
                name = prefix + entry.name
                if entry.is_symlink():
                    self.notes.append(f"ignored the link {name}")
                elif entry.is_dir() and depth + 1 < SEARCH_DEPTH:
                    self._walk(entry.path, name + "/", depth + 1)
                elif entry.is_file():
                    self.names.add(name)

    def read(self, name, limit):
        path = self.root / name
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as f:
                if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                    raise SubmissionError(f"{name} is not a regular file")
                data = f.read(limit + 1)
        except OSError as error:
            raise SubmissionError(f"{name} could not be read ({error.strerror})") from None
        if len(data) > limit:
            raise _too_big(name, limit)
        return data

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass
