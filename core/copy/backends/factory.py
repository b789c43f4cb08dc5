"""Which backend serves a request: the setting (local model, OpenAI-compatible endpoint, templates), with fallbacks."""

from __future__ import annotations

from typing import Any

from core.copy.backends.base import Backend
from core.errors import InputError, StudioError


def make_backend(choice: str | None = None, settings: Any = None) -> tuple[Backend, list[str]]:
    """The backend for a setting (``local``, ``openai``, ``template``), with notes on any fallback.

    A local model that fails to load falls back to templates, and the notes say so.
    """
    from core.copy.backends.template import TemplateBackend

    if settings is None:
        from core.settings import get_settings

        settings = get_settings()
    choice = choice or settings.copy_backend
    if choice == "template":
        return TemplateBackend(), []
    if choice == "openai":
        from core.copy.backends.openai_compat import OpenAICompatBackend

        try:
            return OpenAICompatBackend.from_settings(settings), []
        except StudioError as exc:
            return TemplateBackend(), [f"The endpoint backend is not configured ({exc.message}); using templates."]
    if choice == "local":
        from core.copy.backends.local_lm import LocalLMBackend

        try:
            local = LocalLMBackend.load(settings)
            return local, [local.lm.adapter_error] if local.lm.adapter_error else []
        except StudioError as exc:
            return TemplateBackend(), [f"The local language model could not load ({exc.message}); "
                                       "the copy below comes from the template backend."]
    raise InputError(f"Unknown copy backend '{choice}'.", "Use local, openai or template.")


