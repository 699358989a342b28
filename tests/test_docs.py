"""The documentation stays true: the API pages mention every public name, the code on the
pages and in the README runs, the notebook runs, and `mkdocs build --strict` passes (when
mkdocs is installed)."""
import importlib.util
import json
import os
import re
import subprocess
import sys
import types

import pytest

import graphgrad
import graphgrad.nn
import graphgrad.nn.functional
import graphgrad.optim
import graphgrad.optim.lr_scheduler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")
API = os.path.join(DOCS, "api")
API_PAGES = sorted(os.path.join(API, f) for f in os.listdir(API) if f.endswith(".md"))

# each public surface, and the API pages that must mention every one of its names
SURFACES = [
    (graphgrad, API_PAGES),
    (graphgrad.nn, [os.path.join(API, "nn.md")]),
    (graphgrad.nn.functional, [os.path.join(API, "nn.md")]),
    (graphgrad.optim, [os.path.join(API, "optim.md")]),
    (graphgrad.optim.lr_scheduler, [os.path.join(API, "optim.md")]),
]


def _load_script(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def public_names(module):
    """`__all__` plus every public attribute that is not a module (submodules count only when
    listed in `__all__`)."""
    names = set(getattr(module, "__all__", ()))
    for name, value in vars(module).items():
        if not name.startswith("_") and not isinstance(value, types.ModuleType):
            names.add(name)
    return names


def code_words(markdown):
    """Identifiers inside fenced code blocks and inline code spans."""
    blocks = re.findall(r"^```.*?^```", markdown, re.DOTALL | re.MULTILINE)
    rest = re.sub(r"^```.*?^```", "", markdown, flags=re.DOTALL | re.MULTILINE)
    spans = re.findall(r"`([^`\n]+)`", rest)
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", "\n".join(blocks + spans)))


@pytest.mark.parametrize("module, pages", SURFACES, ids=[m.__name__ for m, _ in SURFACES])
def test_api_pages_mention_every_public_name(module, pages):
    words = set()
    for page in pages:
        words |= code_words(_read(page))
    missing = sorted(public_names(module) - words)
    assert not missing, (f"{module.__name__}: not mentioned (as code) in "
                         f"{[os.path.relpath(p, ROOT) for p in pages]}: {missing}")


def test_snippets_and_images_exist():
    """Pages include generated listings and diagrams; all of them are committed."""
    problems = []
    for folder, _, files in os.walk(DOCS):
        for name in files:
            if not name.endswith(".md"):
                continue
            path = os.path.join(folder, name)
            text = _read(path)
            for snippet in re.findall(r'--8<-- "([^"]+)"', text):
                if not os.path.exists(os.path.join(DOCS, snippet)):
                    problems.append(f"{name}: snippet {snippet}")
            for image in re.findall(r"\]\(([^)]+\.svg)\)", text):
                if not os.path.exists(os.path.normpath(os.path.join(folder, image))):
                    problems.append(f"{name}: image {image}")
    assert not problems, "missing (run python docs/gen_diagrams.py): " + ", ".join(problems)


# Pages run in a subprocess with BLAS pinned to one thread (it reads the setting when NumPy
# loads): on small matrices more threads only add overhead, a lot of it on a busy machine.
_RUN_PAGE = """
import importlib.util, json, shutil, sys
spec = importlib.util.spec_from_file_location("gen_diagrams", sys.argv[1])
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)
blocks = gen.python_blocks(sys.argv[2])
assert blocks, "no python blocks in " + sys.argv[2]
outputs = gen.run_blocks(blocks, sys.argv[3], svg=shutil.which("dot") is not None)
print(json.dumps(outputs))
"""


def _pinned_python(args, cwd):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               GRAPHGRAD_VERIFY="1")
    result = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize("page", ["README.md", "docs/tutorial.md", "docs/api/optim.md",
                                  "docs/api/data.md", "docs/api/training.md",
                                  "docs/api/internals.md", "docs/index.md"])
def test_code_blocks_run(page, tmp_path):
    stdout = _pinned_python(["-c", _RUN_PAGE, os.path.join(DOCS, "gen_diagrams.py"),
                             os.path.join(ROOT, page), str(tmp_path)], tmp_path)
    outputs = json.loads(stdout.splitlines()[-1])
    if page == "docs/tutorial.md":
        assert any("compiled" in out for out in outputs)
        assert any(name.startswith("f_forward") for name in os.listdir(tmp_path))


def test_gen_diagrams_writes_listings(tmp_path):
    _pinned_python([os.path.join(DOCS, "gen_diagrams.py"), "--out", str(tmp_path), "--no-svg"],
                   tmp_path)
    names = set(os.listdir(tmp_path / "listings"))
    assert {"tour_traced.txt", "step_pipeline.md", "step_codegen.txt", "tutorial_1.txt"} <= names
    committed = set(os.listdir(os.path.join(DOCS, "listings")))
    assert names <= committed, f"listings not committed: {sorted(names - committed)}"
    assert "return" in _read(os.path.join(tmp_path, "listings", "tour_traced.txt"))


def test_ci_runs_the_readme_test_command():
    readme = _read(os.path.join(ROOT, "README.md"))
    commands = [line.split("#")[0].strip() for line in readme.splitlines()
                if line.startswith("pip install") and "pytest" in line]
    assert commands == ['pip install -e ".[test]" && python -m pytest -q']
    ci = [line.strip() for line in _read(os.path.join(ROOT, ".ci", "run")).splitlines()
          if line.strip() and not line.startswith("#")]
    assert ci[-1] == commands[0]


def test_readme_main_command_installs_what_the_demo_needs():
    readme = _read(os.path.join(ROOT, "README.md"))
    assert 'pip install -e ".[examples]" && python -m graphgrad demo' in readme


def test_notebook_cells_run_in_order(tmp_path, monkeypatch):
    path = os.path.join(ROOT, "examples", "quickstart.ipynb")
    notebook = json.loads(_read(path))
    assert notebook["nbformat"] == 4
    code = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__main__"}
    for i, source in enumerate(code):
        exec(compile(source, f"<quickstart cell {i}>", "exec"), namespace)
    graph = namespace["compiled_step"].graph(namespace["x"], namespace["y"], which="optimized")
    assert hasattr(graph, "_repr_svg_")


def test_notebook_matches_its_generator():
    make = _load_script(os.path.join(ROOT, "examples", "make_notebook.py"), "make_notebook")
    stored = json.loads(_read(make.NOTEBOOK))
    fresh = make.build(run=False)
    assert [(c["cell_type"], c["source"]) for c in stored["cells"]] == \
        [(c["cell_type"], c["source"]) for c in fresh["cells"]], \
        "run python examples/make_notebook.py"


def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
                             "-f", os.path.join(ROOT, "mkdocs.yml"),
                             "-d", str(tmp_path / "site")],
                            cwd=ROOT, capture_output=True, text=True, check=False,
                            env=dict(os.environ, NO_MKDOCS_2_WARNING="1"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "compiler" / "index.html").exists()
