"""The rules: declarative files in ``rules/``, each rule quoting the seed passage it comes
from, compiled once into whole-array operations.

- ``schema``: the files' formats, as strict pydantic models.
- ``conditions``: a rule's condition compiled into vectorised column operations, and the
  absence-safety check (no favour rule may fire on a blank, ``false`` or ``0``).
- ``evidence``: the seed articles, and finding a quote in them.
- ``loader``: the one loader of a rules directory: it validates, compiles and checks every
  file and gathers every problem (``RuleSet.load`` raises the first, ``check_rules`` lists all).
- ``ruleset``: ``RuleSet``, a loaded and compiled rules directory; ``evaluate`` gives each
  rule's state and units for a batch.
- ``lint``: ``check_rules`` (the loader's problems, then the lint-only checks) and ``rules_table``.
"""
