"""No runtime dependency may be under the Business Source License or the GPL (issue 10, item 9).

Walks every distribution required by requirements.txt, transitively (through each installed
distribution's own requirements, extras left out), and reads its licence metadata: the
``License-Expression`` field, the ``License`` field and the ``License ::`` classifiers.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = re.compile(r"\b(BUSL|Business Source|A?GPL|GNU (Affero )?General Public)\b", re.I)
ALLOWED = re.compile(r"\b(LGPL|Lesser General Public|GPL[- ]compatible|with (the )?(GCC|classpath) (runtime )?exception)\b", re.I)


def _top_level() -> list[str]:
    names = []
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.append(Requirement(line).name)
    return names


def _closure(names: list[str]) -> dict[str, metadata.Distribution]:
    seen: dict[str, metadata.Distribution] = {}
    todo = list(names)
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional or platform-specific requirement that is not installed here
        seen[key] = dist
        for raw in dist.requires or []:
            req = Requirement(raw)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            todo.append(req.name)
    return seen


def licence_texts(dist: metadata.Distribution) -> list[str]:
    meta = dist.metadata
    texts = [meta.get("License-Expression") or "", (meta.get("License") or "")[:300]]
    texts += [c for c in (meta.get_all("Classifier") or []) if c.startswith("License ::")]
    return [t for t in texts if t]


def offending(texts: list[str]) -> list[str]:
    return [t for t in texts if FORBIDDEN.search(t) and not ALLOWED.search(t)]


def test_the_check_itself_spots_busl_and_gpl_and_allows_lgpl():
    assert offending(["BUSL-1.1"]) and offending(["License :: OSI Approved :: GNU General Public License v3 (GPLv3)"])
    assert offending(["AGPL-3.0-only"])
    assert not offending(["License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)"])
    assert not offending(["MIT", "BSD-3-Clause", "Apache-2.0"])


def test_no_runtime_dependency_is_busl_or_gpl():
    dists = _closure(_top_level())
    assert len(dists) > 20  # the walk really followed the requirements
    bad = {name: offending(licence_texts(d)) for name, d in dists.items()}
    bad = {k: v for k, v in bad.items() if v}
    assert bad == {}, bad


def test_sdmetrics_and_copulas_are_not_runtime_dependencies():
    names = set(_closure(_top_level()))
    assert not {"sdmetrics", "copulas", "sdv", "ctgan", "rdt"} & names
