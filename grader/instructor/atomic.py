"""Write a file so that readers see the old content or the new, never half of it."""

import os
import tempfile
from pathlib import Path


def write_atomic(path, fill):
    """Create ``path`` by calling ``fill(binary_file)`` on a temporary file, then renaming it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            fill(f)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide a gradebook from the course's group
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
