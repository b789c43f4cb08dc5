"""A learned prior for unconditional rows: a Gaussian mixture over where the training rows sit in latent space.

A VAE's decoder is trained on latents drawn near the encoder's outputs, and those do not fill the
standard-normal prior evenly: holes in the aggregate posterior decode to rows unlike any real
one. Fitting a mixture to latents drawn from the training rows' posteriors (ex-post density
estimation, Ghosh et al., ICLR 2020) and sampling from it keeps unconditional rows where the
decoder knows what to do; conditional rows (pinned drivers, stresses) still use the conditional
prior network.

The mixture has full covariances: the active latent directions are correlated within a
component, and a diagonal mixture needs several times the components to follow them. Measured on
the 50k default (beta 0.3, XGBoost detection of 5,000 rows, seed 0): 128 diagonal components fitted
to posterior draws 0.769, 256 of them 0.758, 64 full ones 0.748, 128 full ones 0.742; drawing
from the training rows' own posteriors (an upper bound for any prior, and no privacy) 0.724.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

MAX_ROWS = 20_000
# EM steps at most for the prior: on the 50k default 25 give the detection of 50 and 100 (seeds 0/1: 0.737/0.748
# against 0.742/0.748 at 50; German 0.561 against 0.566) in about half of the EM's 6 s
EM_STEPS = 25
ROWS_PER_COMPONENT = 150  # a full 16-dim covariance has 136 parameters: fewer rows give fewer components


@dataclass
class LatentMixture:
    weights: np.ndarray  # (K,)
    means: np.ndarray  # (K, L)
    chol: np.ndarray  # (K, L, L) lower Cholesky factors of the covariances

    @property
    def variances(self) -> np.ndarray:
        """(K, L) the covariances' diagonals."""
        return np.einsum("kij,kij->ki", self.chol, self.chol)

    def draw(self, u: torch.Tensor, eps: torch.Tensor, temperature: float, device) -> torch.Tensor:
        """Latents (B, L): the component the uniforms ``u`` pick (the seed's stream), plus its factor times ``eps``."""
        cum, means, chol = self._tensors(device)
        k = torch.searchsorted(cum, u.float().contiguous() * cum[-1]).clamp_(max=len(self.weights) - 1).to(device)
        spread = torch.bmm(chol[k], eps.unsqueeze(2)).squeeze(2)
        return torch.add(means[k], spread, alpha=temperature)

    def _tensors(self, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The cumulative weights (CPU, where the uniforms are), means and factors (on ``device``), made once."""
        cached = getattr(self, "_cache", None)
        if cached is None or cached[0] != str(device):
            cum = torch.as_tensor(np.cumsum(self.weights), dtype=torch.float32)
            means = torch.as_tensor(self.means, dtype=torch.float32).to(device)
            chol = torch.as_tensor(self.chol, dtype=torch.float32).to(device)
            cached = (str(device), cum, means, chol)
            self._cache = cached
        return cached[1], cached[2], cached[3]

    def to_dict(self) -> dict:
        return {"weights": self.weights.tolist(), "means": self.means.tolist(), "chol": self.chol.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> LatentMixture:
        means = np.asarray(d["means"])
        if "chol" in d:
            chol = np.asarray(d["chol"])
        else:  # a diagonal mixture saved before full covariances
            chol = np.sqrt(np.asarray(d["variances"]))[:, :, None] * np.eye(means.shape[1])
        return cls(np.asarray(d["weights"]), means, chol)


@torch.inference_mode()
def fit_latent_mixture(model, numeric: np.ndarray, codes: np.ndarray, components: int, seed: int) -> LatentMixture:
    """Fit a full-covariance Gaussian mixture to latents drawn from (at most 20,000) training rows' posteriors, nothing pinned."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(numeric.shape[0], min(MAX_ROWS, numeric.shape[0]), replace=False)
    dev = next(model.parameters()).device
    x = model.encode_rows(torch.as_tensor(numeric[rows], device=dev), torch.as_tensor(codes[rows], device=dev))
    mask = torch.zeros((len(rows), model.config.n_columns), device=dev)
    mu, logvar = model.proposal_params(x, mask)
    mu_np, std = mu.double().cpu().numpy(), np.exp(0.5 * logvar.double().cpu().numpy())
    z = mu_np + std * rng.standard_normal(mu_np.shape)  # a draw per row: the mixture covers what the decoder saw
    k = max(1, min(components, len(rows) // ROWS_PER_COMPONENT))
    weights, means, cov = full_mixture(z, k, seed, max_iter=EM_STEPS)
    return LatentMixture(weights, means, np.linalg.cholesky(cov))


def full_mixture(x: np.ndarray, k: int, seed: int, max_iter: int = 100, tol: float = 1e-3,
                 reg_covar: float = 1e-4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(weights (k,), means (k, L), covariances (k, L, L))`` of a full-covariance Gaussian mixture fitted by EM.

    What ``sklearn.mixture.GaussianMixture(k, covariance_type="full", random_state=seed, max_iter,
    tol, reg_covar)`` does (k-means labels to start, then EM until the mean log-likelihood moves by
    less than ``tol``), each step two matrix products over all components at once with each row's
    ``x x^T`` (made once): the Mahalanobis distances against the stacked precisions, and the second
    moments from the responsibilities.
    """
    from sklearn.cluster import KMeans

    x = np.asarray(x, dtype=np.float64)
    shift = x.mean(axis=0)
    x = x - shift  # centred: the second moments lose no precision
    n, d = x.shape
    labels = KMeans(n_clusters=k, n_init=1, random_state=seed).fit(x).labels_
    resp = np.zeros((n, k))
    resp[np.arange(n), labels] = 1.0
    tiny = 10 * np.finfo(np.float64).eps
    iu, ju = np.triu_indices(d)
    outer = x[:, iu] * x[:, ju]  # each row's x x^T, once: its upper triangle (symmetric, so half the work)
    twice = np.where(iu == ju, 1.0, 2.0)  # an off-diagonal entry counts twice in x^T P x

    def m_step(r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        nk = r.sum(axis=0) + tiny
        mu = (r.T @ x) / nk[:, None]
        second = np.empty((k, d, d))
        second[:, iu, ju] = r.T @ outer  # every component's second moment in one product
        second[:, ju, iu] = second[:, iu, ju]
        cov = second / nk[:, None, None] - mu[:, :, None] * mu[:, None, :] + reg_covar * np.eye(d)
        return nk / n, mu, cov

    weights, means, cov = m_step(resp)
    bound = -np.inf
    const = d * np.log(2 * np.pi)
    for _ in range(max_iter):
        chol = np.linalg.cholesky(cov)
        inv = np.linalg.inv(chol)
        prec = np.transpose(inv, (0, 2, 1)) @ inv  # (k, d, d) precisions
        pm = prec @ means[:, :, None]  # (k, d, 1)
        # (x - mu)^T P (x - mu) = vec(x x^T) . vec(P) - 2 x . P mu + mu^T P mu: two products, no (n, k, d) array
        log_prob = outer @ (prec[:, iu, ju] * twice).T
        log_prob -= 2.0 * (x @ pm[:, :, 0].T)
        log_prob += (means[:, None, :] @ pm)[:, 0, 0]
        half_logdet = np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        log_prob *= -0.5
        log_prob += -0.5 * const - half_logdet + np.log(weights)
        top = log_prob.max(axis=1, keepdims=True)
        e = np.exp(log_prob - top)  # one exp gives both the log-likelihood and the responsibilities
        total = e.sum(axis=1, keepdims=True)
        weights, means, cov = m_step(e / total)
        previous, bound = bound, float((top + np.log(total)).mean())
        if abs(bound - previous) < tol:
            break
    return weights, means + shift, cov
