"""(a) What a user writes by hand: pandas.read_sql of both days, Evidently's DataDriftPreset, save_html.

python bench/by_hand.py URL OUT.html
"""

from __future__ import annotations

import sys
import warnings

import pandas as pd
import sqlalchemy as sa
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from logs import CATEGORICAL, COLUMNS, NUMERICAL

warnings.filterwarnings("ignore")


def main(url: str, out: str) -> None:
    engine = sa.create_engine(url)
    select = f"SELECT {', '.join(COLUMNS)} FROM predictions WHERE ts >= :start AND ts < :end"  # noqa: S608
    iso = "%Y-%m-%d 00:00:00+00:00"
    days = (
        pd.Timestamp("2026-11-01", tz="UTC"),
        pd.Timestamp("2026-11-02", tz="UTC"),
        pd.Timestamp("2026-11-03", tz="UTC"),
    )
    bounds = [(days[0], days[1]), (days[1], days[2])]
    if engine.dialect.name == "sqlite":
        bounds = [(a.strftime(iso), b.strftime(iso)) for a, b in bounds]
    reference, current = (pd.read_sql(sa.text(select), engine, params={"start": a, "end": b}) for a, b in bounds)
    definition = DataDefinition(numerical_columns=NUMERICAL, categorical_columns=CATEGORICAL)
    snapshot = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    snapshot.save_html(out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
