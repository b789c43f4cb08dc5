"""The OpenAI-compatible endpoint backend, against httpx mock transports (no network)."""

import json

import httpx
import pytest

from core.copy.backends.base import Prompt
from core.copy.backends.openai_compat import OpenAICompatBackend
from core.copy.generate import CopyRequest, generate_copy, make_backend
from core.errors import InputError, ModelError

PROMPT = Prompt("Product: High-Yield Savings\nSMS:", {}, stop=("\n",))


def backend(handler, **kw):
    return OpenAICompatBackend("http://models.internal:8000/v1", "gemma-3-27b-it", "secret", 2.0,
                               transport=httpx.MockTransport(handler), **kw)


def test_completion_call_and_payload():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, json.loads(request.content), request.headers.get("authorization")))
        return httpx.Response(200, json={"choices": [{"text": " Earn 4.10% APY.", "finish_reason": "stop"}],
                                         "usage": {"completion_tokens": 6}})

    out = backend(handler).generate(PROMPT, 2, seed=3, max_new_tokens=30)
    assert [c.text for c in out] == [" Earn 4.10% APY."] * 2
    path, payload, auth = seen[0]
    assert path == "/v1/completions" and auth == "Bearer secret"
    assert payload["prompt"] == PROMPT.text and payload["seed"] == 3 and payload["stop"] == ["\n"]
    assert seen[1][1]["seed"] == 4 and out[0].tokens == 6


def test_streaming_server_sent_events():
    events = ['data: {"choices":[{"text":" Earn"}]}', 'data: {"choices":[{"text":" 4.10% APY."}]}',
              'data: {"choices":[{"text":"","finish_reason":"stop"}]}', "data: [DONE]"]

    def handler(request):
        return httpx.Response(200, content=("\n\n".join(events) + "\n\n").encode(),
                              headers={"content-type": "text/event-stream"})

    pieces = []
    out = backend(handler).generate(PROMPT, 1, 0, 20, stream=lambda i, d: pieces.append(d))
    assert pieces == [" Earn", " 4.10% APY."] and out[0].text == " Earn 4.10% APY."


def test_falls_back_to_chat_completions_when_there_is_no_completions_route():
    def handler(request):
        if request.url.path.endswith("/completions") and "chat" not in request.url.path:
            return httpx.Response(404, json={"error": "not found"})
        body = json.loads(request.content)
        assert body["messages"][1]["content"] == PROMPT.text
        return httpx.Response(200, json={"choices": [{"message": {"content": "Save with 4.10% APY."}}]})

    out = backend(handler).generate(PROMPT, 1, 0, 20)
    assert out[0].text == "Save with 4.10% APY."


def test_timeout_becomes_a_model_error_with_a_hint():
    def handler(request):
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(ModelError, match="did not answer within 2 s") as err:
        backend(handler).generate(PROMPT, 1, 0, 20)
    assert "TIMEOUT" in err.value.hint


@pytest.mark.parametrize(("status", "match"), [(500, "HTTP 500"), (401, "HTTP 401")])
def test_http_errors_become_model_errors(status, match):
    with pytest.raises(ModelError, match=match):
        backend(lambda r: httpx.Response(status, text="boom")).generate(PROMPT, 1, 0, 20)


def test_unreachable_endpoint():
    def handler(request):
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ModelError, match="cannot be reached"):
        backend(handler).generate(PROMPT, 1, 0, 20)


def test_endpoint_timeout_falls_back_to_templates_in_a_batch(segment):
    def handler(request):
        raise httpx.ReadTimeout("timed out", request=request)

    batch = generate_copy(CopyRequest("auto_loan", "sms", segment, "friendly", "en", 3, 1), backend(handler))
    assert batch.backend["backend"] == "template" and batch.variants
    assert any("did not answer" in n for n in batch.notes)


def test_bad_configuration():
    with pytest.raises(InputError):
        OpenAICompatBackend("ftp://x", "m")
    with pytest.raises(InputError):
        OpenAICompatBackend("http://x", "")


def test_unconfigured_endpoint_setting_falls_back(monkeypatch):
    from core.settings import get_settings

    monkeypatch.setenv("STUDIO_OPENAI_MODEL", "")
    get_settings.cache_clear()
    b, notes = make_backend("openai")
    assert b.name == "template" and "not configured" in notes[0]
