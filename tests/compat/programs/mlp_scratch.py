# ruff: noqa: E721  (the course's own idiom: type(m) == nn.Linear)
# A multilayer perceptron from scratch in the style of a course (d2l's chapter 3-4 helpers):
# an Accumulator, accuracy(), evaluate_accuracy(), an `updater` doing minibatch SGD by hand.
import torch
from torch import nn
from torch.utils import data


class Accumulator:
    """For accumulating sums over `n` variables."""

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


def load_array(data_arrays, batch_size, is_train=True):
    """Construct a PyTorch data iterator (in order: both runs must see the same batches)."""
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=False)


def synthetic(n, offset):
    k = torch.arange(n) + offset
    labels = k % 3
    angle = torch.arange(16, dtype=torch.float32)
    features = torch.cos(angle * 0.4 * (labels.reshape(-1, 1) + 1) + k.reshape(-1, 1) * 0.001)
    return features, labels


batch_size = 32
train_iter = load_array(synthetic(240, 0), batch_size)
test_iter = load_array(synthetic(90, 500), batch_size, is_train=False)

num_inputs, num_outputs, num_hiddens = 16, 3, 24

W1 = nn.Parameter(torch.sin(torch.arange(num_inputs * num_hiddens, dtype=torch.float32))
                  .reshape(num_inputs, num_hiddens) * 0.3)
b1 = nn.Parameter(torch.zeros(num_hiddens, requires_grad=True))
W2 = nn.Parameter(torch.cos(torch.arange(num_hiddens * num_outputs, dtype=torch.float32))
                  .reshape(num_hiddens, num_outputs) * 0.3)
b2 = nn.Parameter(torch.zeros(num_outputs, requires_grad=True))
params = [W1, b1, W2, b2]


def relu(X):
    a = torch.zeros_like(X)
    return torch.max(X, a)


def net(X):
    X = X.reshape((-1, num_inputs))
    H = relu(X @ W1 + b1)
    return (H @ W2 + b2)


loss = nn.CrossEntropyLoss(reduction='none')


def accuracy(y_hat, y):
    """Compute the number of correct predictions."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def evaluate_accuracy(net, data_iter):
    """Compute the accuracy for a model on a dataset."""
    if isinstance(net, torch.nn.Module):
        net.eval()
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def sgd(params, lr, batch_size):
    """Minibatch stochastic gradient descent."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def train_epoch_ch3(net, train_iter, loss, updater):
    """The training loop defined in Chapter 3."""
    if isinstance(net, torch.nn.Module):
        net.train()
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


lr, num_epochs = 0.5, 5


def updater(batch_size):
    return sgd(params, lr, batch_size)


for epoch in range(num_epochs):
    train_loss, train_acc = train_epoch_ch3(net, train_iter, loss, updater)
    test_acc = evaluate_accuracy(net, test_iter)
    print(f'epoch {epoch + 1}, loss {train_loss:.4f}, train acc {train_acc:.3f}, test acc {test_acc:.3f}')

# the concise version: nn.Sequential and torch.optim.SGD
model = nn.Sequential(nn.Flatten(), nn.Linear(num_inputs, num_hiddens), nn.ReLU(),
                      nn.Linear(num_hiddens, num_outputs))


def init_weights(m):
    if type(m) == nn.Linear:
        with torch.no_grad():
            m.weight.copy_(torch.sin(torch.arange(m.weight.numel(), dtype=torch.float32) * 1.3)
                           .reshape(m.weight.shape) * 0.2)
            nn.init.zeros_(m.bias)


model.apply(init_weights)
trainer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(3):
    train_loss, train_acc = train_epoch_ch3(model, train_iter, loss, trainer)
    print(f'concise epoch {epoch + 1}, loss {train_loss:.4f}, train acc {train_acc:.3f}, '
          f'test acc {evaluate_accuracy(model, test_iter):.3f}')
