"""How each customer's dependent columns respond to a stress, by the generator (counterfactual transport).

For a customer ``x`` and a stress that moves the pinned drivers from ``d`` to ``d'``, the VAE

1. infers the customer's own latent ``z = mean q(z | x, m)`` from everything observed about them
   (the dependents included, so the customer keeps what makes them unlike others);
2. decodes the dependents given ``z`` twice, with the drivers at ``d`` and at ``d'``;
3. moves each continuous dependent by the difference of the two decoded means in its normal-score
   space (a monotone transport: the customer keeps their rank among customers like them), and each
   discrete one (counts, terms) by matching its position in the decoded distribution under ``d``
   to the distribution under ``d'``.

No sampling noise enters: the same stress gives the same rows, a zero stress gives the customer
back unchanged, and the response to a larger shock follows the network's learned conditional
mean. Categorical columns with labels (region, purpose) are left as they are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

BLOCK = 16_384


@torch.inference_mode()
def shift_dependents(vae, frame: pd.DataFrame, shifted: dict[str, np.ndarray], columns: list[str],
                     hidden: tuple[str, ...] = (), cache: dict | None = None) -> pd.DataFrame:
    """``frame`` with ``columns`` moved by the generator's response to the ``shifted`` pinned values.

    ``hidden`` columns (the target) are neither conditioned on nor changed. ``cache``: a dict owned
    by the caller for one unchanging ``frame`` (the engine keeps one per baseline); the customers'
    encoding, latents and decoded baseline are kept there per (columns, hidden, pinned columns), so
    a second stress of the same rows decodes only the shocked side.
    """
    t, model = vae.transformer_, vae.model_
    cols = list(t.model_columns)
    columns = [c for c in columns if c in cols and c not in shifted and c not in hidden]
    out = frame.copy()
    if not columns or not shifted:
        return out
    n = len(frame)
    data = frame[vae.columns].reset_index(drop=True)
    n_num = len(t.numeric_)
    num_idx = [cols.index(c) for c in columns if cols.index(c) < n_num]
    cat_idx = [cols.index(c) - n_num for c in columns if cols.index(c) >= n_num]
    key = (getattr(vae, "fingerprint", None), tuple(columns), tuple(hidden), tuple(sorted(shifted)), n)
    base = cache.get(key) if cache is not None else None
    if base is None:
        base = _baseline_side(vae, data, columns, hidden, num_idx, cat_idx)
        if cache is not None:
            cache.clear()  # one entry: the engine's stresses of these rows share their columns
            cache[key] = base
    num_all, cod_all, mask_row, z_all, mean_b_all, pb_all = base
    num_sh, cod_sh = num_all.copy(), cod_all.copy()  # only the pinned columns differ
    for c, v in shifted.items():
        j, spec, values = cols.index(c), t.spec(c), np.broadcast_to(np.asarray(v), (n,))
        if j < n_num:
            num_sh[:, j] = _scores(t, spec, values)
        else:
            cod_sh[:, j - n_num] = t.codes_of(spec, pd.Series(values))
    dev = next(model.parameters()).device
    score_shift = np.zeros((n, len(num_idx)), dtype=np.float64)
    new_codes = np.zeros((n, len(cat_idx)), dtype=np.int64)
    for s0 in range(0, n, BLOCK):
        s1 = min(n, s0 + BLOCK)
        m = torch.as_tensor(np.broadcast_to(mask_row, (s1 - s0, len(cols))).copy(), device=dev)
        dm = model.dim_mask(m)
        x_shock = model.encode_rows(torch.as_tensor(num_sh[s0:s1], device=dev), torch.as_tensor(cod_sh[s0:s1], device=dev))
        mean_s, logits_s = model.decode(torch.as_tensor(z_all[s0:s1], device=dev), x_shock * dm, m)
        if num_idx:
            score_shift[s0:s1] = mean_s[:, num_idx].double().cpu().numpy() - mean_b_all[s0:s1]
        for j, k in enumerate(cat_idx):
            k_card = t.cardinalities[k]
            ps = torch.softmax(logits_s[:, :k_card, k].float(), dim=1).cpu().numpy()
            new_codes[s0:s1, j] = _transport_codes(pb_all[j][s0:s1], ps, cod_all[s0:s1, k])
    if num_idx:
        base_scores = num_all[:, num_idx].astype(np.float64)
        z_new = np.zeros((n, n_num), dtype=np.float32)
        z_new[:, num_idx] = base_scores + score_shift
        values = t.inverse_numeric(z_new)
        for j, i in enumerate(num_idx):
            c = cols[i]
            # an unchanged score gives the customer's own value back, not its quantile-grid neighbour
            same = np.abs(score_shift[:, j]) < 1e-7
            orig = pd.to_numeric(data[c], errors="coerce").to_numpy(dtype=np.float64)
            vals = np.where(same, orig, values[c])
            out[c] = vals.astype(frame[c].dtype) if pd.api.types.is_integer_dtype(frame[c].dtype) else vals
    for j, k in enumerate(cat_idx):
        spec = t.categorical_[k]
        if spec.kind in ("category", "object", "bool"):
            continue
        decoded = t.decode_codes(spec, new_codes[:, j])
        changed = new_codes[:, j] != cod_all[:, k]
        out[spec.name] = np.where(changed, decoded, data[spec.name].to_numpy())
        if pd.api.types.is_integer_dtype(frame[spec.name].dtype):
            out[spec.name] = out[spec.name].astype(frame[spec.name].dtype)
    return out


def _scores(t, spec, x: np.ndarray) -> np.ndarray:
    """A numeric column's normal scores, missing values at the median's (as the transformer does)."""
    v = pd.to_numeric(pd.Series(x), errors="coerce").to_numpy(dtype=np.float64)
    return t._to_normal(np.where(np.isfinite(v), v, spec.median), spec.quantiles).astype(np.float32)


def _baseline_side(vae, data: pd.DataFrame, columns: list[str], hidden: tuple[str, ...], num_idx: list[int],
                   cat_idx: list[int]) -> tuple:
    """What a stress of ``data`` does not change: encodings, the mask, each customer's latent, the decoded baseline."""
    t, model = vae.transformer_, vae.model_
    cols = list(t.model_columns)
    num_all, cod_all = t.transform(data)
    observed = [c for c in cols if c not in columns and c not in hidden]
    mask_row = np.zeros(len(cols), dtype=np.float32)
    mask_row[[cols.index(c) for c in observed]] = 1.0
    dev = next(model.parameters()).device
    n = len(data)
    z_all = np.empty((n, model.config.latent_dim), dtype=np.float32)
    mean_b = np.zeros((n, len(num_idx)), dtype=np.float64)
    pb_all = [np.zeros((n, t.cardinalities[k]), dtype=np.float32) for k in cat_idx]
    for s0 in range(0, n, BLOCK):
        s1 = min(n, s0 + BLOCK)
        m = torch.as_tensor(np.broadcast_to(mask_row, (s1 - s0, len(cols))).copy(), device=dev)
        x_full = model.encode_rows(torch.as_tensor(num_all[s0:s1], device=dev), torch.as_tensor(cod_all[s0:s1], device=dev))
        z, _ = model.proposal_params(x_full, m)
        mean_b_blk, logits_b = model.decode(z, x_full * model.dim_mask(m), m)
        z_all[s0:s1] = z.float().cpu().numpy()
        if num_idx:
            mean_b[s0:s1] = mean_b_blk[:, num_idx].double().cpu().numpy()
        for j, k in enumerate(cat_idx):
            pb_all[j][s0:s1] = torch.softmax(logits_b[:, :t.cardinalities[k], k].float(), dim=1).cpu().numpy()
    return num_all, cod_all, mask_row, z_all, mean_b, pb_all


def _transport_codes(pb: np.ndarray, ps: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Ordered levels: the code whose place in ``ps`` matches the customer's mid-rank in ``pb``."""
    cb = np.cumsum(pb, axis=1)
    cs = np.cumsum(ps, axis=1)
    c = np.clip(code, 0, pb.shape[1] - 1)
    rows = np.arange(c.size)
    u = cb[rows, c] - 0.5 * pb[rows, c]
    new = (cs < u[:, None]).sum(axis=1)
    return np.where(code >= 0, np.minimum(new, pb.shape[1] - 1), code)
