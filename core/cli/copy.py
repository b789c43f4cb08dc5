"""``studio copy check``: the copy page's compliance engine for copy written elsewhere."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def _check(args: argparse.Namespace) -> list[dict]:
    from core.copy.check import check_texts, parse_lines

    texts = parse_lines(sys.stdin)
    return check_texts(texts, args.product, args.channel, args.language)


def register(subparsers: Any) -> None:
    copy = subparsers.add_parser("copy", help="marketing copy: compliance checks")
    sub = copy.add_subparsers(dest="copy_command", metavar="COPY_COMMAND")
    sub.required = True
    check = sub.add_parser("check", help='check JSON lines {"text": ...} from stdin; one verdict line per text')
    check.add_argument("--product", required=True, help="product id of the catalogue, e.g. cash_rewards_card")
    check.add_argument("--channel", required=True, help="email_subject, email_body, sms, push or banner")
    check.add_argument("--language", default="en", help="en (default) or zh")
    check.set_defaults(func=_check)
