"""Fashion-MNIST with an MLP: 784-512-256-10, BatchNorm, dropout, AdamW with a one-cycle schedule.

Reads the real Fashion-MNIST (60,000 training / 10,000 test images) from the files Debian's
package installs (`apt-get install dataset-fashion-mnist`, in /usr/share/datasets/fashion-mnist)
or from --root. Measured (seed 0, 2 cores): 90.22% test accuracy after 10 epochs (90.71% with
--epochs 20), about 2.1 s per compiled epoch.

    python examples/fashion_mlp.py            # compiled training step
    python examples/fashion_mlp.py --eager    # the same, eagerly
"""
import common

from graphgrad import datasets, nn


def main():
    p = common.parser(__doc__, epochs=10, batch_size=128)
    p.add_argument("--root", default=None, help="folder of the IDX files (default: Debian's)")
    args = p.parse_args()
    common.start(args, "Fashion-MNIST MLP 784-512-256-10")
    train = common.limit(datasets.fashion_mnist(args.root, train=True), args.limit)
    test = common.limit(datasets.fashion_mnist(args.root, train=False), args.limit)
    model = nn.Sequential(
        nn.Linear(784, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Dropout(0.25),
        nn.Linear(512, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.25),
        nn.Linear(256, 10))
    common.fit_classifier(args, model, train, test, max_lr=3e-3, weight_decay=1e-2)


if __name__ == "__main__":
    main()
