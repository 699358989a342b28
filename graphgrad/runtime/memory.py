"""Memory planning: preallocated buffers for a schedule's intermediate values.

A value is planned when its kernel can write into a given array (`Op.out_impl`) and it never
leaves the schedule. A value may share memory with its inputs when its op makes views
(`Op.alias`) or allocates its own result (no `out_impl`, so graphgrad cannot tell): such values
keep their inputs' buffers alive, and an output that may share memory with a value keeps that
value out of the plan. Lifetimes run from the instruction that computes a value to the last one
reading it or anything that may share its memory. An elementwise kernel may write over an input
that dies at that instruction (in place). Values whose lifetimes overlap interfere; a sweep over
the lifetimes (an interval graph) gives each value an arena free for its whole lifetime, sized
for the largest value it holds.
The buffers are reused on every call: a planned schedule allocates (almost) nothing after its
first call, which also means it must not run twice at the same time (threads).
"""
import bisect
import heapq

import numpy as np


class MemoryPlan:
    """`peak_bytes`: the most memory the schedule's values hold at once with this plan (arenas,
    fused kernels' scratch, and the arrays still allocated per call while they live);
    `unplanned_bytes`: one fresh array per value (including those inside fused kernels), none
    freed or reused."""

    def __init__(self, buffers, arena_sizes, inplace, write_into, peak_bytes, unplanned_bytes,
                 fused_alias=None, arenas=(), placement=None):
        self.buffers = buffers                  # slot -> preallocated ndarray
        self.arenas = list(arenas)              # the byte arrays the buffers are views of
        self.placement = placement or {}        # slot -> (arena index, byte offset in it)
        self.fused_alias = fused_alias or {}    # fused result slot -> input position sharing it
        self.write_into = write_into            # output slot -> input slot whose array it reuses
        self.arena_sizes = arena_sizes          # bytes of each arena
        self.planned_bytes = sum(arena_sizes)
        self.inplace = inplace                  # values written over one of their inputs
        self.peak_bytes = peak_bytes
        self.unplanned_bytes = unplanned_bytes

    def __repr__(self):
        return (f"MemoryPlan({len(self.buffers)} values in {len(self.arena_sizes)} buffers; "
                f"peak {self.peak_bytes} bytes vs {self.unplanned_bytes} unplanned; "
                f"{self.inplace} in place, {len(self.write_into)} state updates in place)")


def _inplace(ins):
    """May this instruction write its result over an input of the same shape?"""
    return ins.fused.inplace if ins.fused is not None else ins.node.op.inplace


def _may_share(ins):
    """Can this instruction's result share memory with its inputs?"""
    return ins.node.op.alias or ins.out_kernel is None


def lifetimes(schedule):
    """(definition index, last-use index) per slot, where a use of anything that may share a
    slot's memory counts as a use of that slot; and the slots that may reach an output."""
    instructions = schedule.instructions
    defined = {ins.output: i for i, ins in enumerate(instructions)}
    last = dict(defined)
    for i, ins in enumerate(instructions):
        for s in ins.inputs:
            last[s] = i
    escaping = set(schedule.outputs)
    for ins in reversed(instructions):          # propagate from views back to their bases
        if _may_share(ins):
            for s in ins.inputs:
                last[s] = max(last.get(s, -1), last[ins.output])
                if ins.output in escaping:
                    escaping.add(s)
    return defined, last, escaping


def plan_memory(schedule, write_into=None):
    """`write_into` maps output positions to input positions whose arrays the outputs may be
    computed into (state updated in place: a parameter's new value into its old array)."""
    instructions = schedule.instructions
    defined, last, escaping = lifetimes(schedule)
    producers = {ins.output: ins for ins in instructions}
    into = {}
    out_count = {}
    for s in schedule.outputs:
        out_count[s] = out_count.get(s, 0) + 1
    for out_pos, in_pos in (write_into or {}).items():
        s, j = schedule.outputs[out_pos], in_pos
        ins = producers.get(s)
        if ins is None or ins.out_kernel is None or out_count[s] != 1 or j in escaping:
            continue
        if schedule.graph.inputs[j].type != ins.node.out.type or last.get(j, -1) > defined[s]:
            continue
        reads = [x for x in ins.inputs if _shares(producers, x, j)]
        if reads and not (_inplace(ins) and all(x == j for x in reads)):
            continue
        into[s] = j
    candidates = {}
    for i, ins in enumerate(instructions):
        if ins.out_kernel is not None and ins.output not in escaping:
            candidates[ins.output] = ins.node.out.type

    # coalescing: an elementwise kernel overwrites an input that dies here (same shape/dtype)
    producers = {ins.output: ins for ins in instructions}
    owner = {s: s for s in candidates}
    span = {s: [defined[s], last[s]] for s in candidates}
    inplace = 0
    alias = {s: ins_inputs_index(producers[s], j) for s, j in into.items()}
    for s in candidates:
        ins = instructions[defined[s]]
        if not _inplace(ins):
            continue
        for x in ins.inputs:
            if x not in candidates or candidates[x] != candidates[s]:
                continue
            group = _find(owner, x)
            others = [y for y in ins.inputs if y != x]
            if span[group][1] == defined[s] and not any(_shares(producers, y, x) for y in others):
                alias[s] = ins.inputs.index(x)
                owner[s] = group
                span[group][1] = max(span[group][1], last[s])
                inplace += 1
                break
    # scratch arrays of fused kernels: alive during their instruction only
    for i, ins in enumerate(instructions):
        fused = ins.fused
        if fused is not None and (ins.output in candidates or ins.output in into):
            for k, t in enumerate(fused.steps(alias.get(ins.output))[1]):
                key = ("scratch", ins.output, k)
                candidates[key] = t
                owner[key] = key
                span[key] = [i, i]
    members = {}
    for s in candidates:
        members.setdefault(_find(owner, s), []).append(s)

    colors, arena_size = _assign_arenas(members, span, candidates)
    arenas = [_aligned_bytes(max(n, 1)) for n in arena_size]
    buffers = {}
    placement = {}
    for g, slots in members.items():
        for s in slots:
            buffers[s] = _view(arenas[colors[g]], candidates[s])
            placement[s] = (colors[g], 0)
    peak, unplanned = _peak(schedule, buffers, into, defined, last, sum(arena_size))
    return MemoryPlan(buffers, arena_size, inplace, into, peak, unplanned, alias, arenas,
                      placement)


def ins_inputs_index(ins, slot):
    return ins.inputs.index(slot) if slot in ins.inputs else None


def _peak(schedule, buffers, into, defined, last, arena_bytes):
    """(peak bytes with the plan, bytes of one fresh array per result)."""
    scratch = 0
    fresh = []                  # (start, end, nbytes) of arrays still allocated per call
    unplanned = 0
    end = len(schedule.instructions)
    outputs = set(schedule.outputs)
    for i, ins in enumerate(schedule.instructions):
        op = ins.node.op
        fused = ins.fused
        if fused is not None:
            # unplanned, every value inside the fused kernel would be an array of its own
            unplanned += sum(n.out.type.nbytes for n in fused.graph.nodes[:-1]
                             if not n.op.alias)
            if ins.output not in buffers and ins.output not in into:
                scratch = max(scratch, sum(t.nbytes for t in fused.scratch_types))
        if op.alias:
            continue            # a view: no memory of its own
        nbytes = ins.node.out.type.nbytes
        unplanned += nbytes
        if ins.output in buffers or ins.output in into:
            continue
        fresh.append((i, end if ins.output in outputs else last[ins.output], nbytes))
    change = [0] * (end + 2)    # live bytes as a running sum of starts and ends
    for start, stop, nbytes in fresh:
        change[start] += nbytes
        change[stop + 1] -= nbytes
    live = most = 0
    for delta in change:
        live += delta
        most = max(most, live)
    return arena_bytes + scratch + most, unplanned


def _assign_arenas(members, span, candidates):
    """Group -> arena, and each arena's size. Groups whose lifetimes overlap (an interval
    graph) get different arenas: a sweep in order of start time hands each group an arena
    freed before it starts (the smallest that fits, else the largest, which grows), or a new
    one. Greedy by start time uses as few arenas as any colouring; O(n log n)."""
    size = {g: max(candidates[s].nbytes for s in slots) for g, slots in members.items()}
    starts = sorted(members, key=lambda g: (span[g][0], span[g][1], -size[g]))
    busy = []                   # heap of (last use, arena) of arenas in use
    free = []                   # sorted (size, arena) of arenas free at the sweep's time
    arena_size = []
    colors = {}
    for k, g in enumerate(starts):
        start, end = span[g]
        while busy and busy[0][0] < start:
            _, a = heapq.heappop(busy)
            bisect.insort(free, (arena_size[a], a))
        if free:
            i = bisect.bisect_left(free, (size[g], -1))
            _, a = free.pop(min(i, len(free) - 1))
            arena_size[a] = max(arena_size[a], size[g])
        else:
            a = len(arena_size)
            arena_size.append(size[g])
        colors[g] = a
        heapq.heappush(busy, (end, a))
    return colors, arena_size


def _find(owner, s):
    while owner[s] != s:
        s = owner[s]
    return s


def _shares(producers, y, x):
    """May slot y be a view of slot x (so that writing x in place would change y)?"""
    stack, seen = [y], set()
    while stack:
        v = stack.pop()
        if v == x:
            return True
        if v in seen:
            continue
        seen.add(v)
        ins = producers.get(v)
        if ins is not None and _may_share(ins):
            stack.extend(ins.inputs)
    return False


def _aligned_bytes(n, alignment=64):
    """n bytes starting on a cache line. NumPy aligns its arrays to 16 bytes only, and a
    vectorized loop whose loads and stores straddle cache lines runs slower (a float32 scale
    of 512 KiB, native: 21 µs unaligned, 15 aligned)."""
    raw = np.empty(n + alignment, np.uint8)
    start = -raw.ctypes.data % alignment
    return raw[start:start + n]


def _view(arena, t):
    n = int(np.prod(t.shape, dtype=np.int64))
    # arenas start on a cache line, aligned for every dtype: take whole items from the start
    return arena[:n * t.dtype.itemsize].view(t.dtype).reshape(t.shape)
