"""What a meaning head sees: the sentence embedding (English) and hashed character n-grams (both languages).

The embedding carries meaning across paraphrases in English; MiniLM's vocabulary has few Chinese
characters, so Chinese heads read character 1–3-grams, which carry the meaning of short Chinese
claims well. Hashing needs no vocabulary, so a saved model is plain arrays.
"""

from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

N_HASH = 2**15
EMBED_WEIGHT = 1.0  # the embedding's share of the English feature vector

_VECTORIZERS = {
    "en": HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=N_HASH, alternate_sign=False,
                            norm="l2", lowercase=True),
    "zh": HashingVectorizer(analyzer="char", ngram_range=(1, 3), n_features=N_HASH, alternate_sign=False,
                            norm="l2", lowercase=True),
}
_NUM = re.compile(r"[$£€¥]?\d[\d,]*(?:\.\d+)?%?")


def canonical(text: str) -> str:
    """A claim as the heads read it: numbers replaced by one token (their values are grounding's job)."""
    return _NUM.sub("0", text.strip())


def uses_embedding(language: str) -> bool:
    return language != "zh"


def hashed(texts: list[str], language: str) -> sp.csr_matrix:
    """The hashed character n-grams alone (N, N_HASH): what the English screen reads before the encoder."""
    lang = "zh" if language == "zh" else "en"
    return _VECTORIZERS[lang].transform([canonical(t) for t in texts]).astype(np.float32)


def features(texts: list[str], language: str, embeddings: np.ndarray | None = None,
             hashed_part: sp.csr_matrix | None = None) -> sp.csr_matrix:
    """The feature matrix (N, D), sparse, for ``texts`` in ``language`` (``hashed_part`` if already computed)."""
    lang = "zh" if language == "zh" else "en"
    hashed_ = hashed(texts, lang) if hashed_part is None else hashed_part
    if uses_embedding(lang):
        if embeddings is None:
            raise ValueError("English features need the sentence embeddings.")
        return sp.hstack([sp.csr_matrix(EMBED_WEIGHT * embeddings.astype(np.float32)), hashed_], format="csr")
    return sp.csr_matrix(hashed_)


def dimension(language: str) -> int:
    from core.copy.meaning.encoder import DIM

    return N_HASH + (DIM if uses_embedding(language) else 0)
