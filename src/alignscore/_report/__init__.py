"""Reports: rendering is pure (a result in, text out); writing is separate and atomic.

- ``render``: a ``ScoreResult`` as JSON, Markdown or HTML, the notebook card and the index.
- ``write``: ``write_reports`` and ``write_text``: one report per firm, an index, a manifest.
"""
