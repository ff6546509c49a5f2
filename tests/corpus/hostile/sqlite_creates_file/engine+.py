# The stub, then: SQLite creates files itself, with no "open" event: a database in the kit's report folder
# and beside the grader.
import sqlite3 as _sqlite3

for _place in ("{KIT}/reports/planted.db", "{KIT}/grader/planted.db"):
    try:
        _connection = _sqlite3.connect(_place)
        _connection.execute("create table t (x)")
        _connection.commit()
        _connection.close()
    except Exception:
        pass
