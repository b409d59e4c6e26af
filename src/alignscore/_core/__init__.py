"""The foundation: what every layer shares, importing nothing else of alignscore but the
exceptions.

- ``vocabulary``: the bands, the sector classes and the log-odds-to-score scale, defined once.
- ``suggest``: the one "did you mean": closest words by one documented cutoff.
- ``safe_read``: reading a small regular file (a rules file, a seed) with a size cap.
- ``safe_yaml``: YAML loaded safely and exactly (no aliases, duplicate keys or odd numbers).
- ``atomic_write``: writing outputs through a temporary file renamed into place.
- ``spreadsheet``: escaping cells a spreadsheet would run as formulas, and undoing it.
- ``text``: neutralising control and bidi characters in untrusted text for display.
- ``progress``: progress bars for the CLI.
- ``resources``: where the bundled seeds, rules, model and data live.
"""
