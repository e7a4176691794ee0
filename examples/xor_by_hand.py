"""XOR by hand: forward pass, backward pass by the chain rule, gradient descent.

The same 2-3-1 network as ``examples/xor.py`` (Linear, ReLU, Linear, mean
squared error), written with nothing but an Array API namespace ``xp`` --
NumPy, CuPy, torch or array-api-strict, whichever the data lives in. At the
first step the hand-computed gradients are checked against xpnet's autograd.

Run it with ``python examples/xor_by_hand.py [--device cpu|cuda]``.

Shapes (N = 4 samples), in the tutorials' convention ``y = x W + b``::

    x  (N, 2)   W1 (2, 3)   b1 (3,)   z1 = x W1 + b1   h = relu(z1)   (N, 3)
                W2 (3, 1)   b2 (1,)   out = h W2 + b2                   (N, 1)
    L = mean((out - y)^2)

(``nn.Linear`` stores its weight as ``(out_features, in_features)``, the
transpose of ``W`` here, as PyTorch does.)
"""

from __future__ import annotations

import argparse
from typing import Any

import array_api_compat

import xpnet as xn
from xpnet import nn

INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
TARGETS = [[0.0], [1.0], [1.0], [0.0]]

# The starting weights of examples/xor.py, here as (in, out) matrices.
W1_START = [[0.5, -0.3, 0.2], [-0.4, 0.6, 0.3]]  # (2, 3)
B1_START = [0.1, 0.1, 0.1]  # (3,)
W2_START = [[0.4], [0.5], [-0.3]]  # (3, 1)
B2_START = [0.0]  # (1,)


def forward(xp: Any, params: dict[str, Any], x: Any) -> tuple[Any, Any, Any]:
    """The forward pass; returns what the backward pass needs: z1, h and the output."""
    z1 = x @ params["W1"] + params["b1"]  # (N, 3)
    h = xp.where(z1 > 0, z1, xp.zeros_like(z1))  # relu(z1)
    out = h @ params["W2"] + params["b2"]  # (N, 1)
    return z1, h, out


def backward(xp: Any, params: dict[str, Any], x: Any, y: Any, z1: Any, h: Any,
             out: Any) -> dict[str, Any]:
    """The backward pass: dL/d(every parameter) by the chain rule, from the output back."""
    n = out.shape[0] * out.shape[1]  # the mean runs over every element of out
    delta2 = 2.0 * (out - y) / n  # dL/dout                       (N, 1)
    grads = {
        "W2": xp.matrix_transpose(h) @ delta2,  # dL/dW2 = h^T delta2    (3, 1)
        "b2": xp.sum(delta2, axis=0),  # dL/db2 = sum over samples of delta2
    }
    dh = delta2 @ xp.matrix_transpose(params["W2"])  # dL/dh = delta2 W2^T  (N, 3)
    delta1 = dh * xp.astype(z1 > 0, z1.dtype)  # dL/dz1 = dL/dh * relu'(z1)  (N, 3)
    grads["W1"] = xp.matrix_transpose(x) @ delta1  # dL/dW1 = x^T delta1       (2, 3)
    grads["b1"] = xp.sum(delta1, axis=0)  # dL/db1 = sum over samples of delta1
    return grads


def autograd_gradients(params: dict[str, Any], x: Any, y: Any) -> dict[str, Any]:
    """The same gradients from xpnet: the same net as nn layers, loss.backward()."""
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).to(xn.asarray(x).device)
    model.load_state_dict({  # Linear's weight is W transposed: (out, in)
        "0.weight": xn.asarray(params["W1"]).T, "0.bias": params["b1"],
        "2.weight": xn.asarray(params["W2"]).T, "2.bias": params["b2"],
    })
    nn.MSELoss()(model(x), y).backward()
    first, last = model[0], model[2]  # .grad is a Tensor; .array is its native array
    return {"W1": first.weight.grad.T.array, "b1": first.bias.grad.array,
            "W2": last.weight.grad.T.array, "b2": last.bias.grad.array}


def allclose(xp: Any, a: Any, b: Any, rtol: float = 1e-4, atol: float = 1e-6) -> bool:
    return bool(xp.all(xp.abs(a - b) <= atol + rtol * xp.abs(b)))


def main(device: Any = "cpu", epochs: int = 1000, lr: float = 0.1,
         verbose: bool = False) -> dict[str, Any]:
    """Train XOR by hand on ``device``; return the predictions and the first-step gradient check."""
    x = xn.tensor(INPUTS, device=device).array  # a native array of the device's library
    xp = array_api_compat.array_namespace(x)  # ... and that library's Array API namespace
    dev = array_api_compat.device(x)

    def array(values: Any) -> Any:
        return xp.asarray(values, dtype=xp.float32, device=dev)

    y = array(TARGETS)
    params = {"W1": array(W1_START), "b1": array(B1_START), "W2": array(W2_START), "b2": array(B2_START)}

    grads_match = None
    losses = []
    for epoch in range(epochs):
        z1, h, out = forward(xp, params, x)
        loss = xp.mean((out - y) ** 2)
        grads = backward(xp, params, x, y, z1, h, out)
        if epoch == 0:  # check the chain rule against autograd
            reference = autograd_gradients(params, x, y)
            for name in params:
                assert allclose(xp, grads[name], reference[name]), (
                    f"dL/d{name} by hand differs from autograd:\n{grads[name]}\n{reference[name]}")
            grads_match = True
        for name in params:  # gradient descent: p <- p - lr * dL/dp
            params[name] = params[name] - lr * grads[name]
        if epoch == 0 or epoch == epochs - 1:
            losses.append(float(loss))
        if verbose and epoch % (epochs // 5) == 0:
            print(f"epoch {epoch:5d}  loss {float(loss):.6f}")

    _, _, out = forward(xp, params, x)
    predictions = [float(out[i, 0]) for i in range(out.shape[0])]
    return {"predictions": predictions, "first_loss": losses[0], "final_loss": losses[-1],
            "grads_match": grads_match}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu (NumPy) or cuda / cuda:N (CuPy)")
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--lr", type=float, default=0.1)
    args = parser.parse_args()
    result = main(args.device, epochs=args.epochs, lr=args.lr, verbose=True)
    print("first-step gradients match xpnet's autograd:", result["grads_match"])
    print(f"loss {result['first_loss']:.4f} -> {result['final_loss']:.6f}")
    for (a, b), target, p in zip(INPUTS, TARGETS, result["predictions"]):
        print(f"  {a:.0f} xor {b:.0f} = {p:.3f}  (target {target[0]:.0f})")
