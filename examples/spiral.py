"""Train an MLP on the 3-class spiral problem, compiled by default (--eager to compare)."""
import argparse
import time

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import datasets, nn, optim


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--eager", action="store_true", help="run without compiling")
    args = parser.parse_args()

    gg.manual_seed(0)
    x, y = datasets.spiral(n=200, classes=3, seed=0)
    x_train, y_train, x_test, y_test = x[:480], y[:480], x[480:], y[480:]
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, 3))
    opt = optim.Adam(model.parameters(), lr=0.01)

    def train_step(xb, yb):
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    step = train_step if args.eager else gg.compile(train_step)
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        loss = step(x_train, y_train)
        if epoch % (args.epochs // 5 or 1) == 0:
            with gg.no_grad():
                acc = (model(x_test).argmax(1) == y_test).float().mean().item()
            print(f"epoch {epoch:5d}  loss {loss.item():.4f}  test accuracy {acc:.1%}")
    mode = "eager" if args.eager else "compiled"
    print(f"{mode}: {(time.perf_counter() - start) / args.epochs * 1e3:.3f} ms per epoch")


if __name__ == "__main__":
    main()
