"""Argument types shared by the ``studio`` commands: a bad value is refused by argparse with a plain message."""

from __future__ import annotations

import argparse

SEED_MAX = 2**32 - 1  # numpy's and scikit-learn's random states take 0 .. 2**32 - 1


def seed(text: str) -> int:
    """A random seed: a whole number from 0 to 4,294,967,295."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a seed is a whole number from 0 to {SEED_MAX:,}, not '{text}'") from None
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"a seed is a whole number from 0 to {SEED_MAX:,}, not {value}")
    return value
