"""``Scorer``: the one object researchers use, in notebooks, pipelines and behind the CLI.

One firm and a million go through the same path: a profile is a frame of one row.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from alignscore._contract.firm import FirmProfile
from alignscore._contract.profiles import Profiles
from alignscore._contract.read import Chunk, iter_chunks, iter_profiles, ordered_map
from alignscore._contract.validate import raise_on_problems
from alignscore._core.resources import bundled
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

    Examples
    --------
    >>> scorer = Scorer(as_of="2024-01-01")
    >>> result = scorer.score({"name": "Example Chips", "sector": "semiconductors",
    ...                        "listing_venue": "star", "little_giant": "yes"})
    >>> result.band in ("Strong headwind", "Headwind", "Neutral", "Tailwind", "Strong tailwind")
    True
    >>> bool(abs(result.baseline + sum(c.value for c in result.contributions) - result.log_odds) < 1e-9)
    True
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
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        return True  # a pre-trained model is loaded on first use; fit() replaces it

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
        if isinstance(X, FirmProfile):
            X = pd.DataFrame([X.to_dict()])
        elif isinstance(X, Mapping):
            X = pd.DataFrame([dict(X)])
        elif isinstance(X, list):
            X = pd.DataFrame([p.to_dict() if isinstance(p, FirmProfile) else dict(p) for p in X])
        if not isinstance(X, pd.DataFrame | str | Path):
            raise InputError("<input>", f"expected a DataFrame, a dict or a FirmProfile, got {type(X).__name__}")
        yield from iter_chunks(X)

    def _batches(self, X: Any) -> Iterator[Profiles]:
        for chunk in self._chunks(X):
            yield chunk.parse()

    def score_arrays(self, profiles: Profiles) -> ScoreArrays:
        """The vectorised scores of a parsed batch (rows must all be valid)."""
        return self._engine().score(profiles.values, self.as_of_date)

    def result_columns(self, profiles: Profiles) -> dict[str, Any]:
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
        def work(chunk: Chunk) -> tuple[Profiles, dict[str, Any]]:
            batch = chunk.parse()
            if errors == "raise":
                raise_on_problems(batch)
            good = batch.take(~batch.bad) if batch.bad.any() else batch
            return batch, self.result_columns(good)

        self._engine()  # load once, before the threads start
        parts: dict[str, list[Any]] = {}
        for batch, columns in ordered_map(work, self._chunks(X)):
            good_mask = ~batch.bad
            for name, values in columns.items():
                parts.setdefault(name, []).append(_expand(values, good_mask))
            if errors == "flag":
                reasons = np.full(len(batch), "", dtype=object)
                if batch.bad.any():
                    reasons[batch.bad] = batch.reasons()
                parts.setdefault("rejected", []).append(reasons)
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
        for batch in self._batches(X):
            raise_on_problems(batch)
            arrays = self.score_arrays(batch)
            for start in range(0, len(batch), self.EXPLAIN_BATCH):
                rows = list(range(start, min(start + self.EXPLAIN_BATCH, len(batch))))
                yield from explain_rows(
                    self._engine(), batch, arrays, rows, self.as_of_date, self._peers()
                )

    def explain(
        self, X: Any, firm: str | None = None, *, source: str | None = None
    ) -> list[ScoreResult]:
        """Full explanations for the firms in ``X`` (or only the one named ``firm``).

        ``firm`` matches exactly first; otherwise ignoring case, width and spacing
        (``"acme  ltd"`` finds ``"ACME Ltd"``). A name that matches several different firm
        names that way raises :class:`~alignscore.exceptions.AmbiguousFirmError` listing
        them; no match raises :class:`~alignscore.exceptions.UnknownFirmError` with the
        closest names. ``source`` names the input in those messages (default: the path, or
        ``"<DataFrame>"``).
        """
        if firm is None:
            return list(self.iter_explain(X))
        where = source or (str(X) if isinstance(X, str | Path) else f"<{type(X).__name__}>")
        key = _name_key(firm)
        out: list[ScoreResult] = []
        names_seen: dict[str, None] = {}
        for batch in self._batches(X):
            raise_on_problems(batch)
            names = batch.texts("name")
            rows = [i for i, n in enumerate(names) if n is not None and _name_key(n) == key]
            names_seen.update(dict.fromkeys(n for n in names if n is not None))
            if rows:
                arrays = self.score_arrays(batch)
                out.extend(explain_rows(self._engine(), batch, arrays, rows, self.as_of_date, self._peers()))
        exact = [r for r in out if r.name == firm]
        if exact:
            return exact
        if len({r.name for r in out}) > 1:
            # a path's rows are already counted as in the file; a frame read from a file
            # (``source`` given) has a 0-based index; otherwise the index label is shown
            offset = 0 if isinstance(X, str | Path) else 2 if source is not None else None
            raise AmbiguousFirmError(firm, where, [(r.name, firm_location(r, offset)) for r in out])
        if not out:
            seen = list(names_seen)
            close = difflib.get_close_matches(firm, seen, n=3, cutoff=0.4)
            folded = firm.casefold()
            within = [n for n in seen if folded in n.casefold()]
            raise UnknownFirmError(firm, where, list(dict.fromkeys(within + close))[:3])
        return out

    def score(self, profile: Any, y: Any = None) -> Any:
        """Score and explain one firm (a :class:`FirmProfile` or a dict of raw values).

        Called with labels ``y`` (as scikit-learn does), it returns the accuracy on ``X``
        instead, so that ``cross_val_score`` and friends keep working.
        """
        if y is not None:
            return float(np.mean(self.predict(profile) == np.asarray(y)))
        return self.explain(profile)[0]

    # --- the scikit-learn face -------------------------------------------------------------

    def fit(self, X: pd.DataFrame, y: Any = None) -> Scorer:
        """Train a new model on labelled firms ``X`` (labels ``y`` or X's ``favoured`` column)."""
        from alignscore._model.train import (  # scikit-learn, only when training
            fit_scorecard,
            training_data,
        )

        frame = X.copy()
        if y is not None:
            frame["favoured"] = np.asarray(y)
        batches = list(iter_profiles(frame, chunk_rows=max(len(frame), 1)))
        profiles = batches[0]
        ruleset = RuleSet.load(self.rules)
        data = training_data(profiles, ruleset, self.as_of_date)
        model = fit_scorecard(data.units, data.y, data.groups, ruleset, self.random_state)
        self.engine_ = Engine(ruleset, Scorecard.from_classifier(model, ruleset), "unsaved (trained in memory)")
        self.classes_ = np.array([0, 1])
        self.feature_names_ = list(ruleset.favour_ids)
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of [not favoured, favoured] per row."""
        p = self.score_frame(X)["probability"].to_numpy(dtype=float)
        return np.column_stack([1.0 - p, p])

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        p = self.predict_proba(X)[:, 1]
        log_odds: np.ndarray = np.log(p) - np.log1p(-p)
        return log_odds

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


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
