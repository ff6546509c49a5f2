"""An engine that borrows the reference's."""

from reference.engine import Value  # noqa: F401
