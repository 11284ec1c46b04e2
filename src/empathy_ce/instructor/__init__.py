"""The instructor's workflow on top of nbgrader: release, collect, grade, feedback, report, certificates.

One module per step, each wrapping nbgrader's own commands, converters and gradebook: ``release``,
``collect``, ``grade`` (with ``widget_only`` and ``parallel``), ``feedback``, ``report`` (with ``analysis``
and ``lms``) and ``certificates``. The ``empathy-ce`` command line exposes each step.
"""
