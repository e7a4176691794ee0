# The raw-autograd polynomial fit of the PyTorch tutorials: y = sin(x) by a + b x + c x^2 + d x^3,
# updated under no_grad (a -= lr * a.grad; a.grad = None), then the classic
# `w.data -= lr * w.grad.data` form of the seed tutorial.
import math

import torch

dtype = torch.float
device = torch.device("cpu")

x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
y = torch.sin(x)

a = torch.tensor(0.1, device=device, dtype=dtype, requires_grad=True)
b = torch.tensor(-0.2, device=device, dtype=dtype, requires_grad=True)
c = torch.tensor(0.3, device=device, dtype=dtype, requires_grad=True)
d = torch.tensor(-0.1, device=device, dtype=dtype, requires_grad=True)

learning_rate = 1e-6
for t in range(1000):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3

    loss = (y_pred - y).pow(2).sum()
    if t % 100 == 99:
        print(t, loss.item())

    loss.backward()

    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad

        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None

print(f'Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3')

# the seed tutorial's form: a linear model w, b trained with .data updates
X = torch.linspace(0, 1, 50).reshape(50, 1)
Y = 3 * X + 2
w = torch.full((1, 1), 0.5, requires_grad=True)
bias = torch.zeros(1, requires_grad=True)
lr = 0.1
for epoch in range(200):
    loss = ((X.mm(w) + bias - Y) ** 2).mean()
    loss.backward()
    w.data -= lr * w.grad.data
    bias.data -= lr * bias.grad.data
    w.grad.data.zero_()
    bias.grad.data.zero_()
    if epoch % 40 == 39:
        print(f"epoch {epoch + 1}: loss {loss.item():.6f} w {w.item():.5f} b {bias.item():.5f}")
