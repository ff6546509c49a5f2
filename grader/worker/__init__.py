"""What runs inside a worker process, beside the graded code: nothing else of the grader does.

The grading process starts a worker (``main.py``) with this folder's files
only; each worker loads ``common.py`` and the scenarios of one stage
(``stage_N.py``), so a worker never holds the grader's own implementation
of what the stage it grades asks of the student. Everything here is standard
library only and imports nothing from outside this folder: in the worker,
these modules are top-level (``import common``); in the grading process,
where the same scenarios run on the reference, they are ``grader.worker.*``.
"""
