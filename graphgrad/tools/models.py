"""Small reference models used by the examples, the demo and the benchmarks."""
import numpy as np

from graphgrad import nn
from graphgrad.ops import arange, tensor


def mlp(sizes, activation=nn.ReLU):
    """Linear layers of the given sizes with an activation between them (none after the last)."""
    if len(sizes) < 2:
        raise ValueError(f"mlp: needs at least an input and an output size, got {sizes}")
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), activation()]
    return nn.Sequential(*layers[:-1])


class SmallCNN(nn.Module):
    """Conv-BatchNorm-ReLU-MaxPool twice, then a Linear classifier.

    The convolutions have no bias (BatchNorm right after makes it redundant)."""

    def __init__(self, in_channels=1, classes=10, image_size=28, channels=(16, 32)):
        super().__init__()
        c1, c2 = channels
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, 3, padding=1, bias=False), nn.BatchNorm2d(c1), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1, bias=False), nn.BatchNorm2d(c2), nn.ReLU(),
            nn.MaxPool2d(2))
        side = image_size // 4
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(c2 * side * side, classes))

    def forward(self, x):
        return self.head(self.features(x))


class TransformerBlock(nn.Module):
    """A pre-norm block: causal multi-head self-attention and a GELU MLP, both residual."""

    def __init__(self, dim, heads, dropout=0.0):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim),
                                 nn.Dropout(dropout))

    def forward(self, x, mask):
        h = self.ln1(x)
        a, _ = self.attn(h, h, h, attn_mask=mask, need_weights=False)
        x = x + a
        return x + self.mlp(self.ln2(x))


class TransformerLM(nn.Module):
    """A tiny GPT-style character/token language model: token and position embeddings,
    `layers` transformer blocks, a final LayerNorm and a Linear head over the vocabulary."""

    def __init__(self, vocab, dim=64, heads=4, layers=2, context=64, dropout=0.0):
        super().__init__()
        self.context = context
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Embedding(context, dim)
        self.blocks = nn.ModuleList([TransformerBlock(dim, heads, dropout)
                                     for _ in range(layers)])
        self.ln_f = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab)
        # True where a position may not attend (the future)
        self.causal = np.triu(np.ones((context, context), bool), 1)

    def forward(self, ids):
        length = ids.shape[1]
        if length > self.context:
            raise ValueError(f"TransformerLM: sequence of {length} tokens, context is "
                             f"{self.context}")
        x = self.tok(ids) + self.pos(arange(length))
        mask = tensor(self.causal[:length, :length])
        for block in self.blocks:
            x = block(x, mask)
        return self.head(self.ln_f(x))
