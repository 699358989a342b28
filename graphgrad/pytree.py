"""Flattening nested arguments/results (tuples, lists, dicts) into leaves and back."""


class TreeDef:
    """The structure of a nested value; leaves are replaced by their position."""
    __slots__ = ("kind", "meta", "children", "n_leaves", "_hash")

    def __init__(self, kind, meta, children):
        self.kind = kind            # "leaf", "tuple", "list", "dict", "namedtuple"
        self.meta = meta            # dict keys / tuple type
        self.children = children
        self.n_leaves = 1 if kind == "leaf" else sum(c.n_leaves for c in children)
        self._hash = hash((kind, meta if kind != "dict" else tuple(meta), children))

    def __eq__(self, other):
        return (isinstance(other, TreeDef) and self.kind == other.kind
                and self.meta == other.meta and self.children == other.children)

    def __hash__(self):
        return self._hash

    def __repr__(self):
        if self.kind == "leaf":
            return "*"
        return f"{self.kind}({', '.join(map(repr, self.children))})"


LEAF = TreeDef("leaf", None, ())


def flatten(tree, leaves=None):
    """-> (list of leaves, TreeDef)."""
    if leaves is None:
        leaves = []
    kind = type(tree)
    if kind is tuple or kind is list:
        children = tuple(flatten(x, leaves)[1] for x in tree)
        return leaves, TreeDef(kind.__name__, None, children)
    if kind is dict:
        keys = tuple(tree.keys())
        children = tuple(flatten(tree[k], leaves)[1] for k in keys)
        return leaves, TreeDef("dict", keys, children)
    if isinstance(tree, tuple):   # namedtuple-like
        children = tuple(flatten(x, leaves)[1] for x in tree)
        return leaves, TreeDef("namedtuple", kind, children)
    leaves.append(tree)
    return leaves, LEAF


def unflatten(treedef, leaves):
    it = iter(leaves)
    return _build(treedef, it)


def _build(td, it):
    if td.kind == "leaf":
        return next(it)
    children = [_build(c, it) for c in td.children]
    if td.kind == "tuple":
        return tuple(children)
    if td.kind == "list":
        return children
    if td.kind == "dict":
        return dict(zip(td.meta, children))
    return td.meta(*children)


def leaf_paths(tree, prefix=""):
    """Readable names of the leaves, in flatten order: 'x', 'batch[0]', 'cfg["lr"]'."""
    kind = type(tree)
    if isinstance(tree, (tuple, list)):
        out = []
        for i, x in enumerate(tree):
            out.extend(leaf_paths(x, f"{prefix}[{i}]"))
        return out
    if kind is dict:
        out = []
        for k, x in tree.items():
            out.extend(leaf_paths(x, f"{prefix}[{k!r}]"))
        return out
    return [prefix]
