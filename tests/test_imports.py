"""The package's import graph, top-level and function-local imports alike, has no cycle other
than the tensor core's: a Tensor's operators call op functions, which build Tensors
(`graphgrad.tensor`, `graphgrad.autograd`, `graphgrad.dispatch` and `graphgrad.ops.*`).
A new cycle fails here, naming the modules on it."""
import ast
import pathlib

import networkx as nx

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "graphgrad"

# the one cycle allowed: Tensor <-> ops (with bind and the eager tape between them)
TENSOR_CORE = {"graphgrad.tensor", "graphgrad.autograd", "graphgrad.dispatch", "graphgrad.ops",
               "graphgrad.scalar"}


def module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(name, modules):
    """The module an imported name belongs to (`graphgrad.ops.reduce.sum` -> the module)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(path, modules):
    """The graphgrad modules a file imports, wherever the import statement is."""
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            names = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for name in names:
            target = _resolve(name, modules) if name.startswith("graphgrad") else None
            if target and target != this:
                found.add(target)
    return found


def import_graph():
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    graph = nx.DiGraph()
    for p in paths:
        graph.add_node(module_name(p))
        for target in imports_of(p, modules):
            # a package's __init__ importing its own submodules is not a dependency of them
            if not target.startswith(module_name(p) + ".") or p.name != "__init__.py":
                graph.add_edge(module_name(p), target)
    return graph


def _group(name):
    """Modules of the tensor core count as one node; so do a package and its __init__."""
    if name == "graphgrad.ops" or name.startswith("graphgrad.ops."):
        return "graphgrad.ops"
    return name


def test_no_import_cycles_outside_the_tensor_core():
    graph = nx.relabel_nodes(import_graph(), _group, copy=True)
    graph.remove_edges_from(nx.selfloop_edges(graph))
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    bad = [c for c in cycles if not set(c) <= TENSOR_CORE]
    assert not bad, "import cycles: " + "; ".join(" <-> ".join(c) for c in bad)


def test_the_checker_sees_function_local_imports():
    graph = import_graph()
    # graphgrad.tensor imports the ops at the bottom of the file, outside any function;
    # graphgrad.__main__ imports its tools inside main()
    assert graph.has_edge("graphgrad.tensor", "graphgrad.ops")
    assert graph.has_edge("graphgrad.__main__", "graphgrad.tools.bench")
