"""What the instructor tools share: reading submissions, checking claims, the class summary.

The entry points are ``grader.submit``, ``grader.collect`` and ``grader.gradescope``.
"""
