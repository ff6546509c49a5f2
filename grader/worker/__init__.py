"""What runs inside a worker process, beside the graded code: nothing else of the grader does.

The grading process starts a worker (``main.py``) with this folder's files
only; each worker loads ``common.py`` and the scenarios of the stages it
grades (``stage_N.py``, grouped by ``grader.scenarios.WORKERS``), so a
worker never holds the grader's own implementation of what a stage it
grades asks of the student. Everything here is standard
library only and imports nothing from outside this folder: in the worker,
these modules are top-level (``import common``); in the grading process,
where the same scenarios run on the reference, they are ``grader.worker.*``.
"""
