"""Eager against compiled: graphgrad's benchmark (`python -m graphgrad bench`) on a few
workloads, one full training step (forward, loss, backward, SGD update) per measurement, with
medians over many repeats. The columns are explained in graphgrad/tools/bench.py.

    python examples/bench.py                         # mnist-sized MLP and the small CNN
    python examples/bench.py --workloads tiny small mnist cnn transformer --markdown
    python examples/bench.py --plot bench.png        # needs matplotlib

BLAS uses every CPU this process may use unless OMP_NUM_THREADS etc. say otherwise.
"""
import common

from graphgrad.tools import bench


def main():
    p = common.parser(__doc__, epochs=1)
    p.add_argument("--workloads", nargs="+", default=["mnist", "cnn"],
                   choices=sorted(bench.WORKLOADS))
    p.add_argument("--repeat", type=int, default=100, help="timed calls per mode (at most)")
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--json", default=None, help="also write the results to this file")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.add_argument("--plot", default=None, help="write a bar chart (needs matplotlib)")
    args = p.parse_args()
    if args.eager:
        p.error("--eager: the benchmark always times eager and compiled side by side")
    common.start(args, "benchmark: eager vs compiled training steps")
    for _ in range(args.epochs):
        bench.main(tuple(args.workloads), repeat=args.repeat, warmup=args.warmup,
                   json_path=args.json, markdown=args.markdown, plot_path=args.plot,
                   threads=common.CPUS)


if __name__ == "__main__":
    main()
