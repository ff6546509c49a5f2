"""Gradebooks a learning management system imports as they are: Canvas's and Moodle's.

Canvas's gradebook import reads ``Student,ID,SIS User ID,SIS Login ID,Section``
and one column per assignment; Moodle's CSV grade import maps one identifier
column to a user field (email, username or ID number) and a grade column to
a grade item. Both take one row per student holding the total.

Who is who comes from a roster, when the instructor gives one: any CSV with a
header, such as Canvas's own gradebook export or Moodle's grade export. A
submission belongs to the roster row where one of the identifying columns
holds its student id. Without a roster, the student id (the report's, or the
submission's name) is all there is: it goes in Canvas's ``Student`` column and
in Moodle's ``Username``.
"""

import csv
from dataclasses import dataclass

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
# roster columns that may hold what a student typed as their id, Canvas's and Moodle's names
ID_COLUMNS = ("SIS Login ID", "SIS User ID", "ID", "Email address", "Username", "ID number", "student_id",
              "Student")
MOODLE_IDENTIFIERS = ("Email address", "Username", "ID number", "SIS Login ID", "SIS User ID")
DEFAULT_ASSIGNMENT = "micrograd-kit"


class RosterError(ValueError):
    """The roster cannot be used; the message says why."""


@dataclass
class Roster:
    header: list
    rows: list  # dicts, one per student, in the roster's order

    def find(self, student_id):
        """The roster rows one of whose identifying columns is ``student_id`` (case-insensitive)."""
        wanted = student_id.strip().casefold()
        columns = [c for c in ID_COLUMNS if c in self.header]
        return [row for row in self.rows if any((row.get(c) or "").strip().casefold() == wanted for c in columns)]

    def moodle_identifier(self):
        """The column Moodle maps to a user: the first of MOODLE_IDENTIFIERS the roster has."""
        return next((c for c in MOODLE_IDENTIFIERS if c in self.header), None)


def read_roster(path):
    """A roster from a CSV file; RosterError when it has no column that names a student."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = [h.strip() for h in reader.fieldnames or []]
            rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]
    except FileNotFoundError:
        raise RosterError(f"there is no file {path}") from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise RosterError(f"{path} could not be read as a CSV file ({error})") from None
    if not any(c in header for c in ID_COLUMNS):
        raise RosterError(f"{path} has none of the columns {', '.join(ID_COLUMNS)}: "
                          "give a CSV whose header names the students' ids (a Canvas or Moodle export does)")
    # Canvas's export has a "Points Possible" row, and may have a "Test Student": neither is a student
    rows = [r for r in rows if not r.get("Student", "").strip().lower().endswith("points possible")
            and r.get("Student") != "Student, Test" and any(r.get(c) for c in ID_COLUMNS)]
    return Roster(header, rows)


@dataclass
class Grade:
    """One student's grade for the LMS files: the roster row (or None) and the total."""

    student_id: str
    total: float
    roster_row: dict | None


def match(grades, roster):
    """``(matched, problems)``: each student's grade with their roster row, and what could not be matched.

    ``grades`` is ``[(student_id, total)]`` for the submissions regraded
    without doubt. A student id that no roster row holds, or that two rows
    hold, is left out with a line saying so: an LMS import must never put a
    grade on the wrong student.
    """
    matched, problems = [], []
    for student_id, total in grades:
        if roster is None:
            matched.append(Grade(student_id, total, None))
            continue
        rows = roster.find(student_id)
        if len(rows) == 1:
            matched.append(Grade(student_id, total, rows[0]))
        elif not rows:
            problems.append(f"{student_id}: not in the roster")
        else:
            problems.append(f"{student_id}: {len(rows)} roster rows match")
    if roster is not None:
        graded = [id(g.roster_row) for g in matched]
        missing = [_name(row) for row in roster.rows if id(row) not in graded]
        if missing:
            problems.append(f"in the roster, no graded submission: {', '.join(missing)}")
    return matched, problems


def canvas_rows(matched, assignment=DEFAULT_ASSIGNMENT):
    """Canvas's gradebook import: its five student columns, then the assignment's total."""
    rows = [list(CANVAS_COLUMNS) + [assignment]]
    for grade in matched:
        student = [grade.roster_row.get(c, "") for c in CANVAS_COLUMNS] if grade.roster_row else []
        if not any(student):  # no roster, or one without Canvas's columns: the student id is all there is
            student = [grade.student_id, "", "", "", ""]
        rows.append(student + [_number(grade.total)])
    return rows


def moodle_rows(matched, roster, assignment=DEFAULT_ASSIGNMENT):
    """Moodle's CSV grade import: an identifier column (mapped to a user field on import) and the grade."""
    identifier = roster.moodle_identifier() if roster is not None else None
    rows = [[identifier or "Username", assignment]]
    for grade in matched:
        value = grade.roster_row.get(identifier, "") if identifier and grade.roster_row else grade.student_id
        rows.append([value or grade.student_id, _number(grade.total)])
    return rows


def _name(row):
    return next((row[c] for c in ("Student",) + ID_COLUMNS if row.get(c)), "?")


def _number(value):
    return f"{value:g}"
