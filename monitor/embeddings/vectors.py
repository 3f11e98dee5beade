"""A column of embeddings as one (rows, dims) float matrix, whatever form the database handed them in.

Vectors arrive as Python lists or numpy arrays (a PostgreSQL double precision[] through psycopg or Arrow,
jsonb decoded by psycopg), as text (SQLite's JSON, jsonb or json as text, pgvector's "[0.1,0.2]", a
PostgreSQL array cast to text "{0.1,0.2}") or as Arrow list columns. Text is parsed in one pass: the
brackets are stripped and the rows' numbers read as the lines of one CSV by Arrow's reader (bench/README.md,
"Embeddings": 2.4-4.2x faster than json.loads row by row on 100,000 rows). Anything that pass does not read
cleanly is parsed row by row, which either reads it or names the bad value.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pandas.api.types as ptypes

from monitor.errors import DataError

SAMPLE_FOR_INFERENCE = 1000
_FORMS = "a JSON array of numbers, a PostgreSQL array or pgvector's text form [0.1,0.2]"
_CLOSING = {"[": "]", "{": "}"}


def parse_vectors(values: pd.Series, column: str) -> np.ndarray:
    """(rows, dims) float64; a missing value is a row of NaN, a NULL inside a vector one NaN. DataError when a
    value is not a vector of numbers or the vectors differ in length. No vector at all gives (rows, 0)."""
    arrow = _arrow_lists(values, column)
    if arrow is not None:
        return arrow
    items = values.to_numpy(dtype=object)
    present = ~pd.isna(items)  # scalars only: a list or an array is never taken for missing
    if ptypes.infer_dtype(items[present], skipna=False) == "string":  # the usual text column, without a row loop
        matrix = _parse_texts(items[present].tolist(), column)
        result = np.full((len(items), matrix.shape[1]), np.nan)
        result[present] = matrix
        return result
    texts: list[int] = []
    sequences: list[int] = []
    for position in present.nonzero()[0]:
        value = items[position]
        if isinstance(value, bytes | bytearray | memoryview):
            items[position] = bytes(value).decode("utf-8", "replace")
            texts.append(position)
        elif isinstance(value, str):
            texts.append(position)
        elif isinstance(value, list | tuple) or (isinstance(value, np.ndarray) and value.ndim == 1):
            sequences.append(position)
        else:
            raise _not_a_vector(column, value)
    parts: list[tuple[list[int], np.ndarray]] = []
    if texts:
        parts.append((texts, _parse_texts([items[p] for p in texts], column)))
    if sequences:
        parts.append((sequences, _stack_sequences([items[p] for p in sequences], column)))
    dims = _common_length([matrix for _, matrix in parts], column)
    result = np.full((len(items), dims), np.nan)
    for positions, matrix in parts:
        result[positions] = matrix
    return result


def vectors_from_columns(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Numeric columns that together form one vector, as a (rows, len(columns)) matrix; missing cells NaN."""
    matrix = np.empty((len(frame), len(columns)))
    for k, column in enumerate(columns):
        series = frame[column]
        if ptypes.is_bool_dtype(series) or ptypes.is_numeric_dtype(series):
            matrix[:, k] = series.to_numpy(dtype=float, na_value=np.nan)
            continue
        numbers = pd.to_numeric(series, errors="coerce")
        bad = series.notna() & numbers.isna()
        if bad.any():
            raise DataError(
                f'column "{column}" (part of an embedding) holds non-numeric values such as '
                f"{_show(series[bad].iloc[0])} in {int(bad.sum())} rows; every column of an embedding must hold "
                "numbers: fix the data, or take the column out of embedding_features"
            )
        matrix[:, k] = numbers.to_numpy(dtype=float, na_value=np.nan)
    return matrix


def vector_length(values: pd.Series) -> int | None:
    """The common length when every non-missing sampled value is a vector of numbers of one length >= 2, else
    None. For inference: reads at most SAMPLE_FOR_INFERENCE values, never raises."""
    if ptypes.is_numeric_dtype(values) or ptypes.is_bool_dtype(values) or ptypes.is_datetime64_any_dtype(values):
        return None
    present = []
    for value in values:
        if not _missing(value):
            present.append(value)
            if len(present) == SAMPLE_FOR_INFERENCE:
                break
    if not present:
        return None
    first = present[0]
    if isinstance(first, str) and first.lstrip()[:1] not in _CLOSING:
        return None  # the usual case, free text or categories: not worth a parse
    try:
        matrix = parse_vectors(pd.Series(present, dtype=object), "")
    except DataError:
        return None
    return matrix.shape[1] if matrix.shape[1] >= 2 else None


# --- the forms ------------------------------------------------------------------------------------------------


def _arrow_lists(values: pd.Series, column: str) -> np.ndarray | None:
    """A pyarrow-backed list column read without a Python loop; None when the series is not one."""
    dtype = values.dtype
    if not isinstance(dtype, pd.ArrowDtype):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = dtype.pyarrow_dtype
    if not (pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)):
        return None
    array = pa.chunked_array(pa.array(values.array)).combine_chunks()  # one array, whatever the chunks
    value_type = array.type.value_type
    if not (pa.types.is_integer(value_type) or pa.types.is_floating(value_type) or pa.types.is_decimal(value_type)):
        raise _not_a_vector(column, values.dropna().iloc[0] if values.notna().any() else values.iloc[0])
    lengths = pc.list_value_length(array).to_numpy(zero_copy_only=False)
    present = ~np.isnan(lengths.astype(float))
    if not present.any():
        return np.full((len(values), 0), np.nan)
    found = np.unique(lengths[present])
    if len(found) > 1:
        raise _ragged(column, int(found[0]), int(found[1]))
    flat = pc.cast(pc.list_flatten(array), pa.float64()).to_numpy(zero_copy_only=False)
    result = np.full((len(values), int(found[0])), np.nan)
    result[present] = flat.reshape(-1, int(found[0]))
    return result


def _parse_texts(texts: list[str], column: str) -> np.ndarray:
    fast = _parse_texts_at_once(texts)
    if fast is not None:
        return fast
    return _stack_rows([_parse_text(text, column) for text in texts], texts, column)


def _parse_texts_at_once(texts: list[str]) -> np.ndarray | None:
    """Every text's numbers read at once, as the lines of one CSV (Arrow's reader), its shape checked by counting
    on the joined text (no loop over rows); None when anything is off (the row-by-row parse then reads it or says
    what is wrong)."""
    joined = "\n".join(texts)
    if joined.count("\n") != len(texts) - 1 or "\r" in joined:
        return None  # a line break inside a value
    for opening, closing in _CLOSING.items():
        if _every_line_one_bracketed(joined, len(texts), opening, closing):
            return _read_lines(joined.replace(opening, "").replace(closing, ""), len(texts))
    stripped = "\n".join(text.strip() for text in texts)  # spaces around the brackets: a second look
    for opening, closing in _CLOSING.items():
        if stripped != joined and _every_line_one_bracketed(stripped, len(texts), opening, closing):
            return _read_lines(stripped.replace(opening, "").replace(closing, ""), len(texts))
    return None


def _every_line_one_bracketed(joined: str, lines: int, opening: str, closing: str) -> bool:
    """Each line opens with `opening`, closes with `closing` and holds no other bracket (so nothing nested)."""
    return (
        joined.startswith(opening)
        and joined.endswith(closing)
        and joined.count(opening) == lines == joined.count(closing)
        and joined.count(f"{closing}\n{opening}") == lines - 1
        and not any(other in joined for pair in _CLOSING.items() if pair[0] != opening for other in pair)
    )


def _read_lines(lines: str, rows: int) -> np.ndarray | None:
    import pyarrow as pa
    import pyarrow.csv as csv

    length = lines[: lines.find("\n") if "\n" in lines else len(lines)].count(",") + 1
    names = [f"d{k}" for k in range(length)]
    try:
        table = csv.read_csv(
            io.BytesIO(lines.encode()),
            read_options=csv.ReadOptions(column_names=names, use_threads=False),
            convert_options=csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.float64()),
                null_values=["null", "NULL"],  # JSON's and PostgreSQL's NULL inside a vector; never ""
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None  # ragged, text inside, an empty element
    if table.num_rows != rows:
        return None  # an empty vector: its line was skipped
    return np.column_stack([table.column(k).to_numpy() for k in range(length)]).astype(np.float64, copy=False)


def _parse_text(text: str, column: str) -> np.ndarray:
    stripped = text.strip()
    if len(stripped) < 2 or _CLOSING.get(stripped[0]) != stripped[-1]:
        raise _not_a_vector(column, text)
    if stripped[0] == "[":
        try:
            decoded = json.loads(stripped)
        except ValueError:
            raise _not_a_vector(column, text) from None
    else:  # PostgreSQL's array text: {0.1,NULL,0.3}
        inner = stripped[1:-1].strip()
        decoded = [None if token.strip().upper() == "NULL" else token.strip() for token in inner.split(",")]
    return _numbers(decoded, column, text)


def _numbers(decoded: Any, column: str, shown: Any) -> np.ndarray:
    if not isinstance(decoded, list | tuple | np.ndarray) or len(decoded) == 0:
        raise _not_a_vector(column, shown)
    out = np.empty(len(decoded))
    for k, element in enumerate(decoded):
        if element is None:
            out[k] = np.nan
            continue
        if isinstance(element, bool | list | tuple | dict | np.ndarray):
            raise _not_a_vector(column, shown)
        try:
            out[k] = float(element)
        except (TypeError, ValueError):
            raise _not_a_vector(column, shown) from None
    return out


def _stack_sequences(sequences: list[Any], column: str) -> np.ndarray:
    lengths = {len(sequence) for sequence in sequences}
    if len(lengths) == 1 and 0 not in lengths and not _holds_bools(sequences[0]):
        length = lengths.pop()
        if all(isinstance(sequence, np.ndarray) and sequence.dtype.kind in "fiu" for sequence in sequences):
            return np.array(sequences, dtype=float)  # Arrow's arrays: numpy stacks them at C speed
        try:  # one flat pass over every element (3x faster than np.array on a list of lists)
            flat = np.fromiter(itertools.chain.from_iterable(sequences), dtype=float, count=length * len(sequences))
        except (TypeError, ValueError):
            pass  # a NULL, text or a nested list inside: row by row
        else:
            return flat.reshape(len(sequences), length)
    return _stack_rows([_numbers(sequence, column, sequence) for sequence in sequences], sequences, column)


def _holds_bools(sequence: Any) -> bool:
    """numpy would read [True, False] as numbers: the first row says whether the column holds flags. (Numeric
    text is read as numbers: PostgreSQL numeric[] arrives through Arrow as arrays of decimal strings.)"""
    return any(isinstance(element, bool | np.bool_) for element in sequence)


def _stack_rows(rows: list[np.ndarray], shown: list[Any], column: str) -> np.ndarray:
    first = len(rows[0])
    for row, value in zip(rows, shown, strict=True):
        if len(row) != first:
            raise _ragged(column, first, len(row), value)
    return np.vstack(rows)


def _common_length(matrices: list[np.ndarray], column: str) -> int:
    lengths = sorted({matrix.shape[1] for matrix in matrices})
    if len(lengths) > 1:
        raise _ragged(column, lengths[0], lengths[1])
    return lengths[0] if lengths else 0


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and value != value


# --- errors ---------------------------------------------------------------------------------------------------


def _not_a_vector(column: str, value: Any) -> DataError:
    return DataError(
        f'column "{column}" holds {_show(value)}, which is not a vector of numbers; an embedding must be {_FORMS} '
        "in every row (or NULL): fix the data, or take the column out of embedding_features"
    )


def _ragged(column: str, one: int, other: int, example: Any = None) -> DataError:
    such = f" (such as {_show(example)})" if example is not None else ""
    return DataError(
        f'column "{column}" holds vectors of different lengths, {one} and {other}{such}; every embedding of a '
        "column must have the same length: fix the data, or take the column out of embedding_features"
    )


def _show(value: Any) -> str:
    text = repr(value.tolist() if isinstance(value, np.ndarray) else value)
    return text if len(text) <= 60 else text[:57] + "..."
