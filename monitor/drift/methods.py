"""The drift methods a monitor or column may name (plain names: importable from the config, cheaply)."""

CALIBRATED = "calibrated"
EVIDENTLY_AUTO = "evidently"  # Evidently's own choice of test and threshold for the column
# Evidently's statistical tests whose score is a p-value (drift when below the threshold).
P_VALUE_METHODS = frozenset(
    {
        "ks",
        "chisquare",
        "z",
        "anderson",
        "cramer_von_mises",
        "es",
        "fisher_exact",
        "g_test",
        "mannw",
        "t_test",
        "empirical_mmd",
        "TVD",
    }
)
EVIDENTLY_METHODS = frozenset({*P_VALUE_METHODS, "ed", "hellinger", "jensenshannon", "kl_div", "psi", "wasserstein"})
ALL_METHODS = frozenset({CALIBRATED, EVIDENTLY_AUTO, *EVIDENTLY_METHODS})
