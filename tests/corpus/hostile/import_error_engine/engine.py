"""An engine that needs a module the grader does not have."""

import a_module_that_is_not_installed_anywhere  # noqa: F401


class Value:
    pass
