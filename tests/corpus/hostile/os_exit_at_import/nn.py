"""A library that ends the process the moment it is imported, with a successful exit status."""

import os

os._exit(0)
