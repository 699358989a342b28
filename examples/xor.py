"""XOR with a 2-8-2 tanh MLP trained full batch with Adam: the smallest problem a linear model
cannot solve. Measured (seed 0): 100% accuracy from step 11 on (an "epoch" is one step here).

    python examples/xor.py            # compiled training step
    python examples/xor.py --eager    # the same, eagerly
"""
import common

from graphgrad import datasets, nn, optim
from graphgrad.tools import models


def main():
    args = common.parser(__doc__, epochs=1000).parse_args()
    common.start(args, "XOR, MLP 2-8-2 (tanh), Adam, full batch")
    x, y = datasets.xor()
    model = models.mlp([2, 8, 2], nn.Tanh)
    opt = optim.Adam(model.parameters(), lr=0.05)
    seconds, accuracies, perfect = common.train_full_batch(args, model, opt, (x, y), (x, y))
    if perfect is None:
        print(f"not yet 100% after {args.epochs} steps")
    else:
        print(f"100% accuracy from step {perfect}")
    common.summary(args, seconds, accuracies[-1], 4, unit="step", what="XOR points")


if __name__ == "__main__":
    main()
