"""``Scorer``: the one object researchers use, in notebooks, pipelines and behind the CLI.

One firm and a million go through the same path: a profile is a frame of one row. The two
faces, kept apart by name:

- alignscore's own: :meth:`Scorer.explain_one` (one firm's full result),
  :meth:`Scorer.explain` / :meth:`Scorer.iter_explain` (every firm's), :meth:`Scorer.score_frame`
  (every firm's result columns);
- scikit-learn's classifier protocol: ``fit``, ``predict``, ``predict_proba``,
  ``decision_function``, ``classes_`` and ``score(X, y)`` (mean accuracy, scikit-learn's own
  definition). scikit-learn is imported only when one of these needs it (training,
  ``score``, tags), never by ``import alignscore``: it costs more start-up than pandas.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from alignscore._contract.firm import FirmProfile
from alignscore._contract.profiles import Profiles
from alignscore._contract.read import Chunk, iter_chunks, iter_profiles, ordered_map, source_name
from alignscore._contract.validate import ContractProblems, strict
from alignscore._core.resources import bundled
from alignscore._core.suggest import closest
from alignscore._model.persist import load_scorecard_file
from alignscore._model.scorecard import Scorecard
from alignscore._rules.ruleset import RuleSet
from alignscore.exceptions import AmbiguousFirmError, InputError, UnknownFirmError

from .engine import Engine, ScoreArrays
from .explain import Peers, explain_rows
from .result import ScoreResult

__all__ = ["RESULT_COLUMNS", "Scorer"]

#: Columns ``score_frame`` adds, in order.
RESULT_COLUMNS = (
    "score", "score_low", "score_high", "band", "probability", "coverage", "reasons", "risk_flags",
)  # fmt: skip


def _as_date(value: str | dt.date | None) -> dt.date:
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError("as_of", f"{value!r} is not a date as YYYY-MM-DD") from None


class Scorer:
    """Score firms for policy alignment: rules and classifier, one calibrated score.

    Parameters
    ----------
    rules : path or None
        A rules directory; ``None`` uses the bundled rules.
    model : path or None
        A model directory (checked against its manifest before loading); ``None`` uses the
        bundled default model. Ignored once :meth:`fit` has trained a new model.
    as_of : date, ISO string or None
        The date rules are evaluated at (their effective windows); ``None`` means today. A
        per-row ``as_of`` column in the input takes precedence for its row.
    reference : DataFrame, path or None
        The universe for peer percentiles; ``None`` uses the bundled labelled firms.
    random_state : int
        Seeds the training folds in :meth:`fit`.

    ``Scorer(...)`` loads nothing until first use; :meth:`Scorer.load` loads (and checks) the
    rules and model at once. The model is pre-trained, so a new ``Scorer`` predicts without
    :meth:`fit`; its classes (``classes_``) are ``[0, 1]``, 1 meaning *favoured*.

    Examples
    --------
    >>> scorer = Scorer(as_of="2024-01-01")
    >>> result = scorer.explain_one({"name": "Example Chips", "sector": "semiconductors",
    ...                              "listing_venue": "star", "little_giant": "yes"})
    >>> result.band in ("Strong headwind", "Headwind", "Neutral", "Tailwind", "Strong tailwind")
    True
    >>> bool(abs(result.baseline + sum(c.value for c in result.contributions) - result.log_odds) < 1e-9)
    True
    >>> scorer.classes_
    array([0, 1])
    """

    def __init__(
        self,
        rules: str | Path | None = None,
        model: str | Path | None = None,
        as_of: str | dt.date | None = None,
        reference: pd.DataFrame | str | Path | None = None,
        random_state: int = 0,
    ) -> None:
        self.rules = rules
        self.model = model
        self.as_of = as_of
        self.reference = reference
        self.random_state = random_state

    @classmethod
    def load(
        cls,
        model_dir: str | Path | None = None,
        *,
        rules: str | Path | None = None,
        as_of: str | dt.date | None = None,
        reference: pd.DataFrame | str | Path | None = None,
    ) -> Scorer:
        """A Scorer with its rules and model loaded now, not on first use.

        ``model_dir`` is a model directory written by ``alignscore train`` (``None``: the
        bundled default model); ``rules`` a rules directory (``None``: the bundled rules).
        A model whose files do not match their manifest raises
        :class:`~alignscore.exceptions.ModelIntegrityError`, a model trained for other rules
        :class:`~alignscore.exceptions.ModelError`, an unreadable rules directory
        :class:`~alignscore.exceptions.RulesError`, and a bad ``as_of``
        :class:`~alignscore.exceptions.InputError`, here rather than at the first firm.

        >>> Scorer.load(as_of="2024-01-01").classes_
        array([0, 1])
        """
        scorer = cls(rules=rules, model=model_dir, as_of=as_of, reference=reference)
        scorer.as_of_date  # noqa: B018 - checks the date
        scorer._engine()
        return scorer

    # --- the scikit-learn estimator protocol (without importing scikit-learn) --------------

    _PARAMETERS = ("rules", "model", "as_of", "reference", "random_state")

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's parameters (scikit-learn's ``clone`` and grid searches use it)."""
        return {name: getattr(self, name) for name in self._PARAMETERS}

    def set_params(self, **params: Any) -> Scorer:
        for name, value in params.items():
            if name not in self._PARAMETERS:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator Scorer. "
                    f"Valid parameters are: {list(self._PARAMETERS)!r}."
                )
            setattr(self, name, value)
        self.__dict__.pop("_cache", None)
        return self

    def __repr__(self) -> str:
        defaults = {"rules": None, "model": None, "as_of": None, "reference": None, "random_state": 0}
        shown = [
            f"{k}={v!r}" for k, v in self.get_params().items()
            if not isinstance(v, pd.DataFrame) and v != defaults[k]
        ]  # fmt: skip
        return f"Scorer({', '.join(shown)})"

    def __sklearn_tags__(self) -> Any:
        # only scikit-learn asks for tags, so it is already imported when this runs
        from sklearn.utils import ClassifierTags, Tags, TargetTags

        tags = Tags(
            estimator_type="classifier",
            target_tags=TargetTags(required=False),  # fit() can read X's 'favoured' column
            classifier_tags=ClassifierTags(multi_class=False),
            requires_fit=False,  # the bundled model is pre-trained
        )
        # X is a table of firm profiles (a DataFrame with the contract's column names, or a
        # list of dicts): text and categories are its ordinary cells, and unknown is NaN
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.input_tags.dict = True
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        return True  # a pre-trained model is loaded on first use; fit() replaces it

    @property
    def classes_(self) -> np.ndarray:
        """The labels, ``[0, 1]``: 1 is *favoured*, the positive class (the second column of
        :meth:`predict_proba`). The same for the bundled model, a loaded one and a fitted one."""
        return np.array([0, 1])

    def _engine(self) -> Engine:
        if hasattr(self, "engine_"):
            return self.engine_
        cache: dict[tuple[object, ...], Engine] = self.__dict__.setdefault("_cache", {})
        key = ("engine", str(self.rules), str(self.model))
        if key not in cache:
            ruleset = RuleSet.load(self.rules)
            model_dir = Path(self.model) if self.model is not None else bundled("models", "default")
            card, manifest = load_scorecard_file(model_dir)
            cache[key] = Engine(ruleset, Scorecard.from_file(card), manifest.scorecard_sha256)
        return cache[key]

    @property
    def as_of_date(self) -> dt.date:
        return _as_date(self.as_of)

    def _peers(self) -> Peers | None:
        cache: dict[tuple[object, ...], Peers | None] = self.__dict__.setdefault("_cache", {})
        key = ("peers", id(self.reference), str(self.rules), str(self.model), str(self.as_of))
        if key not in cache:
            ref = self.reference
            name = "your reference frame"
            if ref is None:
                ref = bundled("data", "labelled_firms.csv")
                name = "labelled firms (data/labelled_firms.csv)"
                if not Path(ref).exists():
                    cache[key] = None
                    return None
            elif not isinstance(ref, pd.DataFrame):
                name = str(ref)
            engine = self._engine()
            scores, classes = [], []
            for batch in iter_profiles(ref):
                good = batch.take(~batch.bad)
                arrays = engine.score(good.values, self.as_of_date)
                scores.append(arrays.score)
                classes.append(arrays.ctx["sector_class"])
            cache[key] = Peers(name, np.concatenate(scores), np.concatenate(classes))
        return cache[key]

    # --- batches ---------------------------------------------------------------------------

    def _chunks(self, X: Any) -> Iterator[Chunk]:
        yield from iter_chunks(_as_frame(X))

    def _batches(self, X: Any) -> Iterator[Profiles]:
        """The parsed batches of ``X``; batches already parsed (the CLI reads a file once, with
        its encoding and source format, into them) are taken as they are."""
        parsed = _parsed(X)
        if parsed is not None:
            yield from parsed
            return
        for chunk in self._chunks(X):
            yield chunk.parse()

    def _score_arrays(self, profiles: Profiles) -> ScoreArrays:
        """The vectorised scores of a parsed batch (rows must all be valid)."""
        return self._engine().score(profiles.values, self.as_of_date)

    def _result_columns(self, profiles: Profiles) -> dict[str, Any]:
        """The result columns for a parsed batch of valid rows, as numpy / categorical arrays."""
        return self._engine().columns(profiles.values, self.as_of_date)

    def score_frame(self, X: pd.DataFrame, *, errors: str = "raise") -> pd.DataFrame:
        """Score every row of ``X``; return its columns plus :data:`RESULT_COLUMNS`.

        Row order and index are kept. With ``errors="raise"`` (default) any value that breaks
        the contract raises :class:`~alignscore.exceptions.ProfileValidationError`; with
        ``errors="flag"`` such rows stay in place with no score and a ``rejected`` reason.
        """
        if errors not in ("raise", "flag"):
            raise ValueError(f"The 'errors' parameter of score_frame must be 'raise' or 'flag'. Got {errors!r} instead.")
        if isinstance(X, pd.DataFrame):
            from alignscore._contract.header import check_not_shadowing

            check_not_shadowing([str(c) for c in X.columns], "<DataFrame>", (*RESULT_COLUMNS, "rejected"))
            if len(X) == 0:  # no rows: the columns alone, typed as a scored frame's would be
                empty = self.score_frame(pd.DataFrame({"name": ["-"]}), errors=errors).iloc[:0]
                return pd.concat([X, empty.drop(columns=["name"]).set_axis(X.index[:0])], axis=1)
        problems = ContractProblems()  # errors="raise": the strict policy, over every chunk

        def work(chunk: Chunk) -> tuple[Profiles, dict[str, Any]]:
            batch = chunk.parse()
            if errors == "raise" and (problems.failed or batch.problem_count()):
                return batch, {}  # failed: the chunk is only counted, not scored
            good = batch.take(~batch.bad) if batch.bad.any() else batch
            return batch, self._result_columns(good)

        self._engine()  # load once, before the threads start
        parts: dict[str, list[Any]] = {}
        for batch, columns in ordered_map(work, self._chunks(X)):
            if errors == "raise" and (not problems.add(batch) or problems.failed):
                continue
            good_mask = ~batch.bad
            for name, values in columns.items():
                parts.setdefault(name, []).append(_expand(values, good_mask))
            if errors == "flag":
                reasons = np.full(len(batch), "", dtype=object)
                if batch.bad.any():
                    reasons[batch.bad] = batch.reasons()
                parts.setdefault("rejected", []).append(reasons)
        problems.raise_if_failed()
        results = pd.DataFrame({name: _concat(chunks) for name, chunks in parts.items()})
        results.index = X.index
        clash = [c for c in results.columns if c in X.columns]
        return pd.concat([X.drop(columns=clash), results], axis=1)

    #: Firms explained at a time by :meth:`iter_explain`: bounds memory, whatever the input size.
    EXPLAIN_BATCH = 256

    def iter_explain(self, X: Any, *, source: str | None = None) -> Iterator[ScoreResult]:
        """Full explanations for every firm in ``X``, produced a few hundred at a time, so that
        a caller writing each one out (``write_reports``) never holds them all."""
        del source  # named by the caller's messages; kept for symmetry with :meth:`explain`
        for batch in strict(self._batches(X)):
            arrays = self._score_arrays(batch)
            for start in range(0, len(batch), self.EXPLAIN_BATCH):
                rows = list(range(start, min(start + self.EXPLAIN_BATCH, len(batch))))
                yield from explain_rows(
                    self._engine(), batch, arrays, rows, self.as_of_date, self._peers()
                )

    def explain(
        self, X: Any, firm: str | None = None, *, source: str | None = None
    ) -> list[ScoreResult]:
        """Full explanations for the firms in ``X``, as a list (or only those named ``firm``);
        :meth:`explain_one` is the one-firm counterpart, which returns one result.

        ``firm`` matches exactly first; otherwise ignoring case, width and spacing
        (``"acme  ltd"`` finds ``"ACME Ltd"``). A name that matches several different firm
        names that way raises :class:`~alignscore.exceptions.AmbiguousFirmError` listing
        them; no match raises :class:`~alignscore.exceptions.UnknownFirmError` with the
        closest names. ``source`` names the input in those messages (default: the path, or
        ``"<DataFrame>"``).
        """
        if firm is None:
            return list(self.iter_explain(X))
        where = _where(X, source)
        key = _name_key(firm)
        out: list[ScoreResult] = []
        names_seen: dict[str, None] = {}
        for batch in strict(self._batches(X)):
            names = batch.texts("name")
            rows = [i for i, n in enumerate(names) if n is not None and _name_key(n) == key]
            names_seen.update(dict.fromkeys(n for n in names if n is not None))
            if rows:
                arrays = self._score_arrays(batch)
                out.extend(explain_rows(self._engine(), batch, arrays, rows, self.as_of_date, self._peers()))
        exact = [r for r in out if r.name == firm]
        if exact:
            return exact
        if len({r.name for r in out}) > 1:
            offset = _row_offset(X, source)
            raise AmbiguousFirmError(firm, where, [(r.name, firm_location(r, offset)) for r in out])
        if not out:
            seen = list(names_seen)
            close = closest(firm, seen, n=3)
            folded = firm.casefold()
            within = [n for n in seen if folded in n.casefold()]
            raise UnknownFirmError(firm, where, list(dict.fromkeys(within + close))[:3])
        return out

    def explain_one(self, X: Any, firm: str | None = None, *, source: str | None = None) -> ScoreResult:
        """One firm's full result: score, interval, band, contributions, reasons, peers.

        ``X`` is one firm (a :class:`FirmProfile`, a dict of raw values, or a frame or file of
        one row), or, with ``firm``, a frame or file in which the firm of that name is found
        as by :meth:`explain`. A frame or file of several firms with no ``firm`` raises
        :class:`~alignscore.exceptions.InputError` (it never picks the first): use
        :meth:`explain` for every firm. A name on several rows raises
        :class:`~alignscore.exceptions.AmbiguousFirmError` listing where each is.

        >>> result = Scorer(as_of="2024-01-01").explain_one({"name": "Known by name alone"})
        >>> result.name, result.score
        ('Known by name alone', 50.0)
        """
        where = _where(X, source)
        if firm is not None:
            results = self.explain(X, firm, source=source)
            if len(results) > 1:  # the same name on several rows
                offset = _row_offset(X, source)
                raise AmbiguousFirmError(firm, where, [(r.name, firm_location(r, offset)) for r in results])
            return results[0]
        if isinstance(X, pd.DataFrame) and len(X) > 1:  # refused before any row is parsed
            raise InputError(where, _many_firms(len(X)))
        batches = list(self._batches(X))
        rows = sum(len(b) + len(b.structural) for b in batches)
        if rows > 1:
            raise InputError(where, _many_firms(rows))
        return next(iter(self.iter_explain(batches)))

    # --- the scikit-learn face -------------------------------------------------------------

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """The mean accuracy of :meth:`predict` on ``X`` against the labels ``y`` (1 =
        favoured), weighted by ``sample_weight``: scikit-learn's ``ClassifierMixin.score``
        itself, so that ``cross_val_score`` and grid searches rank models as they rank any
        classifier. For one firm's full result use :meth:`explain_one`.
        """
        if y is None:
            raise TypeError(
                "Scorer.score(X, y) is scikit-learn's mean accuracy and needs the labels y; "
                "for one firm's full result use Scorer.explain_one(firm)"
            )
        from sklearn.base import ClassifierMixin

        return float(ClassifierMixin.score(self, X, y, sample_weight=sample_weight))

    def fit(self, X: pd.DataFrame, y: Any = None) -> Scorer:
        """Train a new model on labelled firms ``X`` (labels ``y`` or X's ``favoured`` column)."""
        from alignscore._model.train import (  # scikit-learn, only when training
            fit_scorecard,
            training_data,
        )

        frame = _as_frame(X)
        if not isinstance(frame, pd.DataFrame):
            raise InputError(str(frame), "fit takes labelled firms in memory: read the file with alignscore.read_firms first")
        frame = frame.copy()
        if y is not None:
            labels = np.asarray(y)
            if labels.ndim != 1 or len(labels) != len(frame):
                raise ValueError(
                    f"fit got {len(frame):,} firms and labels y of shape {labels.shape}: "
                    "give one label per firm (1 favoured, 0 not)"
                )
            frame["favoured"] = labels
        batches = list(iter_profiles(frame, chunk_rows=max(len(frame), 1)))
        profiles = batches[0]
        ruleset = RuleSet.load(self.rules)
        data = training_data(profiles, ruleset, self.as_of_date)
        model = fit_scorecard(data.units, data.y, data.groups, ruleset, self.random_state)
        self.engine_ = Engine(ruleset, Scorecard.from_classifier(model, ruleset), "unsaved (trained in memory)")
        self.feature_names_ = list(ruleset.favour_ids)
        return self

    def _log_odds_and_probability(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Per row of ``X``, in order: the model's log-odds and its (bounded) probability.
        Any value that breaks the contract raises, as in :meth:`score_frame`."""
        log_odds, probability = [], []
        for batch in strict(self._batches(X)):
            arrays = self._score_arrays(batch)
            log_odds.append(arrays.log_odds)
            probability.append(arrays.probability)
        return np.concatenate(log_odds), np.concatenate(probability)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of [not favoured, favoured] per row (the columns follow ``classes_``)."""
        p = self._log_odds_and_probability(X)[1]
        return np.column_stack([1.0 - p, p])

    def decision_function(self, X: Any) -> np.ndarray:
        """The model's log-odds of *favoured* per row (``ScoreResult.log_odds``); the
        probability is a strictly increasing function of it, so both rank firms alike."""
        return self._log_odds_and_probability(X)[0]

    def predict(self, X: Any) -> np.ndarray:
        """1 (favoured) where the probability is at least one half, else 0."""
        favoured = self._log_odds_and_probability(X)[1] >= 0.5
        labels: np.ndarray = np.where(favoured, self.classes_[1], self.classes_[0])
        return labels


def _expand(values: Any, mask: np.ndarray) -> Any:
    """Values for the rows where ``mask`` is true, placed into a column for every row
    (missing elsewhere): a rejected row keeps its place with no score."""
    if mask.all():
        return values
    if isinstance(values, pd.Categorical):
        codes = np.full(len(mask), -1, dtype=values.codes.dtype)
        codes[mask] = values.codes
        return pd.Categorical.from_codes(codes, dtype=values.dtype)
    if isinstance(values, pa.DictionaryArray):
        indices = np.zeros(len(mask), dtype=np.int32)
        indices[mask] = values.indices.to_numpy(zero_copy_only=False)
        return pa.DictionaryArray.from_arrays(pa.array(indices, mask=~mask), values.dictionary)
    out = np.full(len(mask), np.nan)
    out[mask] = values
    return out


def _concat(chunks: list[Any]) -> Any:
    """One result column from its batches: numbers, the band (a categorical with the five band
    names in order), or text (Arrow dictionary arrays, joined into a pandas string column)."""
    if isinstance(chunks[0], pa.DictionaryArray):
        return pa.chunked_array(chunks).cast(pa.string()).to_pandas()
    if isinstance(chunks[0], pd.Categorical):
        return pd.Categorical.from_codes(np.concatenate([c.codes for c in chunks]), dtype=chunks[0].dtype)
    return np.concatenate(chunks)


def _as_frame(X: Any) -> pd.DataFrame | str | Path:
    """Firms as a frame (one dict or :class:`FirmProfile`, or a list of them, becomes one), or
    a file's path. Anything else, an array with no column names above all, is refused: a
    Scorer reads firm profiles, whose columns the contract names."""
    if isinstance(X, FirmProfile | Mapping):
        X = [X]
    if isinstance(X, list) and all(isinstance(p, FirmProfile | Mapping) for p in X):
        return pd.DataFrame([p.to_dict() if isinstance(p, FirmProfile) else dict(p) for p in X])
    if isinstance(X, pd.DataFrame | str | Path):
        return X
    raise InputError(
        f"<{type(X).__name__}>",
        "expected firm profiles: a DataFrame with the contract's column names "
        "(docs/firm-profile.md), a dict or a FirmProfile, a list of those, or a file's path",
    )


def _parsed(X: Any) -> list[Profiles] | None:
    """``X`` as a list of parsed batches, if that is what it is (else ``None``)."""
    if isinstance(X, Profiles):
        return [X]
    if isinstance(X, list) and X and all(isinstance(b, Profiles) for b in X):
        return X
    return None


def _where(X: Any, source: str | None) -> str:
    """How messages name the input: ``source`` if given, else the path, the parsed batches'
    source, or ``<DataFrame>`` (``<dict>``, ...)."""
    if source is not None:
        return source
    parsed = _parsed(X)
    if parsed:
        return parsed[0].source
    return source_name(X) if isinstance(X, str | Path) else f"<{type(X).__name__}>"


def _row_offset(X: Any, source: str | None) -> int | None:
    """What turns a result's ``row`` into the row as the user counts it (see
    :func:`firm_location`): a file's rows are counted so already (0); a frame read from a file
    (``source`` given) has a 0-based index (2: the header is row 1); otherwise ``None``, and the
    index label is shown."""
    parsed = _parsed(X)
    if isinstance(X, str | Path) or (parsed and parsed[0].source != "<DataFrame>"):
        return 0
    return 2 if source is not None else None


def _many_firms(rows: int) -> str:
    return (
        f"holds {rows:,} firms, and explain_one explains one: use explain(X) for every firm, "
        "or explain_one(X, firm=name) for the one of that name"
    )


def firm_location(result: ScoreResult, offset: int | None) -> str:
    """Where a result's firm stands: its row as the user counts rows in a file (the header is
    row 1; ``offset`` added to ``result.row``), or (``offset=None``) its DataFrame index label."""
    if offset is not None and isinstance(result.row, int):
        return f"row {result.row + offset}"
    return f"index {result.row!r}"


def _name_key(name: str) -> str:
    """How ``explain(firm=...)`` compares names: NFKC, case-folded, spacing collapsed."""
    import unicodedata

    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())
