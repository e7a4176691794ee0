# ruff: noqa: UP032  (the example's own str.format idiom)
# Polynomial regression with nn.Linear, MSELoss and SGD, in the style of pytorch/examples'
# regression/main.py (features x, x^2, x^3, x^4; a fixed target; deterministic batches).
import torch
import torch.nn.functional as F

POLY_DEGREE = 4
W_target = torch.tensor([0.5, -1.2, 0.8, 0.3]).unsqueeze(1)
b_target = torch.tensor([0.7])


def make_features(x):
    """Builds features i.e. a matrix with columns [x, x^2, x^3, x^4]."""
    x = x.unsqueeze(1)
    return torch.cat([x ** i for i in range(1, POLY_DEGREE + 1)], 1)


def f(x):
    """Approximated function."""
    return x.mm(W_target) + b_target.item()


def poly_desc(W, b):
    """Creates a string description of a polynomial."""
    result = 'y = '
    for i, w in enumerate(W):
        result += '{:+.2f} x^{} '.format(w, i + 1)
    result += '{:+.2f}'.format(b[0])
    return result


def get_batch(step, batch_size=32):
    """Builds a batch i.e. (x, f(x)) pair, the same for both libraries."""
    random = torch.linspace(-1, 1, batch_size) * ((step % 7) + 3) / 9
    x = make_features(random)
    y = f(x)
    return x, y


fc = torch.nn.Linear(W_target.size(0), 1)
with torch.no_grad():
    fc.weight.fill_(0.1)
    fc.bias.zero_()

loss_fn = torch.nn.MSELoss()
optimizer = torch.optim.SGD(fc.parameters(), lr=0.1, momentum=0.5)

for batch_idx in range(1, 301):
    batch_x, batch_y = get_batch(batch_idx)

    fc.zero_grad()
    output = loss_fn(fc(batch_x), batch_y)
    loss = output.item()
    output.backward()
    optimizer.step()

    if batch_idx % 50 == 0:
        print('step {}: loss {:.6f}'.format(batch_idx, loss))

print('Loss: {:.6f} after {} batches'.format(loss, batch_idx))
print('==> Learned function:\t' + poly_desc(fc.weight.view(-1), fc.bias))
print('==> Actual function:\t' + poly_desc(W_target.view(-1), b_target))
print('smooth l1 of the fit: {:.6f}'.format(F.smooth_l1_loss(fc(get_batch(1)[0]), get_batch(1)[1]).item()))
