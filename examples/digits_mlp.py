"""scikit-learn's 8x8 handwritten digits (1,797 images, bundled with scikit-learn: no
download) with an MLP 64-256-128-10: BatchNorm, dropout, AdamW, a one-cycle schedule. A fixed
stratified split keeps 359 images (20%) for testing. Measured (seed 0): 98.89% test accuracy
after 40 epochs, compiled and eager alike.

Needs scikit-learn (`pip install -e ".[examples]"`).

    python examples/digits_mlp.py            # compiled training step
    python examples/digits_mlp.py --eager    # the same, eagerly
"""
import common

from graphgrad import datasets, nn


def main():
    args = common.parser(__doc__, epochs=40, batch_size=64).parse_args()
    common.start(args, "digits (8x8), MLP 64-256-128-10")
    x, y = datasets.digits()
    train, test = datasets.stratified_split(x, y, test_size=0.2, seed=0)
    train, test = common.limit(train, args.limit), common.limit(test, args.limit)
    model = nn.Sequential(
        nn.Linear(64, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(256, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(128, 10))
    common.fit_classifier(args, model, train, test, max_lr=1e-2, weight_decay=1e-2)


if __name__ == "__main__":
    main()
