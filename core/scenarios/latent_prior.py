"""A learned prior for unconditional rows: a Gaussian mixture over where the training rows sit in latent space.

A VAE's decoder is trained on latents drawn near the encoder's outputs, and those do not fill the
standard-normal prior evenly: holes in the aggregate posterior decode to rows unlike any real
one. Fitting a mixture to the training rows' posterior means (ex-post density estimation,
Ghosh et al., ICLR 2020) and sampling from it keeps unconditional rows where the decoder knows
what to do; conditional rows (pinned drivers, stresses) still use the conditional prior network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

MAX_ROWS = 20_000


@dataclass
class LatentMixture:
    weights: np.ndarray  # (K,)
    means: np.ndarray  # (K, L)
    variances: np.ndarray  # (K, L) diagonal

    def params(self, u: torch.Tensor, device) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, logvar)`` per row: the component picked by the uniforms ``u`` (the seed's stream)."""
        cum, means, logvar = self._tensors(device)
        k = torch.searchsorted(cum, u.float().contiguous() * cum[-1]).clamp_(max=len(self.weights) - 1).to(device)
        return means[k], logvar[k]

    def params_std(self, u: torch.Tensor, device) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, std)`` per row, as :meth:`params` (the same components) with the standard deviation looked up, not computed."""
        cum, means, logvar = self._tensors(device)
        std = getattr(self, "_std", None)
        if std is None or std.device != means.device:
            std = self._std = (0.5 * logvar).exp()
        k = torch.searchsorted(cum, u.float().contiguous() * cum[-1]).clamp_(max=len(self.weights) - 1).to(device)
        return means[k], std[k]

    def _tensors(self, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The cumulative weights (CPU, where the uniforms are), means and log-variances (on ``device``), made once."""
        cached = getattr(self, "_cache", None)
        if cached is None or cached[0] != str(device):
            cum = torch.as_tensor(np.cumsum(self.weights), dtype=torch.float32)
            means = torch.as_tensor(self.means, dtype=torch.float32).to(device)
            logvar = torch.as_tensor(np.log(self.variances), dtype=torch.float32).to(device)
            cached = (str(device), cum, means, logvar)
            self._cache = cached
        return cached[1], cached[2], cached[3]

    def to_dict(self) -> dict:
        return {"weights": self.weights.tolist(), "means": self.means.tolist(), "variances": self.variances.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> LatentMixture:
        return cls(np.asarray(d["weights"]), np.asarray(d["means"]), np.asarray(d["variances"]))


@torch.inference_mode()
def fit_latent_mixture(model, numeric: np.ndarray, codes: np.ndarray, components: int, seed: int) -> LatentMixture:
    """Fit a diagonal Gaussian mixture to the proposal means of (at most 20,000) training rows, nothing pinned."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(numeric.shape[0], min(MAX_ROWS, numeric.shape[0]), replace=False)
    dev = next(model.parameters()).device
    x = model.encode_rows(torch.as_tensor(numeric[rows], device=dev), torch.as_tensor(codes[rows], device=dev))
    mask = torch.zeros((len(rows), model.config.n_columns), device=dev)
    mu, logvar = model.proposal_params(x, mask)
    z = mu.float().cpu().numpy()
    k = max(1, min(components, len(rows) // 50))
    weights, means, variances = diagonal_mixture(z, k, seed)
    # each component also carries the posterior's own spread, so the mixture covers what the decoder saw
    spread = float(np.exp(logvar.float().cpu().numpy()).mean())
    return LatentMixture(weights, means, variances + spread)


def diagonal_mixture(x: np.ndarray, k: int, seed: int, max_iter: int = 200, tol: float = 1e-3,
                     reg_covar: float = 1e-4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(weights (k,), means (k, L), variances (k, L))`` of a diagonal Gaussian mixture fitted by EM.

    What ``sklearn.mixture.GaussianMixture(k, covariance_type="diag", random_state=seed, max_iter,
    tol, reg_covar)`` does (k-means labels to start, then EM until the mean log-likelihood moves by
    less than ``tol``), written as a few (n, k) matrix products per iteration: sklearn's version of
    the same loop spends about ten times longer per iteration on validation and bookkeeping.
    """
    from sklearn.cluster import KMeans

    labels = KMeans(n_clusters=k, n_init=1, random_state=seed).fit(x).labels_
    x = np.asarray(x, dtype=np.float64)
    x2 = x * x
    resp = np.zeros((len(x), k))
    resp[np.arange(len(x)), labels] = 1.0
    tiny = 10 * np.finfo(np.float64).eps

    def m_step(r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        nk = r.sum(axis=0) + tiny
        mu = (r.T @ x) / nk[:, None]
        var = (r.T @ x2) / nk[:, None] - mu ** 2 + reg_covar
        return nk / nk.sum(), mu, var

    weights, means, variances = m_step(resp)
    bound = -np.inf
    const = x.shape[1] * np.log(2 * np.pi)
    for _ in range(max_iter):
        prec = 1.0 / variances
        log_prob = -0.5 * (const + (means ** 2 * prec).sum(axis=1) - 2.0 * (x @ (means * prec).T) + x2 @ prec.T) \
            - 0.5 * np.log(variances).sum(axis=1) + np.log(weights)
        top = log_prob.max(axis=1, keepdims=True)
        e = np.exp(log_prob - top)  # one exp gives both the log-likelihood and the responsibilities
        total = e.sum(axis=1, keepdims=True)
        weights, means, variances = m_step(e / total)
        previous, bound = bound, float((top + np.log(total)).mean())
        if abs(bound - previous) < tol:
            break
    return weights, means, variances
