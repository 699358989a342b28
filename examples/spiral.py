"""Three interleaved spirals (600 points, 480 for training, 120 held out) with a 2-64-64-3
ReLU MLP trained full batch with Adam and a step-decay schedule ("epoch" = one step).
Measured (seed 0): 99.17% held-out accuracy after 1,000 steps.

    python examples/spiral.py            # compiled training step
    python examples/spiral.py --eager    # the same, eagerly
"""
import common

from graphgrad import datasets, optim
from graphgrad.tools import models


def main():
    args = common.parser(__doc__, epochs=1000).parse_args()
    common.start(args, "3-class spiral, MLP 2-64-64-3, Adam, full batch")
    x, y = datasets.spiral(n=200, classes=3, seed=args.seed)
    train, test = (x[:480], y[:480]), (x[480:], y[480:])
    model = models.mlp([2, 64, 64, 3])
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.StepLR(opt, step_size=max(args.epochs // 3, 1), gamma=0.5)
    seconds, accuracies, _ = common.train_full_batch(args, model, opt, train, test, sched)
    common.summary(args, seconds, accuracies[-1], len(test[1]), unit="step")


if __name__ == "__main__":
    main()
