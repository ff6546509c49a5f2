"""The instructor's tools, and what they share.

``collect`` regrades a class, ``verify`` checks one submitted report,
``gradescope`` runs the grader on Gradescope; beside them, reading
submissions (``layout``), checking claims (``claims``), the class summary
(``summary``). The student's own ``grader.submit`` packs what these read.
"""
