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
    from sklearn.mixture import GaussianMixture

    rng = np.random.default_rng(seed)
    rows = rng.choice(numeric.shape[0], min(MAX_ROWS, numeric.shape[0]), replace=False)
    dev = next(model.parameters()).device
    x = model.encode_rows(torch.as_tensor(numeric[rows], device=dev), torch.as_tensor(codes[rows], device=dev))
    mask = torch.zeros((len(rows), model.config.n_columns), device=dev)
    mu, logvar = model.proposal_params(x, mask)
    z = mu.float().cpu().numpy()
    k = max(1, min(components, len(rows) // 50))
    gmm = GaussianMixture(k, covariance_type="diag", random_state=seed, max_iter=200, reg_covar=1e-4).fit(z)
    # each component also carries the posterior's own spread, so the mixture covers what the decoder saw
    spread = float(np.exp(logvar.float().cpu().numpy()).mean())
    return LatentMixture(gmm.weights_, gmm.means_, gmm.covariances_ + spread)
