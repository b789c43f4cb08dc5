"""Fixtures for the copy tests: the catalogue, the engine, a segment, a tiny language model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.auth import Role, User
from core.briefs import SegmentBrief

AUTHOR = User("ana", "Ana Analyst", "ana@bank.example", frozenset({Role.ANALYST}))
REVIEWER = User("rita", "Rita Reviewer", "rita@bank.example", frozenset({Role.REVIEWER}))


@pytest.fixture(scope="session")
def catalogue():
    from core.copy.catalogue import get_catalogue

    return get_catalogue()


TEST_CACHE = Path(__file__).resolve().parents[3] / "workspace" / "test-cache"  # git-ignored, kept between runs


def warm_engine():
    """The engine with its meaning model, trained once into a persistent test cache (then loaded in seconds)."""
    from core.copy.engine import get_engine
    from core.runtime import registry
    from core.settings import get_settings

    old = os.environ.get("STUDIO_WORKSPACE_DIR")
    os.environ["STUDIO_WORKSPACE_DIR"] = str(TEST_CACHE)
    get_settings.cache_clear()
    registry._reset_for_tests()
    try:
        return get_engine()
    finally:
        if old is None:
            os.environ.pop("STUDIO_WORKSPACE_DIR", None)
        else:
            os.environ["STUDIO_WORKSPACE_DIR"] = old
        get_settings.cache_clear()
        registry._reset_for_tests()


@pytest.fixture(scope="session", autouse=True)
def engine():
    """The engine, built once per session for every copy test (so no test trains the meaning model again)."""
    return warm_engine()


@pytest.fixture
def segment():
    return SegmentBrief(name="Young families", size=1200, share=0.12, description="Parents with young children",
                        traits=("high card spend", "use the mobile app weekly", "income 1.3x the book"))


SEGMENTS = [
    SegmentBrief("Young digital savers", 900, 0.09, "Under 35, bank on their phones", ("low balances", "app users")),
    SegmentBrief("Affluent retirees", 400, 0.04, "Retired, high deposit balances", ("premium", "pension income")),
    SegmentBrief("Revolving borrowers", 700, 0.07, "Carry card balances month to month", ("high utilisation",)),
]


@pytest.fixture(scope="session")
def tiny_lm():
    """A randomly initialised 2-layer Llama with a byte-level BPE tokenizer trained here (no download)."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from core.copy.backends.local_lm import LoadedLM, ModelSource

    corpus = ["Product: High-Yield Savings\nFacts: 4.10% APY\nSMS: Earn 4.10% APY with High-Yield Savings.\n"] * 4
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(corpus, vocab_size=300, min_frequency=1, special_tokens=["<eos>", "<pad>"])
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, eos_token="<eos>", pad_token="<pad>")
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
                      eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    model = LlamaForCausalLM(cfg).eval()
    return LoadedLM(model, tok, "cpu", ModelSource("dir", None, "tiny-test-llama", "tiny test Llama"))
