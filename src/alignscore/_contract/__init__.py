"""The input contract (``docs/firm-profile.md``): every way firms come in ends as one
:class:`~alignscore._contract.profiles.Profiles` batch.

- ``columns``: the contract's columns, kinds and vocabularies, declared once.
- ``cells``: parsing one column's cells, vectorised, naming each bad cell.
- ``header``: matching a file's header to the contract (near-misses, typos, shadowing).
- ``profiles``: ``Profiles``, a parsed batch, and ``parse_table`` that makes one.
- ``firm``: ``FirmProfile``, one firm as a pydantic model, parsed by the same code.
- ``read``: CSV, Parquet or a pandas frame, read in bounded chunks.
- ``validate``: ``validate_file`` and ``read_firms``: the contract's verdict on a file.
- ``tushare_basic``: Tushare ``stock_basic`` rows to profiles.
- ``tushare_tables``, ``tushare_pro``: Tushare Pro tables, read and turned into profiles as of
  a date, with the provenance of every fact.
- ``synthetic``: synthetic firms, for scale tests only.
"""
