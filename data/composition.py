"""Composition tables of the labelled firms, as pasted into data/DATASHEET.md.

Run from the repository root: ``python data/composition.py data/labelled_firms.csv``.
Sector classes come from the bundled taxonomy (rules/taxonomy.yaml), so they agree with the
scorer; per-column fill rates by label are ``alignscore data audit``'s business.
"""

from __future__ import annotations

import sys

import pandas as pd

from alignscore import RuleSet


def _table(df: pd.DataFrame, column: str, title: str) -> None:
    t = pd.crosstab(df[column].replace("", "(blank)"), df["label"], margins=True, margins_name="total")
    t = t.reindex(columns=["favoured=1", "favoured=0", "total"], fill_value=0)
    print(f"\n**{title}**\n\n| {column} | favoured=1 | favoured=0 | total |\n|---|---:|---:|---:|")
    for idx, r in t.iterrows():
        print(f"| {idx} | {r['favoured=1']} | {r['favoured=0']} | {r['total']} |")


def main(path: str) -> None:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    taxonomy = RuleSet.load().taxonomy.spec
    class_of = {s: sc.class_ for sc in taxonomy.sector_classes for s in sc.sectors}
    df["sector_class"] = df["sector"].map(lambda s: class_of.get(s, "(unknown)"))
    df["year"] = df["as_of"].str[:4]
    df["label"] = df["favoured"].map({"1": "favoured=1", "0": "favoured=0"})
    df["hard_case"] = df.get("hard_case", pd.Series("", index=df.index)).replace("", "(not a hard case)")
    n, k = len(df), int((df["favoured"] == "0").sum())
    events = df["label_event"].where(df["label_event"] != "", "firm:" + df["name"]).nunique()
    print(f"rows: {n}; favoured=1: {n - k} ({(n - k) / n:.1%}); favoured=0: {k} ({k / n:.1%}); "
          f"label events (cross-validation groups): {events}")
    _table(df, "sector_class", "By sector class")
    _table(df, "hard_case", "Hard cases")
    _table(df, "ownership", "By ownership")
    _table(df, "listing_venue", "By listing venue (before the event)")
    _table(df, "year", "By year of the label event")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "data/labelled_firms.csv")
