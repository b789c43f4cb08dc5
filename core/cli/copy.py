"""``studio copy check`` (the page's compliance engine for copy written elsewhere) and ``studio copy generate``.

``generate`` calls :func:`core.copy.generate.generate_copy`, as the page's Generate button does, with the
backend of the settings (``STUDIO_COPY_BACKEND``, the embedded model by default) unless ``--backend`` says
otherwise; the batch is saved in the workspace as the page saves it. One JSON line per kept variant,
then a summary line.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.cli import args as args_mod


def _check(args: argparse.Namespace) -> list[dict]:
    from core.copy.check import check_texts, parse_lines

    texts = parse_lines(sys.stdin)
    return check_texts(texts, args.product, args.channel, args.language)


def _generate(args: argparse.Namespace) -> list[dict]:
    from core.auth import LOCAL_USER
    from core.briefs import SegmentBrief
    from core.copy.audit.service import save_batch
    from core.copy.generate import CopyRequest, generate_copy, make_backend

    traits = tuple(t.strip() for t in (args.traits or "").split(";") if t.strip())
    segment = SegmentBrief(args.segment, 0, 0.0, args.description or "", traits) if args.segment else None
    backend, notes = make_backend(args.backend)
    request = CopyRequest(args.product, args.channel, segment, args.tone, args.language, args.n, args.seed)
    batch = generate_copy(request, backend, backend_notes=notes, user=LOCAL_USER)
    run_id = save_batch(batch, user=LOCAL_USER)
    rows: list[dict] = [{"batch_id": batch.batch_id, "variant_id": v.id, "outcome": v.outcome, "status": v.status,
                         "score": v.score, "copy": v.final_text, "raw": v.raw, "backend": v.backend}
                        for v in batch.variants]
    rows.append({"batch_id": batch.batch_id, "run_id": run_id, "backend": batch.backend, "notes": batch.notes,
                 "stats": batch.stats, "set_aside": len(batch.blocked)})
    return rows


def register(subparsers: Any) -> None:
    copy = subparsers.add_parser("copy", help="marketing copy: compliance checks and generation")
    sub = copy.add_subparsers(dest="copy_command", metavar="COPY_COMMAND")
    sub.required = True
    check = sub.add_parser("check", help='check JSON lines {"text": ...} from stdin; one verdict line per text')
    check.add_argument("--product", required=True, help="product id of the catalogue, e.g. cash_rewards_card")
    check.add_argument("--channel", required=True, help="email_subject, email_body, sms, push or banner")
    check.add_argument("--language", default="en", help="en (default) or zh")
    check.set_defaults(func=_check)
    gen = sub.add_parser("generate", help="write, check and rank copy for a product, channel and segment")
    gen.add_argument("--product", required=True, help="product id of the catalogue, e.g. cash_rewards_card")
    gen.add_argument("--channel", required=True, help="email_subject, email_body, sms, push or banner")
    gen.add_argument("--segment", default="", help="segment name, e.g. 'Young families'")
    gen.add_argument("--traits", default="", help="segment traits separated by ';'")
    gen.add_argument("--description", default="", help="one line describing the segment")
    gen.add_argument("--tone", default="friendly")
    gen.add_argument("--language", default="en", help="en (default) or zh")
    gen.add_argument("--n", type=int, default=3, help="variants to keep (default 3)")
    gen.add_argument("--seed", type=args_mod.seed, default=42)
    gen.add_argument("--backend", default=None, help="local, openai or template (default: the setting)")
    gen.set_defaults(func=_generate)
