"""SetFit-style contrastive fine-tuning of the sentence encoder on the training corpus.

Raw cosine similarity does not separate a claim from its negation ("no credit check" and
"subject to a credit check" sit close together), so the encoder is fine-tuned on sentence pairs:
pairs of the same label are pulled together (cosine 1), pairs of different labels pushed apart
(cosine 0), with the compliant contrast sentences as the hard negatives of every class
(Tunstall et al., 2022, "Efficient Few-Shot Learning Without Prompts"). Seeded; a few hundred
steps on a CPU.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from core.copy.meaning.encoder import MAX_TOKENS, SentenceEncoder


def make_pairs(texts: list[str], labels: list[str], per_text: int, seed: int) -> list[tuple[str, str, float]]:
    """``per_text`` positive and as many negative pairs for every text (seeded)."""
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for i, lab in enumerate(labels):
        by_label.setdefault(lab, []).append(i)
    pairs = []
    for i, lab in enumerate(labels):
        same = [j for j in by_label[lab] if j != i]
        other = [j for j in range(len(labels)) if labels[j] != lab]
        for _ in range(per_text):
            if same:
                pairs.append((texts[i], texts[rng.choice(same)], 1.0))
            if other:
                pairs.append((texts[i], texts[rng.choice(other)], 0.0))
    rng.shuffle(pairs)
    return pairs


def finetune(encoder: SentenceEncoder, texts: list[str], labels: list[str], *, seed: int = 42, per_text: int = 6,
             epochs: int = 1, batch_size: int = 16, lr: float = 2e-5,
             progress: Callable[[float, str], None] | None = None) -> SentenceEncoder:
    """A new encoder fine-tuned on pairs of ``texts`` (the given encoder is left unchanged)."""
    import copy

    import torch

    torch.manual_seed(seed)
    model = copy.deepcopy(encoder.model).train()
    tok = encoder.tokenizer
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    pairs = make_pairs(texts, labels, per_text, seed)
    steps = epochs * ((len(pairs) + batch_size - 1) // batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(1, steps // 10)))

    def embed(batch: list[str]) -> Any:
        enc = tok(batch, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        hidden = model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0), dim=-1)

    step = 0
    for _ in range(epochs):
        for s in range(0, len(pairs), batch_size):
            chunk = pairs[s:s + batch_size]
            a = embed([p[0] for p in chunk])
            b = embed([p[1] for p in chunk])
            target = torch.tensor([p[2] for p in chunk], dtype=a.dtype)
            loss = torch.nn.functional.mse_loss((a * b).sum(-1), target)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if progress and step % 10 == 0:
                progress(step / steps, f"Fine-tuning the sentence encoder: step {step} of {steps}")
    model.eval()
    tuned = SentenceEncoder(model, tok, encoder.device, encoder.cache_size)
    tuned.fingerprint = f"{encoder.fingerprint}-setfit-{seed}-{per_text}-{epochs}"
    return tuned
