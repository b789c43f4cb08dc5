import numpy as np
import pandas as pd
import pytest

from core.errors import DataError, InputError
from core.scale.partitions import export_query, open_source, plan, read_rows, write_parquet


def _files(tmp_path, sizes):
    frame = pd.DataFrame({"i": np.arange(sum(sizes)), "x": np.arange(sum(sizes)) * 0.5})
    start = 0
    for k, n in enumerate(sizes):
        write_parquet(frame.iloc[start:start + n], tmp_path / "in" / f"part-{k:05d}.parquet")
        start += n
    return frame


def test_rows_span_files(tmp_path):
    frame = _files(tmp_path, [10, 3, 25])
    src = open_source(tmp_path / "in")
    assert src.n_rows == 38 and src.offsets == [0, 10, 13]
    got = read_rows(src, 8, 30)
    assert got["i"].tolist() == list(range(8, 30))
    assert plan(src)[1].rows == 3
    parts = plan(src, partitions=4, align=8)
    assert [p.start for p in parts] == sorted(p.start for p in parts)
    assert all(p.start % 8 == 0 for p in parts)
    assert sum(p.rows for p in parts) == 38
    pd.testing.assert_frame_equal(pd.concat([read_rows(src, p.start, p.stop) for p in parts], ignore_index=True), frame)


def test_bad_inputs_have_plain_messages(tmp_path):
    with pytest.raises(DataError, match="no file or folder"):
        open_source(tmp_path / "missing")
    (tmp_path / "x.csv").write_text("a\n1\n")
    with pytest.raises(DataError, match="not a Parquet file"):
        open_source(tmp_path / "x.csv")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no .parquet"):
        open_source(tmp_path / "empty")


def test_query_export_keeps_order(tmp_path):
    _files(tmp_path, [50, 70])
    src = export_query(f"SELECT i, x * 2 AS y FROM '{tmp_path / 'in'}/*.parquet' ORDER BY i", tmp_path / "q",
                       database=":memory:", rows_per_file=40)
    assert src.n_rows == 120 and len(src.files) >= 3
    assert read_rows(src, 0, 120)["i"].tolist() == list(range(120))
    with pytest.raises(InputError):
        export_query("DROP TABLE x", tmp_path / "q2", database=":memory:")
