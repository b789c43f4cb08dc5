"""A session-scoped LocalCluster (2 workers x 1 thread), small data and one small credit model for every scale test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import psutil
import pytest

ROWS = 4_000


@pytest.fixture(scope="session")
def cluster_client(tmp_path_factory):
    from distributed import Client, LocalCluster

    from core.scale.engine import script_free_main

    base = tmp_path_factory.mktemp("cluster")
    env = {"STUDIO_THREADS": "1", "OMP_NUM_THREADS": "1", "STUDIO_WORKSPACE_DIR": str(base / "ws")}
    with script_free_main():  # the app tests before leave a page script as __main__
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="2GiB",
                               dashboard_address=":0", env=env)
    client = Client(cluster, set_as_default=False)
    pids = [int(p) for p in client.run(lambda: __import__("os").getpid()).values()]
    yield client
    client.close()
    cluster.close()
    leaked = [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    assert not leaked, f"worker processes left running: {leaked}"


@pytest.fixture(scope="session")
def book(tmp_path_factory):
    """A small synthetic book, its credit model (trained once), and its rows as Parquet files of several layouts."""
    import os

    from core.data.synthetic import generate_portfolio
    from core.scale.partitions import write_parquet

    base = tmp_path_factory.mktemp("book")
    old = os.environ.get("STUDIO_WORKSPACE_DIR")
    os.environ["STUDIO_WORKSPACE_DIR"] = str(base / "ws")
    from core.settings import get_settings

    get_settings.cache_clear()
    from core.credit.service import CreditParams, train_or_load
    from core.runtime import registry

    registry._reset_for_tests()
    ds = generate_portfolio(ROWS, seed=11)
    model = train_or_load(ds, CreditParams(n_estimators=40, max_depth=3))
    layouts = {}
    for k, cuts in {1: [ROWS], 3: [1_000, 1_013, ROWS], 7: [400, 900, 1_700, 2_000, 2_001, 3_300, ROWS]}.items():
        folder = base / f"p{k}"
        start = 0
        for i, stop in enumerate(cuts):
            write_parquet(ds.frame.iloc[start:stop], Path(folder) / f"part-{i:05d}.parquet")
            start = stop
        layouts[k] = folder
    if old is None:
        os.environ.pop("STUDIO_WORKSPACE_DIR", None)
    else:
        os.environ["STUDIO_WORKSPACE_DIR"] = old
    get_settings.cache_clear()
    return {"dataset": ds, "model": model, "layouts": layouts, "frame": ds.frame}


@pytest.fixture(scope="session")
def generator(book):
    """A small scenario VAE on the book (two epochs: the tests compare paths, not the generator's quality)."""
    from core.scenarios.generator import TabularVAE, VAEParams
    from core.scenarios.generators import generator_columns

    cols, cats = generator_columns(book["dataset"])
    return TabularVAE(VAEParams(epochs=2, hidden=32, latent_dim=4, depth=1, batch_size=512), "cpu").fit(
        book["frame"][cols], cats)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
