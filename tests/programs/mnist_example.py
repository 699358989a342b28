"""The network and training loop of PyTorch's official MNIST example, on random images."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def build_model():
    return Net()


def train(model, batches, compile=None, epochs=2):
    device = torch.device("cpu")
    model = model.to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)

    def train_step(data, target):
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        return loss

    step = compile(train_step) if compile else train_step
    losses = []
    for epoch in range(1, epochs + 1):
        model.train()
        for data, target in batches:
            data, target = torch.from_numpy(data).to(device), torch.from_numpy(target).to(device)
            losses.append(step(data, target).item())
        scheduler.step()
    model.eval()
    correct = 0
    with torch.no_grad():
        for data, target in batches:
            data, target = torch.from_numpy(data), torch.from_numpy(target)
            output = model(data)
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    return losses, correct


def data(rng):
    return [(rng.standard_normal((8, 1, 28, 28)).astype("float32"),
             rng.integers(0, 10, 8).astype("int64")) for _ in range(3)]
