"""An OpenAI-compatible HTTP endpoint (vLLM, llama.cpp server, Ollama), for banks that serve models centrally.

Uses ``POST {base_url}/completions`` with the same few-shot prompt as the local model (a base or an
instruction-tuned model both complete it), and falls back to ``/chat/completions`` when the server
has no completions route. With a stream callback it reads server-sent events and forwards each text
delta. Every call has a timeout (``Settings.openai_timeout_s``); a timeout, a refused connection or
an HTTP error becomes a :class:`~core.errors.ModelError` with a message the page shows, and the
orchestrator falls back to templates.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from core.copy.backends.base import Backend, Candidate, Prompt, StopCheck, StreamCallback
from core.errors import InputError, ModelError


class OpenAICompatBackend(Backend):
    name = "openai"
    languages = frozenset({"en", "zh"})  # depends on the served model; the engine checks the language
    max_variants = 50

    def __init__(self, base_url: str, model: str, api_key: str = "", timeout_s: float = 30.0, *,
                 temperature: float = 0.8, top_p: float = 0.92, transport: httpx.BaseTransport | None = None) -> None:
        if not base_url or not base_url.startswith(("http://", "https://")):
            raise InputError(f"The endpoint URL '{base_url}' is not an http(s) URL.", "Set STUDIO_OPENAI_BASE_URL.")
        if not model:
            raise InputError("No model name is set for the endpoint.", "Set STUDIO_OPENAI_MODEL.")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout_s = float(timeout_s)
        self.temperature, self.top_p = temperature, top_p
        self.label = f"endpoint {model} at {self.base_url}"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=self.base_url, headers=headers, transport=transport,
                                    timeout=httpx.Timeout(self.timeout_s, connect=min(10.0, self.timeout_s)))
        self._route = "completions"

    @classmethod
    def from_settings(cls, settings: Any) -> OpenAICompatBackend:
        return cls(settings.openai_base_url, settings.openai_model, settings.openai_api_key, settings.openai_timeout_s)

    def fingerprint(self) -> str:
        return f"openai:{self.model}@{self.base_url}"

    def describe(self) -> dict:
        d = super().describe()
        d.update({"model": self.model, "endpoint": self.base_url, "timeout_s": self.timeout_s,
                  "sampling": {"temperature": self.temperature, "top_p": self.top_p}})
        return d

    # ---- HTTP ----------------------------------------------------------------------------------
    def _payload(self, prompt: Prompt, seed: int, max_new_tokens: int, stream: bool) -> dict:
        common = {"model": self.model, "max_tokens": max_new_tokens, "temperature": self.temperature,
                  "top_p": self.top_p, "seed": seed, "stop": list(prompt.stop), "n": 1, "stream": stream}
        if self._route == "completions":
            return {**common, "prompt": prompt.text}
        instruction = ("Continue the copy library below with exactly one new entry for the last product. "
                       "Answer with the copy only, on one line.")
        return {**common, "messages": [{"role": "system", "content": instruction},
                                       {"role": "user", "content": prompt.text}]}

    def _fail(self, exc: Exception) -> ModelError:
        if isinstance(exc, httpx.TimeoutException):
            return ModelError(f"The endpoint {self.base_url} did not answer within {self.timeout_s:g} s.",
                              "Check that the model server is up, raise STUDIO_OPENAI_TIMEOUT_S, or use templates.")
        if isinstance(exc, httpx.HTTPStatusError):
            body = exc.response.text[:200] if exc.response is not None else ""
            return ModelError(f"The endpoint answered HTTP {exc.response.status_code}: {body}",
                              "Check the model name and the API key.")
        if isinstance(exc, httpx.HTTPError):
            return ModelError(f"The endpoint {self.base_url} cannot be reached ({type(exc).__name__}: {exc}).",
                              "Check STUDIO_OPENAI_BASE_URL and the network.")
        return ModelError(f"The endpoint's answer could not be read ({exc}).", "Check that it is OpenAI-compatible.")

    @staticmethod
    def _text_of(choice: dict) -> str:
        if "text" in choice:
            return choice.get("text") or ""
        msg = choice.get("message") or choice.get("delta") or {}
        return msg.get("content") or ""

    def _one(self, prompt: Prompt, i: int, seed: int, max_new: int, stream: StreamCallback | None) -> Candidate:
        start = time.perf_counter()
        path = f"/{'completions' if self._route == 'completions' else 'chat/completions'}"
        payload = self._payload(prompt, seed + i, max_new, stream is not None)
        if stream is None:
            resp = self._client.post(path, json=payload)
            if resp.status_code == 404 and self._route == "completions":
                self._route = "chat"
                return self._one(prompt, i, seed, max_new, stream)
            resp.raise_for_status()
            data = resp.json()
            choice = (data.get("choices") or [{}])[0]
            text = self._text_of(choice)
            tokens = int((data.get("usage") or {}).get("completion_tokens") or 0)
            reason = "length" if choice.get("finish_reason") == "length" else "stop"
            return Candidate(text, i, self.name, seed, tokens, time.perf_counter() - start, reason)
        text, reason, tokens = "", "stop", 0
        with self._client.stream("POST", path, json=payload) as resp:
            if resp.status_code == 404 and self._route == "completions":
                self._route = "chat"
                return self._one(prompt, i, seed, max_new, stream)
            resp.raise_for_status()
            for line in resp.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                chunk = json.loads(data)
                choice = (chunk.get("choices") or [{}])[0]
                delta = self._text_of(choice)
                if delta:
                    text += delta
                    tokens += 1
                    stream(i, delta)
                if choice.get("finish_reason") == "length":
                    reason = "length"
        return Candidate(text, i, self.name, seed, tokens, time.perf_counter() - start, reason)

    def generate(self, prompt: Prompt, n: int, seed: int, max_new_tokens: int,
                 stream: StreamCallback | None = None, should_stop: StopCheck | None = None) -> list[Candidate]:
        out = []
        for i in range(n):
            if should_stop is not None and should_stop():
                break
            try:
                out.append(self._one(prompt, i, seed, max_new_tokens, stream))
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                raise self._fail(exc) from exc
        return out

    def close(self) -> None:
        self._client.close()
