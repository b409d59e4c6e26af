"""How fast alignscore scores, against the I/O floor, in one run.

    python benchmarks/bench_score.py [--rows N] [--out DIR] [--seed S]

Generates ``N`` synthetic firms (``alignscore.synthetic_firms``, deterministic from ``--seed``),
writes them to CSV with pyarrow, then measures in the same run:

1. the I/O floor: pyarrow reading that CSV (every column as text) and writing a CSV as wide as
   alignscore's output (input columns + 6 result columns) with ``pyarrow.csv``; no scoring;
2. ``alignscore score IN -o OUT --quiet`` end to end, as a subprocess (rows/s and peak memory);
3. ``Scorer.score_frame`` on a DataFrame already in memory: typed (floats, Categorical,
   nullable booleans, as a researcher would hold it) and raw text;
4. the same rules evaluated row by row by the ``rule-engine`` package on a 20,000-row sample,
   against alignscore's vectorised ``RuleSet.evaluate`` on the same sample.

Synthetic firms are for speed tests ONLY. If the bundled default model is missing, a model is
trained on synthetic firms with a made-up label: meaningless scores, but the same arithmetic.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

AS_OF = "2023-06-30"
RESULT_WIDTH = 6
TARGETS = {
    "end_to_end_vs_floor": 2.0,  # end to end within 2x of the I/O floor
    "score_frame_rows_s": 1_000_000,
    "rules_speedup": 1_000,
    "peak_memory_bytes": 1 << 30,  # at 10M rows
}


def _alignscore():  # the package __init__, or its parts if __init__ is not importable yet
    try:
        import alignscore

        return alignscore.Scorer, alignscore.synthetic_firms
    except ImportError:
        from alignscore._contract.synthetic import synthetic_firms
        from alignscore._scoring.scorer import Scorer

        return Scorer, synthetic_firms


# --- helpers ---------------------------------------------------------------------------------


def _timed(fn, repeat: int = 1) -> tuple[float, object]:
    """Wall seconds of ``fn()`` (the median of ``repeat`` runs) and its last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pa_csv.write_csv(table, path)


def _all_text(path: Path) -> pa.Table:
    with path.open("rb") as fh:
        names = fh.readline().decode("utf-8").rstrip("\r\n").split(",")
    convert = pa_csv.ConvertOptions(
        column_types={n: pa.string() for n in names}, strings_can_be_null=False
    )
    return pa_csv.read_csv(path, convert_options=convert)


def _result_like(n: int, seed: int) -> dict[str, pa.Array]:
    """Six columns shaped like alignscore's results (3 floats, 3 short texts)."""
    rng = np.random.default_rng(seed)
    p = rng.random(n)
    pool = np.array(["Neutral", "Tailwind", "Headwind", "Strong tailwind", "Strong headwind"])
    reasons = np.array(
        [
            "sector_hard_tech+;model:little_giant+;model:sm_intensity-",
            "model:listed_star_or_bse+;sector_soft_tech-;model:consumer_reach-",
            "",
        ]
    )
    flags = np.array(["", "risk_us_sanctions", "risk_talent_shortage;risk_valley_of_death"])
    return {
        "score": pa.array(p * 100),
        "band": pa.array(pool[rng.integers(0, len(pool), n)]),
        "probability": pa.array(p),
        "coverage": pa.array(rng.random(n)),
        "reasons": pa.array(reasons[rng.integers(0, len(reasons), n)]),
        "risk_flags": pa.array(flags[rng.integers(0, len(flags), n)]),
    }


def _default_model_ok(scorer_cls) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scorer_cls(as_of=AS_OF)._engine()
        return True
    except Exception:
        return False


def _made_up_model(out: Path, scorer_cls, synthetic_firms, seed: int) -> Path:
    """A model fitted on synthetic firms with a made-up label (speed tests ONLY), saved."""
    import hashlib

    from alignscore._model.persist import save_scorecard

    frame = synthetic_firms(4000, seed=seed + 1)
    rng = np.random.default_rng(seed + 1)
    hard = frame["sector"].isin(["semiconductors", "ai", "robotics", "industrial_software"])
    y = (rng.random(len(frame)) < np.where(hard, 0.7, 0.3)).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = scorer_cls(as_of=AS_OF, random_state=seed).fit(frame, y)
    engine = fitted.engine_
    digest = hashlib.sha256(b"made-up synthetic labels").hexdigest()
    fields = {
        "rules_sha256": engine.ruleset.sha256,
        "training_data": "synthetic firms with a made-up label (benchmark only)",
        "training_data_sha256": digest,
        "training_rows": len(frame),
        "parameters": {"seed": seed},
        "metrics": {},
        "command": "benchmarks/bench_score.py",
    }
    model_dir = out / "made_up_model"
    save_scorecard(
        model_dir, engine.scorecard.to_file(), fields, "# Made-up model: benchmark ONLY, meaningless.\n"
    )
    return model_dir


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("alignscore")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("alignscore")
    return [found] if found else [sys.executable, "-m", "alignscore"]


def _run_cli(args: list[str]) -> tuple[float, int | None, str]:
    """Wall seconds, peak RSS in bytes, and how it was measured."""
    gnu_time = Path("/usr/bin/time")
    use_time = gnu_time.exists()
    cmd = ([str(gnu_time), "-v"] if use_time else []) + args
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    if use_time:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
        if m:
            return seconds, int(m.group(1)) * 1024, "/usr/bin/time -v"
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
    return seconds, rss, "getrusage(RUSAGE_CHILDREN), max over children"


def typed_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """The raw text firms as a researcher would hold them: floats, Categoricals, booleans."""
    from alignscore._contract.columns import COLUMNS, Kind

    kinds = {c.name: c for c in COLUMNS}
    out = {}
    for name in raw.columns:
        col = kinds.get(name)
        s = raw[name]
        if col is None or col.kind in (Kind.TEXT, Kind.DATE):
            out[name] = s
        elif col.kind is Kind.CATEGORY:
            out[name] = pd.Categorical(s.where(s != ""), categories=list(col.vocabulary))
        elif col.kind is Kind.BOOLEAN:
            out[name] = s.map({"true": True, "false": False}).astype("boolean")
        else:
            out[name] = pd.to_numeric(s.where(s != ""), errors="coerce").astype("float64")
    return pd.DataFrame(out)


# --- rule-engine translation -----------------------------------------------------------------


def _lit(ctype, v) -> str:
    from alignscore._contract.columns import Kind

    if ctype.kind is Kind.CATEGORY:
        return '"' + ctype.vocabulary[v] + '"'
    return repr(float(v))


def _known(leaf) -> str:
    cols = [leaf.column] + ([leaf.other] if leaf.other else [])
    return " and ".join(f"{c} != null" for c in cols)


def _leaf_expr(leaf) -> tuple[str, str]:
    """(true where the leaf holds, false where it does not), both false when unknown."""
    c, op, v = leaf.column, leaf.op, leaf.value
    known = _known(leaf)
    if op == "is_unknown":
        return f"{c} == null", f"{c} != null"
    if op == "is_known":
        return f"{c} != null", f"{c} == null"
    if op in ("is_true", "is_false"):
        hit = f"{c} == {'true' if op == 'is_true' else 'false'}"
    elif op in ("lt", "lte", "gt", "gte"):
        sym = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}[op]
        hit = f"{c} {sym} {leaf.other if leaf.other else _lit(leaf.ctype, v)}"
    elif op == "between":
        hit = f"({c} >= {_lit(leaf.ctype, v[0])} and {c} <= {_lit(leaf.ctype, v[1])})"
    elif op in ("equals", "not_equals"):
        hit = f"{c} == {_lit(leaf.ctype, v)}"
    else:  # in, not_in
        hit = f"{c} in [{', '.join(_lit(leaf.ctype, x) for x in v)}]"
    if op in ("not_equals", "not_in"):
        return f"({known} and not ({hit}))", f"({known} and {hit})"
    return f"({known} and {hit})", f"({known} and not ({hit}))"


def rule_engine_text(node) -> tuple[str, str]:
    """A compiled alignscore condition as two rule-engine expressions: holds / fails.

    Kleene logic, exactly as alignscore evaluates it: ``all`` holds where every child holds and
    fails where any fails; ``any`` the reverse; ``not`` swaps the two. A graded signal fires
    where its value is known and above its reference (it has units) and its gate holds.
    """
    from alignscore._rules.conditions import AllNode, AnyNode, GradedNode, LeafNode, NotNode

    if isinstance(node, LeafNode):
        return _leaf_expr(node)
    if isinstance(node, GradedNode):
        c, ref = node.column, repr(float(node.reference))
        holds, fails = f"({c} != null and {c} > {ref})", f"({c} != null and {c} <= {ref})"
        if node.gate is None:
            return holds, fails
        gate_holds, gate_fails = rule_engine_text(node.gate)
        return f"({holds} and {gate_holds})", f"({fails} or {gate_fails})"
    if isinstance(node, NotNode):
        t, f = rule_engine_text(node.child)
        return f, t
    parts = [rule_engine_text(c) for c in node.children]
    holds, fails = [t for t, _ in parts], [f for _, f in parts]
    if isinstance(node, AnyNode):
        return "(" + " or ".join(holds) + ")", "(" + " and ".join(fails) + ")"
    assert isinstance(node, AllNode)
    return "(" + " and ".join(holds) + ")", "(" + " or ".join(fails) + ")"


def _python_rows(ctx: dict[str, np.ndarray]) -> list[dict]:
    """The rules' view of each firm as plain Python values (None = unknown)."""
    from alignscore._contract.columns import Kind
    from alignscore._rules.conditions import rule_columns

    types = rule_columns()
    cols: dict[str, list] = {}
    for name, arr in ctx.items():
        ctype = types.get(name)
        if ctype is None:
            continue
        a = np.asarray(arr)
        if ctype.kind is Kind.CATEGORY:
            vocab = [*ctype.vocabulary, None]
            cols[name] = [vocab[i] for i in a.astype(np.int64).tolist()]
        elif ctype.kind is Kind.BOOLEAN:
            cols[name] = [None if x != x else bool(x) for x in a.astype(float).tolist()]
        else:
            cols[name] = [None if x != x else x for x in a.astype(float).tolist()]
    n = len(next(iter(cols.values())))
    return [{k: v[i] for k, v in cols.items()} for i in range(n)]


def bench_rules(scorer, raw_sample: pd.DataFrame, as_of: dt.date, budget_s: float) -> dict:
    """Row-by-row rule-engine vs vectorised RuleSet.evaluate, on the same rows.

    The per-row engine runs in blocks of 1,000 rows until the sample is done or ``budget_s``
    has passed (so a small CI run stays quick); the vectorised path is then timed on exactly
    the rows the per-row engine saw.
    """
    import rule_engine

    from alignscore._contract.read import iter_profiles
    from alignscore._rules.ruleset import FIRED, NOT_IN_EFFECT

    ruleset = scorer._engine().ruleset
    batch = next(iter_profiles(raw_sample, chunk_rows=len(raw_sample)))
    rows = _python_rows(ruleset.evaluate(batch.values, as_of).values)
    ctx = rule_engine.Context(default_value=None)
    compiled = [rule_engine.Rule(rule_engine_text(r.node)[0], context=ctx) for r in ruleset.rules]
    fired_blocks = []
    t0 = time.perf_counter()
    done = 0
    while done < len(rows) and time.perf_counter() - t0 < budget_s:
        block = rows[done : done + 1000]
        fired_blocks.append([[rule.matches(row) for rule in compiled] for row in block])
        done += len(block)
    per_row_s = time.perf_counter() - t0
    fired = np.array([r for b in fired_blocks for r in b], dtype=bool)

    values = next(iter_profiles(raw_sample.head(done), chunk_rows=done)).values
    ruleset.evaluate(values, as_of)  # warm
    runs = []
    for _ in range(5):
        t1 = time.perf_counter()
        results = ruleset.evaluate(values, as_of)
        runs.append(time.perf_counter() - t1)
    vec_s = statistics.median(runs)
    # both must agree, rule by rule (a rule out of effect on the date never fires)
    active = (results.states != NOT_IN_EFFECT).all(axis=0)
    agree = bool(((results.states == FIRED) == (fired & active)).all())
    return {
        "rows": done,
        "rules": len(compiled),
        "vec_s": vec_s,
        "per_row_s": per_row_s,
        "agree": agree,
    }


# --- main ------------------------------------------------------------------------------------


def _report(results, n, floor_s, e2e_s, peak, t_typed, rb, same) -> None:
    """Print the table of measurements and the targets (those measured in this run)."""
    print()
    print(f"{'measurement':<44} {'seconds':>9} {'rows/s':>13} {'vs floor':>9}  note")
    print("-" * 110)
    for name, secs, note in results:
        rate = n / secs if secs > 0 else float("inf")
        print(f"{name:<44} {secs:>9.3f} {rate:>13,.0f} {floor_s / secs:>8.2f}x  {note}")
    print()
    checks = [
        (
            "end to end within 2x of the I/O floor",
            e2e_s <= 2.0 * floor_s,
            f"{e2e_s / floor_s:.2f}x the floor",
        ),
        (
            "peak memory < 1 GB at 10M rows",
            peak is not None and peak < TARGETS["peak_memory_bytes"],
            f"{peak / 2**20:,.0f} MiB at {n:,} rows"
            + ("" if n >= 10_000_000 else " (indicative: run --rows 10000000 --cli-only)"),
        ),
    ]
    if rb is not None:
        speedup = rb["per_row_s"] / rb["vec_s"]
        print(
            f"rules speed ratio: vectorised is {speedup:,.0f}x the per-row rule-engine"
            f" (same {rb['rows']:,} rows; results agree: {'yes' if rb['agree'] else 'NO'})"
        )
        print(f"score_frame typed vs raw give the same scores: {'yes' if same else 'NO'}")
        print()
        checks[1:1] = [
            (
                "score_frame (typed) >= 1,000,000 rows/s",
                n / t_typed >= TARGETS["score_frame_rows_s"],
                f"{n / t_typed:,.0f} rows/s",
            ),
            (
                "rules >= 1,000x the per-row engine",
                speedup >= TARGETS["rules_speedup"],
                f"{speedup:,.0f}x",
            ),
        ]
    print("targets")
    for label, ok, detail in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {label:<44} {detail}")


def _write_parts(synthetic_firms, n: int, seed: int, path: Path, part: int = 1_000_000) -> None:
    """``n`` synthetic firms to one CSV, a part at a time (part i uses seed + i)."""
    writer = None
    with path.open("wb") as fh:
        for i, start in enumerate(range(0, n, part)):
            frame = synthetic_firms(min(part, n - start), seed=seed + i)
            frame["name"] = frame["name"] + f" /{i}"  # distinct names across parts
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pa_csv.CSVWriter(fh, table.schema)
            writer.write_table(table)
        if writer is not None:
            writer.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=None, help="work folder (default: a temporary one)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--sample", type=int, default=20_000, help="rows for the rule-engine comparison"
    )
    ap.add_argument(
        "--rule-engine-budget",
        type=float,
        default=20.0,
        help="seconds the per-row rule-engine may run (it stops early on a big sample)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument(
        "--cli-only",
        action="store_true",
        help="only the floor and the CLI (for 10M rows: the file is written in 1M-row parts)",
    )
    args = ap.parse_args(argv)
    n = args.rows
    Scorer, synthetic_firms = _alignscore()
    work = args.out or Path(tempfile.mkdtemp(prefix="alignscore-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    as_of = dt.date.fromisoformat(AS_OF)
    try:
        if _default_model_ok(Scorer):
            model_dir, model_note = None, "bundled default model"
        else:
            model_dir = _made_up_model(work, Scorer, synthetic_firms, args.seed)
            model_note = f"made-up model on synthetic labels ({model_dir}); speed ONLY"
        scorer = Scorer(model=model_dir, as_of=AS_OF)
        scorer._engine()

        print(f"alignscore benchmark: {n:,} synthetic firms, seed {args.seed}, {model_note}")
        src = work / "firms.csv"
        if args.cli_only:  # part by part, so that 10M rows never sit in memory as Python text
            t_gen, _ = _timed(lambda: _write_parts(synthetic_firms, n, args.seed, src))
            raw = None
            width = len(synthetic_firms(1).columns)
        else:
            t_gen, raw = _timed(lambda: synthetic_firms(n, seed=args.seed))
            _write_csv(raw, src)
            width = raw.shape[1]
        print(
            f"  generated in {t_gen:.1f} s; {src} is {src.stat().st_size / 1e6:,.0f} MB,"
            f" {width} columns"
        )
        results: list[tuple[str, float, str]] = []

        # 1. the I/O floor
        t_read, table = _timed(lambda: _all_text(src))
        wide = table
        for name, arr in _result_like(table.num_rows, args.seed).items():
            wide = wide.append_column(name, arr)
        floor_out = work / "floor_out.csv"
        t_write, _ = _timed(lambda w=wide: pa_csv.write_csv(w, floor_out))
        floor_s = t_read + t_write
        del table, wide
        results.append(
            (
                "I/O floor: pyarrow read + write CSV",
                floor_s,
                f"read {t_read:.2f} s + write {t_write:.2f} s",
            )
        )

        # 2. the CLI, end to end
        out_csv = work / "scored.csv"
        cmd = [*_cli(), "score", str(src), "-o", str(out_csv), "--quiet", "--as-of", AS_OF]
        if model_dir is not None:
            cmd += ["--model", str(model_dir)]
        e2e_s, peak, how = _run_cli(cmd)
        results.append(
            (
                "alignscore score (CLI, end to end)",
                e2e_s,
                f"peak RSS {peak / 2**20:,.0f} MiB ({how})",
            )
        )

        if args.cli_only:
            _report(results, n, floor_s, e2e_s, peak, None, None, None)
            return 0

        # 3. score_frame in memory
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            typed = typed_frame(raw)
        scorer.score_frame(typed.head(1000))  # warm: engine loaded, code paths touched
        t_typed, scored = _timed(lambda t=typed: scorer.score_frame(t), repeat=3)
        results.append(
            ("Scorer.score_frame, typed frame", t_typed, "floats, Categorical, boolean; median of 3")
        )
        t_raw, scored_raw = _timed(lambda: scorer.score_frame(raw), repeat=3)
        results.append(("Scorer.score_frame, raw text frame", t_raw, "every cell a string; median of 3"))
        same = np.array_equal(scored["score"].to_numpy(), scored_raw["score"].to_numpy())
        del typed, scored, scored_raw

        # 4. rules: row by row (rule-engine) vs vectorised
        k = min(args.sample, n)
        rb = bench_rules(scorer, raw.head(k), as_of, args.rule_engine_budget)
        k = rb["rows"]
        per_row_total = rb["per_row_s"] * n / k
        results.append(
            (
                f"rules, rule-engine per row ({rb['rules']} rules)",
                per_row_total,
                f"{k:,}-row sample, scaled",
            )
        )
        results.append(
            (
                f"rules, RuleSet.evaluate ({rb['rules']} rules)",
                rb["vec_s"] * n / k,
                f"{k:,}-row sample, scaled, median of 5",
            )
        )

        _report(results, n, floor_s, e2e_s, peak, t_typed, rb, same)
    finally:
        if args.out is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    raise SystemExit(main())
