"""The rules: declarative files in ``rules/``, each rule quoting the seed passage it comes
from, compiled once into whole-array operations.

- ``schema``: the files' formats, as strict pydantic models.
- ``conditions``: a rule's condition compiled into vectorised column operations, and the
  absence-safety check (no favour rule may fire on a blank, ``false`` or ``0``).
- ``evidence``: the seed articles, and finding a quote in them.
- ``ruleset``: ``RuleSet``, a rules directory loaded, checked and compiled; ``evaluate``
  gives each rule's state and units for a batch.
- ``lint``: ``check_rules`` (every problem at once) and ``rules_table``.
"""
