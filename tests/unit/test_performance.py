"""Model quality, realized and estimated: scikit-learn's definitions, and estimates that follow what really
happens when the inputs shift (and say why when they cannot be made)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as sk

from monitor.columns.roles import ColumnRoles
from monitor.evaluation.prepare import prepare
from monitor.performance.calibration import fit_calibrator
from monitor.performance.estimator import fit_estimator
from monitor.performance.expected import expected_auc
from monitor.performance.outcomes import Labelled, Outputs, labelled
from monitor.performance.realized import realized
from monitor.performance.sampling import learn_spreads

BINARY = ColumnRoles(
    numerical=("x",), categorical=(), prediction="p", target="y", task="binary_classification", prediction_label="d"
)
MULTI = ColumnRoles(
    numerical=("x",),
    categorical=(),
    target="y",
    task="multiclass_classification",
    prediction_label="d",
    probabilities=(("cat", "p_cat"), ("dog", "p_dog"), ("eel", "p_eel")),
)
REGRESSION = ColumnRoles(numerical=("x",), categorical=("c",), prediction="p", target="y", task="regression")


def binary_log(n: int, seed: int, *, shift: float = 0.0, cut: float = 0.7, calibrated: bool = True) -> pd.DataFrame:
    """x ~ N(shift, 1); the model's probability is right (or, when not calibrated, claims p ** 0.5);
    it decides class 1 above `cut`, not 0.5."""
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1, n)
    p = 1 / (1 + np.exp(-2 * x))
    y = (rng.random(n) < p).astype(int)
    shown = p if calibrated else np.sqrt(p)
    return pd.DataFrame({"x": x, "p": shown, "d": (shown > cut).astype(int), "y": y})


def multi_log(n: int, seed: int, *, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1, n)
    logits = np.column_stack([x, -x, 0.5 * np.ones(n)]) * 1.5
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in p])
    classes = np.array(["cat", "dog", "eel"])
    return pd.DataFrame(
        {"x": x, "p_cat": p[:, 0], "p_dog": p[:, 1], "p_eel": p[:, 2], "d": classes[p.argmax(axis=1)], "y": classes[y]}
    )


def test_binary_quality_uses_the_decided_class_and_the_score_as_scikit_learn_does():
    frame = binary_log(3000, 1)
    prepared = prepare(frame, BINARY)
    values = realized(labelled(prepared.frame, BINARY, prepared.prediction_kind))
    y, d, p = frame["y"], frame["d"], frame["p"]
    expected = {
        "accuracy": sk.accuracy_score(y, d),
        "precision": sk.precision_score(y, d),
        "recall": sk.recall_score(y, d),
        "f1": sk.f1_score(y, d),
        "roc_auc": sk.roc_auc_score(y, p),
        "log_loss": sk.log_loss(y, p),
    }
    assert values == pytest.approx(expected, abs=1e-9)
    assert values["accuracy"] != pytest.approx(sk.accuracy_score(y, p >= 0.5), abs=1e-3), "not a cut at 0.5"


@pytest.mark.parametrize("case", ["tied scores", "never says yes", "certain and wrong", "few rows"])
def test_binary_quality_counted_with_numpy_equals_scikit_learn_s_at_the_edges(case):
    frame = binary_log(400 if case != "few rows" else 7, 3)
    if case == "tied scores":
        frame["p"] = frame["p"].round(1)
    if case == "never says yes":
        frame["d"] = 0
    if case == "certain and wrong":
        frame.loc[frame.index[:5], "p"] = 1.0 - frame["y"].iloc[:5]
    prepared = prepare(frame, BINARY)
    values = realized(labelled(prepared.frame, BINARY, prepared.prediction_kind))
    y, d, p = frame["y"], frame["d"], frame["p"]
    expected = {
        "accuracy": sk.accuracy_score(y, d),
        "precision": sk.precision_score(y, d, zero_division=0),
        "recall": sk.recall_score(y, d, zero_division=0),
        "f1": sk.f1_score(y, d, zero_division=0),
        "log_loss": sk.log_loss(y, p, labels=[0, 1]),
    }
    if y.nunique() == 2:
        expected["roc_auc"] = sk.roc_auc_score(y, p)
    assert values == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("order", [("cat", "dog", "eel"), ("eel", "cat", "dog")])
def test_multiclass_quality_equals_scikit_learn_s(order):
    """Whatever order prediction_columns lists the classes in (scikit-learn wants them sorted)."""
    frame = multi_log(3000, 2)
    roles = ColumnRoles(
        numerical=("x",),
        categorical=(),
        target="y",
        task="multiclass_classification",
        prediction_label="d",
        probabilities=tuple((name, f"p_{name}") for name in order),
    )
    prepared = prepare(frame, roles)
    values = realized(labelled(prepared.frame, roles, prepared.prediction_kind))
    y, d = frame["y"], frame["d"]
    proba = frame[["p_cat", "p_dog", "p_eel"]].to_numpy()
    expected = {
        "accuracy": sk.accuracy_score(y, d),
        "precision": sk.precision_score(y, d, average="macro", zero_division=0),
        "recall": sk.recall_score(y, d, average="macro", zero_division=0),
        "f1": sk.f1_score(y, d, average="macro", zero_division=0),
        "roc_auc": sk.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=["cat", "dog", "eel"]),
        "log_loss": sk.log_loss(y, proba, labels=["cat", "dog", "eel"]),
    }
    assert values == pytest.approx(expected, abs=1e-9)


def test_regression_quality_equals_scikit_learn_s():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": rng.normal(size=500), "c": rng.choice(["a", "b"], 500)})
    frame["y"] = 10 + frame["x"] * 3 + rng.normal(size=500)
    frame["p"] = 10 + frame["x"] * 3
    prepared = prepare(frame, REGRESSION)
    values = realized(labelled(prepared.frame, REGRESSION, prepared.prediction_kind))
    y, p = frame["y"], frame["p"]
    assert values == pytest.approx(
        {
            "mae": sk.mean_absolute_error(y, p),
            "rmse": np.sqrt(sk.mean_squared_error(y, p)),
            "mape": 100 * sk.mean_absolute_percentage_error(y, p),
            "r2": sk.r2_score(y, p),
        },
        abs=1e-9,
    )


def test_the_expected_auc_of_known_labels_is_the_auc():
    rng = np.random.default_rng(4)
    scores = np.round(rng.random(500), 2)  # ties too
    truth = (rng.random(500) < scores).astype(float)
    assert expected_auc(scores, truth) == pytest.approx(sk.roc_auc_score(truth, scores), abs=1e-12)


def test_calibration_is_used_only_where_it_helps_on_held_out_rows():
    calibrated = binary_log(5000, 5)
    assert fit_calibrator(calibrated["p"].to_numpy(), calibrated["y"].to_numpy(), seed=1).method == "none"
    overconfident = binary_log(5000, 5, calibrated=False)
    chosen = fit_calibrator(overconfident["p"].to_numpy(), overconfident["y"].to_numpy(), seed=1)
    assert chosen.method == "isotonic" and chosen.held_out_error < chosen.uncalibrated_error


@pytest.mark.parametrize("calibrated", [True, False])
def test_binary_estimates_follow_a_covariate_shift(calibrated):
    """The window's inputs move to where the model is less sure: the estimates fall as the realized figures do,
    within their sampling error."""
    reference = prepare(binary_log(20000, 6, calibrated=calibrated), BINARY)
    estimator = fit_estimator(reference.frame, BINARY, reference.prediction_kind, seed=1)
    for shift in (0.0, -1.0):
        window = prepare(binary_log(5000, 7, shift=shift, calibrated=calibrated), BINARY)
        estimate = estimator.estimate(window.frame)
        truth = realized(labelled(window.frame, BINARY, window.prediction_kind))
        for name in ("roc_auc", "accuracy", "precision", "recall", "f1"):
            error = estimate.sampling_errors[name]
            assert abs(estimate.values[name] - truth[name]) < 3 * error + 0.005, (shift, name)


def test_multiclass_estimates_follow_a_covariate_shift():
    reference = prepare(multi_log(12000, 8), MULTI)
    estimator = fit_estimator(reference.frame, MULTI, reference.prediction_kind, seed=1)
    window = prepare(multi_log(4000, 9, shift=1.0), MULTI)
    estimate = estimator.estimate(window.frame)
    truth = realized(labelled(window.frame, MULTI, window.prediction_kind))
    for name in ("roc_auc", "accuracy", "precision", "recall", "f1"):
        assert abs(estimate.values[name] - truth[name]) < 3 * estimate.sampling_errors[name] + 0.01, name


def test_regression_estimates_follow_a_shift_into_noisier_inputs():
    """Errors grow with |x|: a window of larger x has a larger mae, and the loss models see it coming."""

    def log(n, seed, shift):
        rng = np.random.default_rng(seed)
        x = rng.normal(shift, 1, n)
        c = rng.choice(["a", "b"], n)
        noise = rng.normal(0, 1 + np.abs(x) * np.where(c == "a", 1.0, 2.0), n)
        return pd.DataFrame({"x": x, "c": c, "p": 5 + 2 * x, "y": 5 + 2 * x + noise})

    reference = prepare(log(20000, 10, 0.0), REGRESSION)
    estimator = fit_estimator(reference.frame, REGRESSION, reference.prediction_kind, seed=1)
    for shift in (0.0, 1.5):
        window = prepare(log(5000, 11, shift), REGRESSION)
        estimate = estimator.estimate(window.frame)
        rows = labelled(window.frame, REGRESSION, window.prediction_kind)
        truth = realized(rows)
        # The reference's sampling error is of windows like the reference; this window's losses scatter more
        # (errors grow with |x|), so it is held to the larger of that and its own rows' scatter.
        own = learn_spreads(rows).errors(len(rows))
        for name in ("mae", "rmse"):
            error = max(estimate.sampling_errors[name], own[name])
            assert abs(estimate.values[name] - truth[name]) < 3 * error, (shift, name)
    assert (
        estimate.values["mae"] > 1.3 * estimator.estimate(prepare(log(5000, 12, 0.0), REGRESSION).frame).values["mae"]
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda f: f.assign(y=np.nan), "no labels"),
        (lambda f: f.head(60), "the reference has 60 labelled rows, at least 100"),
        (lambda f: f.assign(y=1), "fewer than 10 rows of class 0"),
        (lambda f: f.assign(p=f["p"] * 4 - 1), "holds scores outside [0, 1]"),
    ],
)
def test_what_cannot_be_estimated_says_why(change, reason):
    frame = change(binary_log(2000, 13))
    prepared = prepare(frame, BINARY)
    result = fit_estimator(prepared.frame, BINARY, prepared.prediction_kind, seed=1)
    assert isinstance(result, str) and reason in result


def _references(rows: int, seed: int = 4) -> dict[str, Labelled]:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1.5, rows)
    p = 1 / (1 + np.exp(-(2 * x + rng.normal(0, 0.5, rows))))
    binary = Labelled(
        Outputs("binary_classification", (p > 0.6).astype(int), np.round(p, 2)), (rng.random(rows) < p).astype(int)
    )
    logits = np.column_stack([x, -x, rng.normal(0, 0.5, rows)])
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    classes = ("a", "b", "c")
    truth = np.array([classes[k] for k in (rng.random((rows, 1)) > proba.cumsum(axis=1)).sum(axis=1)], dtype=object)
    decided = np.array([classes[k] for k in proba.argmax(axis=1)], dtype=object)
    price = np.exp(rng.normal(3, 0.5, rows))
    return {
        "binary": binary,
        "multiclass": Labelled(Outputs("multiclass_classification", decided, proba, classes), truth),
        "regression": Labelled(Outputs("regression", price * np.exp(rng.normal(0, 0.2, rows))), price),
    }


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("window", [200, 2500])
def test_closed_form_sampling_errors_equal_the_scatter_of_windows_drawn_from_the_reference(task, window):
    """The std of each realized figure over 400 windows drawn as the estimator describes them (with replacement
    above half the reference, without below), against the closed forms: within 12 % (400 draws know a std to
    about 3.5 %). 2,500 of 4,000 rows is drawn with replacement, 200 without."""
    reference = _references(4000)[task]
    errors = learn_spreads(reference).errors(window)
    rng = np.random.default_rng(9)
    n = len(reference)
    draws = [realized(reference.take(rng.choice(n, size=window, replace=window > n // 2))) for _ in range(400)]
    expected_names = {"regression": {"mae", "rmse", "mape"}}.get(
        task, {"roc_auc", "accuracy", "precision", "recall", "f1"}
    )
    assert set(errors) == expected_names
    for name, error in errors.items():
        scatter = np.std([d[name] for d in draws], ddof=1)
        assert error == pytest.approx(scatter, rel=0.12), name


def test_sampling_errors_shrink_with_the_share_of_the_reference_drawn_without_replacement():
    """A window of nearly half the reference (drawn without replacement) scatters less than 1/sqrt(n) says."""
    reference = _references(4000)["binary"]
    spreads = learn_spreads(reference)
    half, small = spreads.errors(2000)["accuracy"], spreads.errors(20)["accuracy"]
    assert half < small * np.sqrt(20 / 2000) * 0.75


def test_a_figure_most_windows_cannot_define_has_no_sampling_error():
    """AUC needs both classes: with 1 % positives, most 20-row windows have none."""
    rng = np.random.default_rng(2)
    truth = (rng.random(5000) < 0.01).astype(int)
    scores = np.clip(0.01 + 0.3 * truth + rng.normal(0, 0.05, 5000), 0, 1)
    spreads = learn_spreads(Labelled(Outputs("binary_classification", (scores > 0.2).astype(int), scores), truth))
    assert "roc_auc" not in spreads.errors(20) and "accuracy" in spreads.errors(20)
    assert "roc_auc" in spreads.errors(1000)


def test_sampling_errors_are_learnt_once_per_reference_and_kept_per_window_size():
    reference = prepare(binary_log(5000, 1), BINARY)
    estimator = fit_estimator(reference.frame, BINARY, reference.prediction_kind, seed=1)
    first = estimator.sampling_errors(500, ("roc_auc", "accuracy"))
    spreads = estimator._spreads
    assert estimator.sampling_errors(510, ("roc_auc", "accuracy")) == first  # the same size bucket
    assert estimator.sampling_errors(2000, ("accuracy",))["accuracy"] < first["accuracy"]
    assert estimator._spreads is spreads
