"""graphgrad.nn.utils.rnn: padding and packing variable-length sequences, as in torch.

A PackedSequence holds the time-major concatenation of the sequences' steps (`data`), the number
of sequences still running at each step (`batch_sizes`, int64) and the sort permutation
(`sorted_indices`, `unsorted_indices`, None when the input was already sorted by decreasing
length). nn.RNN / nn.LSTM / nn.GRU accept one and run each sequence only over its own length.

Packing and unpacking are one gather each (their gradients one scatter-add). The lengths must be
known when the graph is built: a Python list, or a tensor outside a compiled function (inside
one, a tensor of lengths is a traced value and is refused with a TraceError).
"""
import math
from collections import namedtuple

import numpy as np

from graphgrad import ops
from graphgrad.capture import eagerly
from graphgrad.errors import ShapeError, ShapeRuntimeError
from graphgrad.ops._core import as_tensor, describe
from graphgrad.tensor import Tensor

__all__ = ["PackedSequence", "pad_sequence", "pack_padded_sequence", "pad_packed_sequence",
           "pack_sequence", "unpad_sequence", "unpack_sequence", "invert_permutation"]

_Fields = namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices",
                                        "unsorted_indices"])


def _index_tensor(array):
    """An int64 tensor of known values, even while tracing (so sizes can be read later)."""
    with eagerly():
        return Tensor(np.asarray(array, dtype=np.int64))


class PackedSequence(_Fields):
    """(data, batch_sizes, sorted_indices, unsorted_indices), as torch's; build it with
    pack_padded_sequence or pack_sequence."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, dtype):
        return type(self)(self.data.to(dtype), *self[1:])

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    @property
    def is_cuda(self):
        return False

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    if permutation is None:
        return None
    perm = _values(permutation, "invert_permutation")
    out = np.empty_like(perm)
    out[perm] = np.arange(len(perm))
    return _index_tensor(out)


def _values(t, what):
    if isinstance(t, Tensor):
        return np.asarray(t._concrete(f"{what} (its values decide the graph's shape)"))
    return np.asarray(t)


def static_sizes(batch_sizes):
    return tuple(int(b) for b in _values(batch_sizes, "PackedSequence.batch_sizes"))


def permute_batch(t, indices, dim):
    """t reordered along `dim` by the index tensor `indices` (None: unchanged)."""
    if indices is None:
        return t
    index = (slice(None),) * dim + (_index_tensor(_values(indices, "sorted_indices")),)
    return t[index]


def unbind_steps(x):
    """x[0], ..., x[L-1] along dim 0. Long sequences go through blocks of about sqrt(L) steps:
    the gradient of each slice is a full-size scatter, so this keeps the backward pass at
    O(L sqrt(L)) instead of O(L^2) in the sequence length."""
    L = x.shape[0]
    if L <= 8:
        return [x[t] for t in range(L)]
    block = math.ceil(math.sqrt(L))
    steps = []
    for start in range(0, L, block):
        chunk = x[start:start + block]
        steps.extend(chunk[t] for t in range(chunk.shape[0]))
    return steps

# -- padding ----------------------------------------------------------------------------------


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack (L_i, *) tensors into (max L, B, *) (or (B, max L, *)), filling with
    `padding_value` on the right (or the left)."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right', got "
                         f"{padding_side!r}")
    seqs = list(sequences)
    if not seqs:
        raise ShapeRuntimeError("pad_sequence: received an empty list of sequences")
    seqs = [as_tensor(s) for s in seqs]
    longest = max(s.shape[0] for s in seqs)
    padded = []
    for s in seqs:
        extra = longest - s.shape[0]
        if extra:
            where = (0, extra) if padding_side == "right" else (extra, 0)
            s = ops.pad(s, (0, 0) * (s.ndim - 1) + where, value=padding_value)
        padded.append(s)
    return ops.stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of unpadded sequences: the inverse of pad_sequence."""
    x = as_tensor(padded_sequences)
    if not batch_first:
        x = ops.transpose(x, 0, 1)
    return [x[i, :int(n)] for i, n in enumerate(_values(lengths, "unpad_sequence lengths"))]

# -- packing ----------------------------------------------------------------------------------


def _check_lengths(lengths, enforce_sorted, batch, longest):
    if lengths.ndim != 1 or len(lengths) != batch:
        raise ShapeRuntimeError(f"pack_padded_sequence: expected len(lengths) to be equal to "
                                f"batch_size, but got {len(lengths)} (batch_size={batch})")
    if (lengths <= 0).any():
        raise ShapeRuntimeError("pack_padded_sequence: length of all samples has to be greater "
                                "than 0, but found an element in 'lengths' that is <= 0")
    if lengths.max() > longest:
        raise ShapeRuntimeError(f"pack_padded_sequence: a length ({lengths.max()}) exceeds the "
                                f"padded sequence length ({longest})")
    if enforce_sorted and (np.diff(lengths) > 0).any():
        raise ShapeRuntimeError("`lengths` array must be sorted in decreasing order when "
                                "`enforce_sorted` is True. You can pass `enforce_sorted=False` "
                                "to pack_padded_sequence and/or pack_sequence to sidestep this "
                                "requirement if you do not need ONNX exportability.")


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) (or (B, T, *)) of sequences with the given lengths."""
    x = as_tensor(input)
    lengths = _values(lengths, "pack_padded_sequence lengths").astype(np.int64).reshape(-1)
    if x.ndim < 2:
        raise ShapeError(f"pack_padded_sequence: input {describe(x)} must have a time and a "
                         "batch dim")
    T, B = (x.shape[1], x.shape[0]) if batch_first else x.shape[:2]
    _check_lengths(lengths, enforce_sorted, B, T)
    order = np.arange(B) if enforce_sorted else np.argsort(-lengths, kind="stable")
    sizes = [(lengths > t).sum() for t in range(int(lengths.max()))]
    rows = []
    for t, size in enumerate(sizes):
        b = order[:size]
        rows.append(b * T + t if batch_first else t * B + b)
    flat = ops.reshape(x, (T * B,) + tuple(x.shape[2:]))
    data = flat[_index_tensor(np.concatenate(rows))]
    sorted_indices = None if enforce_sorted else _index_tensor(order)
    return PackedSequence(data, _index_tensor(sizes), sorted_indices, None)


def pack_sequence(sequences, enforce_sorted=True):
    """pack_padded_sequence(pad_sequence(sequences), their lengths)."""
    lengths = [as_tensor(s).shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The inverse of pack_padded_sequence: (padded, lengths), in the original batch order."""
    data, batch_sizes, _, unsorted_indices = sequence
    sizes = static_sizes(batch_sizes)
    T, B = len(sizes), sizes[0]
    if total_length is not None:
        if total_length < T:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {T}")
        T = total_length
    order = (np.arange(B) if unsorted_indices is None
             else _values(unsorted_indices, "unsorted_indices"))
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    filler = data.shape[0]                      # the row holding padding_value
    index = np.full((T, B), filler, dtype=np.int64)
    for t, size in enumerate(sizes):
        index[t, :size] = offsets[t] + np.arange(size)
    index = index[:, order]
    if batch_first:
        index = index.T
    pad_row = ops.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype)
    padded = ops.cat([data, pad_row])[_index_tensor(index)]
    lengths = np.array([sum(s > i for s in sizes) for i in range(B)], dtype=np.int64)
    return padded, _index_tensor(lengths[order])


def unpack_sequence(packed_sequences):
    """The list of sequences in a PackedSequence, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)

# -- a recurrent layer over packed data --------------------------------------------------------


def run_packed_direction(step, proj, states, sizes, reverse):
    """Run `step(p_t, states) -> states` over packed input projections `proj` (sum(sizes), G)
    with the running batch shrinking (forward) or growing (reverse) as sequences end. Returns
    the packed outputs and the final states of every sequence (in sorted order)."""
    T, B = len(sizes), sizes[0]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    index = np.zeros((T, B), dtype=np.int64)      # inactive slots read row 0, never used
    for t, size in enumerate(sizes):
        index[t, :size] = offsets[t] + np.arange(size)
    steps = unbind_steps(proj[_index_tensor(index)])
    outputs = [None] * T
    if reverse:
        current = [_rows(s, 0, sizes[-1]) for s in states]
        for t in range(T - 1, -1, -1):
            have = current[0].shape[0]
            if sizes[t] > have:               # longer sequences join with their initial state
                current = [ops.cat([c, _rows(s, have, sizes[t])]) for c, s in
                           zip(current, states)]
            current = step(_rows(steps[t], 0, sizes[t]), current)
            outputs[t] = current[0]
        return ops.cat(outputs), current
    finished = []
    current = states
    for t in range(T):
        have = current[0].shape[0]
        if sizes[t] < have:                   # sequences that ended keep their last state
            finished.append([_rows(c, sizes[t], have) for c in current])
            current = [_rows(c, 0, sizes[t]) for c in current]
        current = step(_rows(steps[t], 0, sizes[t]), current)
        outputs[t] = current[0]
    finals = [ops.cat([c] + [f[i] for f in reversed(finished)]) for i, c in enumerate(current)]
    return ops.cat(outputs), finals


def _rows(t, start, stop):
    if start == 0 and stop == t.shape[0]:
        return t
    return t[start:stop]
