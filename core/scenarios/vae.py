"""A conditional tabular VAE with arbitrary conditioning (VAEAC: Ivanov, Figurnov & Vetrov, ICLR 2019).

Three small MLPs, all seeing a per-column mask ``m`` (1 = the column is observed / pinned)::

    proposal  q(z | x, m)          input [x (B, D), m (B, C)]            -> mu, logvar (B, L)
    prior     p(z | x_obs, m)      input [x * m_dims, m]                 -> mu, logvar (B, L)
    decoder   p(x | z, x_obs, m)   input [z, x * m_dims, m]              -> numeric means (B, N) + logits

``x`` is the encoded row: N continuous scores (quantile-normal) then one one-hot block per
categorical column (D dims in all), C = N + K columns. Training draws random masks and
maximises the VAEAC bound: the likelihood of the *unobserved* columns minus
``beta * KL(q || prior)``. At sampling time only the prior and the decoder run, so conditioning
on any subset of columns costs the same whatever the pinned values are (no rejection sampling).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

LOGVAR_RANGE = (-9.0, 6.0)


@dataclass
class VAEConfig:
    """Network shape and loss weights; stored as JSON beside the weights."""

    n_numeric: int
    cardinalities: list[int] = field(default_factory=list)
    latent_dim: int = 16
    hidden: int = 192
    depth: int = 2
    beta: float = 1.0
    activation: str = "silu"

    @property
    def n_categorical(self) -> int:
        return len(self.cardinalities)

    @property
    def n_columns(self) -> int:
        return self.n_numeric + self.n_categorical

    @property
    def n_dims(self) -> int:
        return self.n_numeric + sum(self.cardinalities)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> VAEConfig:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


ACTIVATIONS = {"silu": nn.SiLU, "relu": nn.ReLU}


def mlp(d_in: int, hidden: int, depth: int, d_out: int, activation: str = "silu") -> nn.Sequential:
    layers: list[nn.Module] = []
    d = d_in
    for _ in range(depth):
        layers += [nn.Linear(d, hidden), ACTIVATIONS[activation]()]
        d = hidden
    layers.append(nn.Linear(d, d_out))
    return nn.Sequential(*layers)


def _linear(module: nn.Module) -> nn.Linear:
    """``module`` as the ``nn.Linear`` the decoder's first and last layers are (``mlp`` builds them so)."""
    if not isinstance(module, nn.Linear):
        raise TypeError(f"expected a Linear layer, got {type(module).__name__}")
    return module


class ConditionalVAE(nn.Module):
    """The VAEAC network. Rows are given as ``(numeric (B, N), codes (B, K), mask (B, C))``."""

    # non-persistent buffers (rebuilt from the config at construction, moved by ``.to(device)``)
    cat_index: torch.Tensor
    cat_place: torch.Tensor
    cat_pad: torch.Tensor
    cat_offset: torch.Tensor
    dim_column: torch.Tensor
    cat_block: torch.Tensor
    cat_sum: torch.Tensor
    cat_cum: torch.Tensor
    cat_spread: torch.Tensor
    cat_mean: torch.Tensor
    cat_card: torch.Tensor

    def __init__(self, config: VAEConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        d, cols, lat = c.n_dims, c.n_columns, c.latent_dim
        self.proposal = mlp(d + cols, c.hidden, c.depth, 2 * lat, c.activation)
        self.prior = mlp(d + cols, c.hidden, c.depth, 2 * lat, c.activation)
        self.decoder = mlp(lat + d + cols, c.hidden, c.depth, d, c.activation)
        self.log_sigma = nn.Parameter(torch.full((c.n_numeric,), -0.5))
        # padded gather index for the categorical heads: (K, max_card); pads point at a -inf slot
        max_card = max(c.cardinalities, default=1)
        pad = torch.full((max(c.n_categorical, 1), max_card), d, dtype=torch.long)
        offsets = torch.zeros(max(c.n_categorical, 1), dtype=torch.long)
        start = c.n_numeric
        for j, k in enumerate(c.cardinalities):
            pad[j, :k] = torch.arange(start, start + k)
            offsets[j] = start
            start += k
        self.register_buffer("cat_index", pad, persistent=False)  # (K, max_card)
        # decode's padded logits (B, max_card, K), flattened: entry c * K + k is dim cat_index[k, c] (or a pad)
        n_cat = max(c.n_categorical, 1)
        place = torch.zeros((max(d - c.n_numeric, 0), max_card * n_cat))
        flat = pad.T.reshape(-1)  # (max_card * K,) the dim behind each padded entry
        real = flat < d
        place[flat[real] - c.n_numeric, torch.nonzero(real).squeeze(1)] = 1.0
        self.register_buffer("cat_place", place, persistent=False)
        self.register_buffer("cat_pad", torch.where(real, 0.0, float("-inf")), persistent=False)
        self.register_buffer("cat_offset", offsets, persistent=False)
        dims_col = torch.cat([torch.arange(c.n_numeric)] +
                             [torch.full((k,), c.n_numeric + j) for j, k in enumerate(c.cardinalities)]).long()
        self.register_buffer("dim_column", dims_col, persistent=False)  # (D,) column of each dim
        # block matrices for fast categorical sampling on flat logits (Dc = sum of cardinalities)
        dc = c.n_dims - c.n_numeric
        block = torch.cat([torch.full((k,), j) for j, k in enumerate(c.cardinalities)]).long() if dc else torch.zeros(0).long()
        onehot = F.one_hot(block, max(c.n_categorical, 1)).float() if dc else torch.zeros((0, 1))
        same = (block.unsqueeze(0) == block.unsqueeze(1)) if dc else torch.zeros((0, 0), dtype=torch.bool)
        upper = torch.ones((dc, dc)).triu().bool()
        self.register_buffer("cat_block", block, persistent=False)  # (Dc,) block of each dim
        self.register_buffer("cat_sum", onehot, persistent=False)  # (Dc, K) sums within blocks
        cum = (same & upper).float()
        self.register_buffer("cat_cum", cum, persistent=False)  # (Dc, Dc) inclusive cumsum
        self.register_buffer("cat_spread", onehot.T.contiguous(), persistent=False)  # (K, Dc) a block's value to its dims
        self.register_buffer("cat_mean", onehot / onehot.sum(0, keepdim=True).clamp(min=1), persistent=False)
        self.register_buffer("cat_card", torch.as_tensor(c.cardinalities or [1]).long(), persistent=False)

    # ---- encoding ------------------------------------------------------------------------------
    def encode_rows(self, numeric: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """(B, D) row encoding: scores, then one-hot blocks (unknown codes, -1, give all zeros)."""
        c = self.config
        b = numeric.shape[0]
        onehot = numeric.new_zeros((b, c.n_dims - c.n_numeric))
        if c.n_categorical:
            valid = codes >= 0
            pos = (self.cat_offset[: c.n_categorical] - c.n_numeric).unsqueeze(0) + codes.clamp(min=0)
            onehot.scatter_(1, pos, valid.to(onehot.dtype))
        return torch.cat([numeric, onehot], dim=1)

    def dim_mask(self, mask: torch.Tensor) -> torch.Tensor:
        """Per-column mask (B, C) expanded to per-dim (B, D)."""
        return mask[:, self.dim_column]

    @staticmethod
    def _gaussian(h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = h.chunk(2, dim=1)
        return mu, logvar.clamp(*LOGVAR_RANGE)

    def prior_params(self, x_obs: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self._gaussian(self.prior(torch.cat([x_obs, mask], dim=1)))

    def proposal_params(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self._gaussian(self.proposal(torch.cat([x, mask], dim=1)))

    def decode_flat(self, z: torch.Tensor, cond_bias: torch.Tensor,
                    head: tuple[torch.Tensor, torch.Tensor] | None = None, plan: FlatDecoder | None = None) -> torch.Tensor:
        """Decoder output (B, D) from ``z`` and the conditioning part of the first layer.

        The first layer is split as ``W_z z + (W_c [x_obs, m] + b)``: for unconditional sampling the
        bracket is one constant row, which spares a wide matmul and a concatenation per batch.
        ``head`` replaces the last layer's (weight, bias) (see :meth:`folded_head`). Sampling many
        blocks makes ``plan`` once (:meth:`flat_decoder`, the head folded in) and passes it each time.
        """
        return (plan or self.flat_decoder(head))(z, cond_bias)

    def flat_decoder(self, head: tuple[torch.Tensor, torch.Tensor] | None = None) -> FlatDecoder:
        """The decoder with its weights laid out for inference passes (see :class:`FlatDecoder`)."""
        return FlatDecoder(self, head)

    def cond_bias(self, x_obs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        first = _linear(self.decoder[0])
        lat = self.config.latent_dim
        return F.linear(torch.cat([x_obs, mask], dim=1), first.weight[:, lat:], first.bias)

    def sample_categories(self, logits: torch.Tensor, u: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        """Codes (B, K) drawn from flat categorical logits (B, Dc) by the inverse CDF.

        No per-block loop: within-block cumulative sums are one matmul with a block-triangular matrix.
        """
        lg = logits.float() @ self.centring(temperature)  # centre each block (exp stays finite), scale by 1/T
        return self.sample_centred(lg, u)

    def centring(self, temperature: float = 1.0) -> torch.Tensor:
        """(Dc, Dc) linear map subtracting each block's mean logit and dividing by the temperature."""
        dc = self.cat_block.shape[0]
        eye = torch.eye(dc, device=self.cat_block.device)
        return (eye - self.cat_mean @ self.cat_sum.T) / max(temperature, 1e-3)

    def sample_centred(self, lg: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        """Codes (B, K) from block-centred, temperature-scaled logits (B, Dc) and uniforms (B, K).

        Three small matmuls, no gather: the within-block cumulative sums (block-triangular), the
        block totals times each block's uniform, spread back over the block's dims (exact: one
        non-zero term per sum), and the count of dims whose cumulative sum is under that threshold.
        """
        e = lg.float().clamp(-40.0, 40.0).exp_()
        cum = e @ self.cat_cum
        thr = (e @ self.cat_sum).mul_(u) @ self.cat_spread
        code = torch.lt(cum, thr).float() @ self.cat_sum
        return torch.minimum(code.long(), self.cat_card - 1)

    def folded_head(self, temperature: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
        """The decoder's last layer with block centring and 1/T folded into its categorical rows.

        ``F.linear(h, *folded_head(T))[:, N:]`` equals ``decoder(...)[:, N:] @ centring(T)``, so the
        sampler skips a (B, Dc) matmul, a gather and a subtraction per batch.
        """
        last = _linear(self.decoder[-1])
        n = self.config.n_numeric
        if not self.config.n_categorical:
            return last.weight, last.bias
        p = self.centring(temperature)  # (Dc, Dc)
        w = torch.cat([last.weight[:n], p.T @ last.weight[n:]], dim=0)
        b = torch.cat([last.bias[:n], last.bias[n:] @ p], dim=0)
        return w, b

    def decode(self, z: torch.Tensor, x_obs: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(numeric means (B, N), padded logits (B, max_card, K))``.

        Categories run along dim 1 and columns along dim 2: a softmax over a middle dim of a contiguous
        tensor vectorises across columns, ~4x faster on a CPU than over a short last dim.
        """
        # the first layer split as W_z z + (W_c [x_obs, m] + b): the backward pass then computes an input
        # gradient for z only, not for the conditioning columns (which need none)
        first = _linear(self.decoder[0])
        lat = self.config.latent_dim
        h = torch.addmm(F.linear(torch.cat([x_obs, mask], dim=1), first.weight[:, lat:], first.bias), z, first.weight[:, :lat].T)
        for layer in list(self.decoder)[1:]:
            h = layer(h)
        out = h
        n = self.config.n_numeric
        if not self.config.n_categorical:
            return out[:, :n], out.new_zeros((out.shape[0], 1, 0))
        # the padded layout as one matmul with a 0/1 placement matrix (exact: one term per entry) plus -inf
        # pads: dense forward and backward passes instead of an advanced-index gather and its scatter
        padded = torch.addmm(self.cat_pad, out[:, n:], self.cat_place)
        return out[:, :n], padded.view(out.shape[0], -1, self.config.n_categorical)

    # ---- the bound -------------------------------------------------------------------------------
    def column_nll(self, numeric: torch.Tensor, codes: torch.Tensor, mean: torch.Tensor,
                   logits: torch.Tensor) -> torch.Tensor:
        """(B, C) negative log-likelihood of each column (Gaussian for scores, softmax for codes)."""
        sigma = self.log_sigma.exp()
        nll_num = 0.5 * ((numeric - mean) / sigma) ** 2 + self.log_sigma + 0.9189385
        if not self.config.n_categorical:
            return nll_num
        logp = F.log_softmax(logits, dim=1)  # logits (B, max_card, K)
        nll_cat = -logp.gather(1, codes.clamp(min=0).unsqueeze(1)).squeeze(1)
        nll_cat = torch.where(codes >= 0, nll_cat, torch.zeros_like(nll_cat))
        return torch.cat([nll_num, nll_cat], dim=1)

    def forward(self, numeric: torch.Tensor, codes: torch.Tensor, mask: torch.Tensor,
                noise: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """The per-row VAEAC loss terms for rows with mask ``mask`` (1 = observed)."""
        x = self.encode_rows(numeric, codes)
        x_obs = x * self.dim_mask(mask)
        q_mu, q_logvar = self.proposal_params(x, mask)
        p_mu, p_logvar = self.prior_params(x_obs, mask)
        eps = torch.randn_like(q_mu) if noise is None else noise
        z = q_mu + (0.5 * q_logvar).exp() * eps
        mean, logits = self.decode(z, x_obs, mask)
        nll = self.column_nll(numeric, codes, mean, logits)  # (B, C)
        recon = (nll * (1.0 - mask)).sum(dim=1)
        kl = 0.5 * (p_logvar - q_logvar + (q_logvar.exp() + (q_mu - p_mu) ** 2) / p_logvar.exp() - 1.0).sum(dim=1)
        # VAEAC's weak prior regulariser keeps the prior network's means bounded
        reg = 1e-4 * (p_mu ** 2).sum(dim=1)
        return {"recon": recon, "kl": kl, "loss": recon + self.config.beta * kl + reg, "column_nll": nll}


class FlatDecoder:
    """The decoder's layers with pre-transposed, contiguous weights: ``plan(z, cond_bias)`` is ``decode_flat``.

    Made once per sampling call: each block then runs ``addmm`` on ready (in, out) weights with the
    activation applied in place, instead of slicing, transposing and allocating per layer per block.
    """

    def __init__(self, model: ConditionalVAE, head: tuple[torch.Tensor, torch.Tensor] | None = None) -> None:
        layers = list(model.decoder)
        first = _linear(layers[0])
        lat = model.config.latent_dim
        self.w_z = first.weight[:, :lat].T.contiguous()  # (L, H)
        self.hidden = [(_linear(m).weight.T.contiguous(), _linear(m).bias) for m in layers[2:-1:2]]
        last = _linear(layers[-1])
        w, b = head if head is not None else (last.weight, last.bias)
        self.w_out, self.b_out = w.T.contiguous(), b
        self.act = F.silu if model.config.activation == "silu" else F.relu

    def __call__(self, z: torch.Tensor, cond_bias: torch.Tensor) -> torch.Tensor:
        bias = cond_bias[0] if cond_bias.shape[0] == 1 else cond_bias
        inplace = not torch.is_grad_enabled()  # sampling runs under inference mode; a caller needing gradients gets copies
        h = self.act(torch.addmm(bias, z, self.w_z), inplace=inplace)
        for w, b in self.hidden:
            h = self.act(torch.addmm(b, h, w), inplace=inplace)
        return torch.addmm(self.b_out, h, self.w_out)
