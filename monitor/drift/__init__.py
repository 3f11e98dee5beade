"""DriftHound's own drift detection: statistics, thresholds calibrated on the reference, verdicts.

numpy and scipy only; Evidently shows these verdicts in its report but does not decide them.
"""
