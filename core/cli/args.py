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


def whole(low: int, high: int, what: str):
    """An argparse type for a whole number from ``low`` to ``high``; ``what`` names it in the refusal."""

    def parse(text: str) -> int:
        try:
            value = int(text.replace(",", "").replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"use a whole number from {low:,} to {high:,}, not '{text}'") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"use a whole number from {low:,} to {high:,}, not {value:,}")
        return value

    parse.__name__ = what  # argparse names the type in some messages
    return parse
