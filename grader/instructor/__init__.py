"""The instructor's tools, and what they share.

``collect`` regrades a class, ``verify`` checks one submitted report,
``gradescope`` and ``prairielearn`` run the grader on those platforms; beside
them, reading submissions (``layout``), checking claims (``claims``), the
class summary (``summary``), the LMS gradebooks (``lms``), the options
official grading shares (``options``), and collect's warm processes
(``forked``). The student's own ``grader.submit`` packs what these read.
"""
