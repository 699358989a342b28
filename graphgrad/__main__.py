"""`python -m graphgrad demo | bench | dump`."""
import argparse
import os
import sys

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _pin_threads(threads):
    """BLAS reads its thread count at import, so re-run the command with it set; and run on
    `threads` CPUs, so that libraries with thread pools of their own (XLA's Eigen pool, which
    no environment variable limits) are held to the same count as the others."""
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) > threads:
            os.sched_setaffinity(0, cpus[-threads:])
    wanted = str(threads)
    if all(os.environ.get(k) == wanted for k in _THREAD_VARS):
        return
    env = dict(os.environ, **{k: wanted for k in _THREAD_VARS})
    os.execve(sys.executable, [sys.executable, "-m", "graphgrad"] + sys.argv[1:], env)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m graphgrad",
                                     description="graphgrad command-line tools")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="train a model compiled, write its graphs, compare with "
                                       "eager mode")
    demo.add_argument("--out", default="graphgrad-demo", help="folder for the graph diagrams")
    demo.add_argument("--steps", type=int, default=600)
    bench = sub.add_parser("bench", help="eager vs compiled training-step benchmark")
    bench.add_argument("--workloads", nargs="+", default=None,
                       help="tiny small mnist wide deep-narrow cnn transformer (default: all)")
    bench.add_argument("--threads", type=int, default=1)
    bench.add_argument("--repeat", type=int, default=200)
    bench.add_argument("--warmup", type=int, default=20)
    bench.add_argument("--json", default=None)
    bench.add_argument("--markdown", action="store_true")
    bench.add_argument("--plot", default=None, help="write a bar chart (needs matplotlib)")
    bench.add_argument("--peers", action="store_true",
                       help="also time PyTorch / torch.compile / JAX when installed")
    bench.add_argument("--backend", choices=("numpy", "numba", "both"), default="numpy",
                       help="runtime of the compiled column(s); numba needs graphgrad[fast]")
    dump = sub.add_parser("dump", help="write a compiled function's forward, backward and "
                                       "optimized graphs (.txt, .dot, .svg)")
    dump.add_argument("target", help="path/to/script.py:function or package.module:function")
    dump.add_argument("--out", default="graphgrad-graphs", help="output folder")
    args = parser.parse_args(argv)

    if args.command == "bench":
        _pin_threads(args.threads)
        from graphgrad.tools import bench as bench_module
        workloads = args.workloads or bench_module.DEFAULT_WORKLOADS
        unknown = [w for w in workloads if w not in bench_module.WORKLOADS]
        if unknown:
            parser.error(f"unknown workloads {unknown}; choose from "
                         f"{sorted(bench_module.WORKLOADS)}")
        if args.plot and not bench_module.installed("matplotlib"):   # before minutes of work
            parser.exit(2, "python -m graphgrad bench: --plot needs matplotlib (pip install "
                           "matplotlib, or the examples extra)\n")
        bench_module.main(workloads, args.repeat, args.warmup, args.json, args.markdown,
                          args.plot, args.peers, args.threads, backend=args.backend)
    elif args.command == "dump":
        from graphgrad.tools.dump import dump as dump_graphs
        try:
            files = dump_graphs(args.target, args.out)
        except (ValueError, FileNotFoundError, AttributeError, TypeError, RuntimeError) as e:
            parser.exit(2, f"python -m graphgrad dump: {e}\n")
        print(f"wrote {len(files)} files to {os.path.abspath(args.out)}/")
        for f in files:
            print(f"  {os.path.basename(f)}")
    elif args.command == "demo":
        from graphgrad.tools.demo import run_demo
        run_demo(args.out, args.steps)


if __name__ == "__main__":
    main()
