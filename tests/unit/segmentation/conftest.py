import numpy as np
import pandas as pd
import pytest

from core.data.dataset import Dataset
from core.data.inference import infer_schema


def make_dataset(frame: pd.DataFrame, name: str = "test", id_column: str | None = None) -> Dataset:
    return Dataset.build(name, frame, infer_schema(frame, id_column=id_column), f"test:{name}")


@pytest.fixture
def blobs():
    """Three well-separated groups on three numeric columns, with ids."""
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0, 0], [8, 8, 0], [0, 8, 8]], dtype=float)
    lab = rng.integers(0, 3, 1500)
    X = centres[lab] + rng.normal(0, 1, (1500, 3))
    frame = pd.DataFrame({"customer_id": [f"C{i:05d}" for i in range(1500)], "a": X[:, 0], "b": X[:, 1], "c": X[:, 2]})
    return make_dataset(frame, "blobs"), lab
