"""The one jinja2 factory: HTML always autoescaped, text always sandboxed.

HTML reports and email exports render through :func:`render_html`, whose environment escapes
every value whatever the template's file name (a column called ``<script>`` stays text). Prompts,
markdown reports and disclosure snippets render through :func:`render_text`: a sandboxed
environment with :class:`jinja2.StrictUndefined`, so a template cannot reach Python internals and
a missing value is an error rather than an empty string.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from core import formatting as F
from core.assets import assets_root


@lru_cache(maxsize=1)
def html_environment() -> jinja2.Environment:
    """Environment for HTML: autoescape on for every template, sandboxed."""
    env = SandboxedEnvironment(loader=jinja2.FileSystemLoader(str(assets_root())), autoescape=True,
                               undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return _with_filters(env)


@lru_cache(maxsize=1)
def text_environment() -> SandboxedEnvironment:
    """Environment for plain text and markdown: sandboxed, no escaping, strict about missing values."""
    env = SandboxedEnvironment(loader=jinja2.FileSystemLoader(str(assets_root())), autoescape=False,
                               undefined=jinja2.StrictUndefined, keep_trailing_newline=False)
    return _with_filters(env)


def _with_filters(env: SandboxedEnvironment) -> SandboxedEnvironment:
    """The formatting filters every template may use: ``{{ x | money }}``, ``| pct``, ``| count``, ``| number``."""
    env.filters.update({"money": F.money, "pct": F.pct, "pp": F.pp, "count": F.count, "number": F.number,
                        "signed": F.signed, "ratio": F.ratio, "humanize": F.humanize,
                        "capfirst": lambda s: s[:1].upper() + s[1:] if s else s})
    return env


def render_html(name: str, /, **context: Any) -> str:
    """Render the HTML template ``name`` (a path under ``assets/``, e.g. ``"credit/model_report.html.j2"``)."""
    return html_environment().get_template(name).render(**context)


def render_text(name: str, /, **context: Any) -> str:
    """Render the text/markdown template ``name`` (a path under ``assets/``)."""
    return text_environment().get_template(name).render(**context)


def text_template(source: str) -> jinja2.Template:
    """A sandboxed, strict text template compiled from a string (rule snippets, disclosures)."""
    return text_environment().from_string(source)


def html_template(source: str) -> jinja2.Template:
    """An autoescaped HTML template compiled from a string."""
    return html_environment().from_string(source)
