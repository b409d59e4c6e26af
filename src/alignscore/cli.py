"""The ``alignscore`` command: a thin layer over the public API.

It parses options, calls :mod:`alignscore`, and turns the library's errors into one message on
standard error and an exit code: 0 success, 1 a check that found problems, 2 bad input (or any
other error alignscore raises on purpose). It holds no logic the API lacks.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import warnings
from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

# The package imports each public name on first use, so this costs nothing until a command
# runs: `--help` and `--version` never load pandas, pyarrow, pydantic or scikit-learn.
import alignscore as api

from ._core.text import for_terminal
from .exceptions import ReportsInterrupted

app = typer.Typer(
    name="alignscore",
    help="Score Chinese companies for policy alignment, with evidence-linked explanations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help, as click prints it: Rich's alone would double the time
)
rules_app = typer.Typer(help="Check and list the rules.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(rules_app, name="rules")
data_app = typer.Typer(help="Check labelled data.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(data_app, name="data")
profiles_app = typer.Typer(help="Build firm profiles from other data sources.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(profiles_app, name="profiles")


class Source(StrEnum):
    profile = "profile"
    tushare = "tushare"
    tushare_pro = "tushare-pro"


class ListFormat(StrEnum):
    table = "table"
    json = "json"


class AuditFormat(StrEnum):
    text = "text"
    json = "json"


class ExplainFormat(StrEnum):
    json = "json"
    md = "md"
    html = "html"


class ReportFormat(StrEnum):
    html = "html"
    md = "md"
    json = "json"


def _err(message: str) -> None:
    typer.echo(f"alignscore: {message}", err=True)


class _Signalled(BaseException):
    """SIGTERM or SIGHUP, raised in the main thread so that partial outputs are removed on the
    way out, as for Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_signalled(signum: int, frame: object) -> None:
    raise _Signalled(signum)


def _install_signal_handlers() -> dict[int, Any]:
    previous: dict[int, Any] = {}
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        with contextlib.suppress(ValueError):  # not the main thread
            previous[signum] = signal.signal(signum, _raise_signalled)
    return previous


def handles_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn alignscore's errors into a message and exit code 2 (1 for an operating-system
    error: permission denied, disk full), never a traceback; print input warnings as notes."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        previous = _install_signal_handlers()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", api.InputWarning)
                shown = warnings.showwarning

                def show(message: Any, category: type[Warning], *rest: Any, **kw: Any) -> None:
                    if issubclass(category, api.InputWarning):
                        _err(f"note: {message}")
                    else:
                        shown(message, category, *rest, **kw)

                warnings.showwarning = show
                return func(*args, **kwargs)
        except api.FileSystemError as exc:
            _err(str(exc))
            raise typer.Exit(1) from None
        except api.AlignScoreError as exc:
            _err(str(exc))
            raise typer.Exit(2) from None
        except ReportsInterrupted as exc:  # says what it left
            _err(str(exc))
            raise typer.Exit(130) from None
        except KeyboardInterrupt:
            _err("interrupted; no partial output was left behind")
            raise typer.Exit(130) from None
        except _Signalled as exc:
            _err(f"stopped by {signal.Signals(exc.signum).name}; no partial output was left behind")
            raise typer.Exit(128 + exc.signum) from None
        except BrokenPipeError:
            raise typer.Exit(0) from None
        except OSError as exc:
            where = exc.filename or "alignscore"
            _err(f"{where}: {exc.strerror or exc}")
            raise typer.Exit(1) from None
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    return wrapper


def _version(value: bool) -> None:
    if value:
        from ._version import __version__

        typer.echo(f"alignscore {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """Score Chinese companies for policy alignment, with evidence-linked explanations."""


InputArg = Annotated[Path, typer.Argument(help="A CSV or Parquet file of firms (plain or gzip/bz2/xz/zstd-compressed); - reads standard input.")]
EncodingOpt = Annotated[str, typer.Option("--encoding", help="Text encoding of a CSV (utf-8, gb18030, ...).")]
SourceOpt = Annotated[Source, typer.Option("--source", help="Input format: the firm-profile contract, Tushare stock_basic, or tushare-pro (INPUT is a folder of Tushare Pro tables).")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="Evaluate the rules as of this date (YYYY-MM-DD).")]
RulesOpt = Annotated[Path | None, typer.Option("--rules", help="A rules directory (default: the bundled rules).")]
ModelOpt = Annotated[Path | None, typer.Option("--model", help="A model directory (default: the bundled model).")]


def _input(input: Path, source: Source, as_of: str | None) -> Path | Any:
    """The file itself, or (``--source tushare-pro``) the profiles built from a folder."""
    if source is Source.tushare_pro:
        return api.profiles_from_tushare(input, as_of=as_of)[0]
    return input


def _formats(source: Source) -> Literal["profile", "tushare"]:
    return "tushare" if source is Source.tushare else "profile"


class ExtraColumns(StrEnum):
    error = "error"
    keep = "keep"


ExtraOpt = Annotated[ExtraColumns, typer.Option("--extra-columns", help="A header that looks like a misspelt contract column: error (default), or keep it as an extra column.")]


def _scorer(rules: Path | None, model: Path | None, as_of: str | None) -> api.Scorer:
    scorer = api.Scorer(rules=rules, model=model, as_of=as_of)
    scorer.as_of_date  # noqa: B018 - validates the date before any work
    return scorer


@app.command()
@handles_errors
def validate(
    input: InputArg,
    encoding: EncodingOpt = "utf-8",
    source: SourceOpt = Source.profile,
    extra_columns: ExtraOpt = ExtraColumns.error,
) -> None:
    """Check a file against the firm-profile contract and summarise it."""
    report = api.validate_file(
        _input(input, source, None), encoding=encoding, source_format=_formats(source),
        extra_columns=extra_columns.value,
    )
    typer.echo(f"{for_terminal(report.source, 4096)}: {report.rows:,} rows, {report.valid_rows:,} valid, {report.rejected_rows:,} rejected")
    typer.echo(f"columns recognised ({len(report.columns_recognised)}): {', '.join(report.columns_recognised)}")
    from ._contract.header import printable

    carried = ", ".join(map(printable, report.columns_carried)) or "none"
    typer.echo(f"columns carried through ({len(report.columns_carried)}): {carried}")
    typer.echo("unknown values per column (valid rows):")
    for name, count in report.unknown_per_column.items():
        typer.echo(f"  {name:<26} {count:>10,}")
    error = report.error()  # worded as score, explain and report word it
    if error is not None:
        _err(str(error))  # control characters escaped, long values cut
        raise typer.Exit(2)


@app.command()
@handles_errors
def score(
    input: InputArg,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Output file (.csv, .parquet, .jsonl); default: CSV on standard output.")] = None,
    as_of: AsOfOpt = None,
    rules: RulesOpt = None,
    model: ModelOpt = None,
    rejects: Annotated[Path | None, typer.Option("--rejects", help="Lenient mode: write bad rows here with a reason, and score the rest.")] = None,
    encoding: EncodingOpt = "utf-8",
    source: SourceOpt = Source.profile,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    no_formula_escape: Annotated[bool, typer.Option("--no-formula-escape", help="Write text cells starting with = + - @ as they are.")] = False,
    extra_columns: ExtraOpt = ExtraColumns.error,
) -> None:
    """Score every firm in INPUT: its columns plus score, band, probability, coverage, reasons, risk_flags."""
    scorer = _scorer(rules, model, as_of)
    from ._core.progress import row_progress

    firms = _input(input, source, as_of)
    to_file = output is not None and str(output) != "-"
    progress = not quiet and to_file and source is not Source.tushare_pro
    with row_progress(input, enabled=progress) as advance:
        summary = api.score_file(
            scorer, firms, output, rejects=rejects, encoding=encoding,
            source_format=_formats(source), escape_formulas=not no_formula_escape, progress=advance,
            extra_columns=extra_columns.value,
        )  # fmt: skip
    if to_file and not quiet:
        extra = f", {summary.rejected:,} rejected to {summary.rejects}" if summary.rejects else ""
        _err(f"scored {summary.scored:,} of {summary.rows:,} rows into {summary.output}{extra}")


@app.command()
@handles_errors
def explain(
    input: InputArg,
    firm: Annotated[str, typer.Option("--firm", help="The firm's name, as in the file.")],
    format: Annotated[ExplainFormat, typer.Option("--format", help="json, md or html.")] = ExplainFormat.json,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file instead of standard output.")] = None,
    as_of: AsOfOpt = None,
    rules: RulesOpt = None,
    model: ModelOpt = None,
    encoding: EncodingOpt = "utf-8",
    source: SourceOpt = Source.profile,
    extra_columns: ExtraOpt = ExtraColumns.error,
) -> None:
    """Explain one firm's score: contributions, reasons, risk flags, levers, peers."""
    from ._core.atomic_write import check_distinct

    check_distinct(
        {"the input": input, "the rules directory": rules, "the model directory": model}, {"the output": output}
    )
    scorer = _scorer(rules, model, as_of)
    from ._contract.validate import read_profiles  # parsed once, rows numbered as in the file

    firms = read_profiles(
        _input(input, source, as_of), encoding=encoding, source_format=_formats(source),
        extra_columns=extra_columns.value,
    )
    where = "<stdin>" if str(input) == "-" else str(input)
    result = scorer.explain_one(firms, firm=firm, source=where)
    text = api.render(result, format.value)
    if output is None or str(output) == "-":
        typer.echo(text)
    else:
        api.write_text(output, text)


@app.command()
@handles_errors
def report(
    input: InputArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="Directory for the reports.")],
    format: Annotated[ReportFormat, typer.Option("--format", help="html (with an index), md or json.")] = ReportFormat.html,
    as_of: AsOfOpt = None,
    rules: RulesOpt = None,
    model: ModelOpt = None,
    encoding: EncodingOpt = "utf-8",
    source: SourceOpt = Source.profile,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    extra_columns: ExtraOpt = ExtraColumns.error,
) -> None:
    """Write one explanation report per firm (and an index.html for HTML), each as it is made.

    OUTPUT must be a new or empty folder, or one an earlier report run wrote (it holds
    alignscore-reports.json, the list of what was written): nothing else is ever replaced.
    """
    from ._core.atomic_write import check_distinct, check_outside

    check_outside(input, output, f".{format.value}")
    check_distinct({"the rules directory": rules, "the model directory": model}, {"the report directory": output})
    scorer = _scorer(rules, model, as_of)
    from ._contract.validate import read_profiles  # parsed once, rows numbered as in the file

    firms = read_profiles(
        _input(input, source, as_of), encoding=encoding, source_format=_formats(source),
        extra_columns=extra_columns.value,
    )
    from ._core.progress import count_progress

    total = sum(map(len, firms)) + (1 if format is ReportFormat.html else 0)  # and the index
    with count_progress(total, "reports", enabled=not quiet) as advance:
        written = api.write_reports(scorer.iter_explain(firms), output, format.value, progress=advance)
    if not quiet:
        _err(f"wrote {len(written):,} files into {output}")


@app.command()
@handles_errors
def train(
    data: Annotated[Path, typer.Argument(help="Labelled firms (CSV): the contract plus favoured, as_of, label_evidence.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Model directory to write.")],
    rules: RulesOpt = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    repeats: Annotated[int, typer.Option("--repeats", help="Repeats of grouped 5-fold CV for the model card's metrics.")] = 5,
    allow_leaks: Annotated[bool, typer.Option("--allow-leaks", help="Train even on data that fail `alignscore data audit` (recorded in the card).")] = False,
) -> None:
    """Learn the scorecard's weights reproducibly and write a model directory (scorecard, manifest, card).

    The data are audited for label leakage first; data that fail are refused unless --allow-leaks.
    """
    from ._core.progress import step_progress

    with step_progress("training and cross-validating", enabled=True) as tick:
        manifest = api.train_model(
            data, output, rules=rules, seed=seed, repeats=repeats, allow_leaks=allow_leaks, progress=tick
        )
    _err(f"wrote {output} (scorecard sha256 {manifest.scorecard_sha256[:16]}...)")


@app.command()
@handles_errors
def evaluate(
    data: Annotated[Path, typer.Argument(help="Labelled firms (CSV).")],
    rules: RulesOpt = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    repeats: Annotated[int, typer.Option("--repeats")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Grouped CV, leave-one-sector-class-out and a temporal split: the learned scorecard against
    the analysts' prior scorecard and hard-tech-only / ownership-only baselines."""
    from ._core.progress import step_progress

    with step_progress("cross-validating", enabled=True) as tick:
        metrics = api.evaluate_model(data, rules=rules, seed=seed, repeats=repeats, progress=tick)
    typer.echo(json.dumps(metrics, indent=2) if as_json else api.metrics_table(metrics))


@rules_app.command("check")
@handles_errors
def rules_check(directory: Annotated[Path | None, typer.Argument(help="Rules directory (default: bundled).")] = None) -> None:
    """Validate and lint the rules; exit 0 only when clean."""
    problems = api.check_rules(directory)
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        _err(f"{len(problems)} problem(s)")
        raise typer.Exit(1)
    ruleset = api.RuleSet.load(directory)
    typer.echo(f"{ruleset.directory}: {len(ruleset.rules)} rules ({len(ruleset.favour)} favour, {len(ruleset.risk)} risk), clean")


@rules_app.command("list")
@handles_errors
def rules_list(
    directory: Annotated[Path | None, typer.Argument(help="Rules directory (default: bundled).")] = None,
    format: Annotated[ListFormat, typer.Option("--format")] = ListFormat.table,
) -> None:
    """List every rule with its signal, weight, dates, condition and evidence."""
    table = api.rules_table(api.RuleSet.load(directory))
    if format is ListFormat.json:
        typer.echo(json.dumps(table, indent=2, ensure_ascii=False))
        return
    for row in table:
        weight = f"{row['weight']:+.2f}" if row["weight"] is not None else f"risk:{row['severity']}"
        dates = ""
        if row["effective_from"] or row["effective_to"]:
            dates = f" [{row['effective_from'] or '...'} to {row['effective_to'] or '...'}]"
        typer.echo(f"{row['id']}  ({row['signal']}, {weight}){dates}")
        typer.echo(f"    when {row['condition']}")
        for ev in row["evidence"]:
            typer.echo(f"    \u201c{ev['quote']}\u201d ({ev['source']})")


@data_app.command("audit")
@handles_errors
def data_audit(
    file: Annotated[Path, typer.Argument(help="Labelled firms (CSV or Parquet): the contract plus favoured.")],
    format: Annotated[AuditFormat, typer.Option("--format", help="text or json.")] = AuditFormat.text,
) -> None:
    """Audit labelled firms for leakage; exit 0 when clean, 2 when the audit fails."""
    report = api.audit_labelled(file)
    typer.echo(report.to_json() if format is AuditFormat.json else report.to_text())
    if not report.ok:
        _err(f"{report.source}: the leakage audit failed ({len(report.problems)} problem(s)):")
        for problem in report.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(2)


@profiles_app.command("tushare")
@handles_errors
def profiles_tushare(
    directory: Annotated[Path, typer.Argument(help="A folder of Tushare Pro tables: stock_basic, stock_company, fina_mainbz, income, top10_holders (.csv or .parquet; any may be missing).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Profiles file to write (.csv or .parquet).")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Use only figures published on or before this date (YYYY-MM-DD; default today).")] = None,
    provenance: Annotated[Path | None, typer.Option("--provenance", help="Also write the provenance, one row per firm and field (.csv or .parquet).")] = None,
    no_formula_escape: Annotated[bool, typer.Option("--no-formula-escape", help="Write text cells starting with = + - @ as they are.")] = False,
) -> None:
    """Build firm profiles from Tushare Pro tables, as of a date; then score them as usual."""
    from ._contract.tushare_pro import write_frame

    profiles, sources = api.profiles_from_tushare(directory, as_of=as_of)
    write_frame(profiles, output, escape_formulas=not no_formula_escape)
    if provenance is not None:
        write_frame(sources, provenance, escape_formulas=not no_formula_escape)
    _err(f"wrote {len(profiles):,} profiles into {output}")


def main() -> None:
    """Entry point of the ``alignscore`` console script."""
    try:
        app()
    except BrokenPipeError:  # pragma: no cover - e.g. `alignscore score x.csv | head`
        sys.stderr.close()
