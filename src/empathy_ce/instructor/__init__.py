"""The instructor's workflow on top of nbgrader: release, collect, grade, feedback, report, certificates.

One module per step, each wrapping nbgrader's own commands, converters and gradebook: ``release``,
``collect``, ``grade`` (with ``parallel``), ``feedback``, ``report`` (with ``analysis`` and ``lms``) and
``certificates``. The nbgrader plug-ins they configure (kernel-free execution, collect, the LMS export) are in
``empathy_ce.grading``. The ``empathy-ce`` command line exposes each step.
"""
