import xpnet as xn


def test_linear_backward_keeps_place(xp):
    x = xp.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
    w = xp.tensor([[0.1, 0.2, 0.3], [-0.3, 0.2, 0.1]], requires_grad=True)
    loss = xn.functional.linear(x, w).sum()
    loss.backward()
    assert xp.same_place(w.grad) and xp.same_place(loss)
    assert (xp.numpy(w.grad) == xp.numpy(x).sum(axis=0)).all()
