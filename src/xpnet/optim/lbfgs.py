"""L-BFGS: a quasi-Newton method that re-evaluates the loss through a closure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..autograd import bump_all, enable_grad
from ..tensor import Tensor
from .optimizer import Optimizer, check_nonnegative


class LBFGS(Optimizer):
    r"""Limited-memory BFGS, as PyTorch's ``torch.optim.LBFGS`` (fixed step, no line search).

    ``step(closure)`` runs up to ``max_iter`` iterations: the direction
    :math:`d = -H g` comes from the two-loop recursion over the last ``history_size`` pairs
    :math:`(s_k = t d_k, y_k = g_{k+1} - g_k)` kept when :math:`y^T s > 10^{-10}`, with
    :math:`H_0 = y^T s / y^T y`; then :math:`\theta \leftarrow \theta + t d`, with
    :math:`t = \min(1, 1 / \|g\|_1) \cdot` ``lr`` on the very first iteration and ``lr``
    after. It stops early (torch's tests, in torch's order) when the gradient's largest
    element is at most ``tolerance_grad``, when :math:`g^T d > -`\ ``tolerance_change``, after
    ``max_eval`` closure calls, or when the step or the change of loss is below
    ``tolerance_change``. Every parameter must be in one group (torch's rule).

    Args:
        params: the Tensors to optimize (``model.parameters()``), one group.
        lr: the step length (default 1).
        max_iter: iterations per ``step`` (default 20).
        max_eval: closure calls per ``step`` (default ``max_iter * 5 // 4``).
        tolerance_grad: the stopping thresholds above.
        tolerance_change: as ``tolerance_grad``.
        history_size: how many (s, y) pairs are kept (default 100).
        line_search_fn: None; ``"strong_wolfe"`` is torch's option that xpnet does not have yet
            (NotImplementedError), anything else raises torch's RuntimeError (here at once).

    Raises:
        ValueError: a negative ``lr``, or parameter groups.
        RuntimeError: an unknown ``line_search_fn``.
    """

    def __init__(self, params: Any, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                 history_size: int = 100, line_search_fn: str | None = None) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if line_search_fn is not None:
            if line_search_fn != "strong_wolfe":
                raise RuntimeError(f"only 'strong_wolfe' is supported (LBFGS: line_search_fn="
                                   f"{line_search_fn!r}; torch raises this at the first step)")
            raise NotImplementedError("LBFGS: line_search_fn='strong_wolfe' is not implemented in "
                                      "xpnet yet; use line_search_fn=None (a fixed step lr)")
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params: list[Tensor] = self.param_groups[0]["params"]

    def _validate(self, group: dict[str, Any]) -> None:
        check_nonnegative(group, "lr")

    def _flat_grad(self) -> Any:
        xp = self._params[0].xp
        return xp.concat([xp.reshape(p.grad.array, (-1,)) if p.grad is not None
                          else xp.zeros((p.numel(),), dtype=p.array.dtype, device=p.array.device)
                          for p in self._params])

    def _add_grad(self, t: Any, d: Any) -> None:
        """theta <- theta + t d, slice by slice."""
        xp, offset = self._params[0].xp, 0
        for p in self._params:
            n = p.numel()
            p.array = p.array + t * xp.reshape(d[offset:offset + n], tuple(p.shape))
            offset += n
        bump_all(self._params)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One L-BFGS run of up to ``max_iter`` iterations; returns the first loss.

        ``closure`` (required): zero the gradients, compute the loss, call ``backward``,
        return the loss. Raises TypeError without one.
        """
        if closure is None:
            raise TypeError("LBFGS.step needs a closure: def closure(): opt.zero_grad(); "
                            "loss = ...; loss.backward(); return loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        xp = self._params[0].xp
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if float(xp.max(xp.abs(flat_grad))) <= tol_grad:
            return orig_loss
        d: Any = state.get("d")
        t: Any = state.get("t")
        old_dirs: list[Any] = state.get("old_dirs", [])
        old_stps: list[Any] = state.get("old_stps", [])
        ro: list[Any] = state.get("ro", [])
        h_diag: Any = state.get("H_diag")
        prev_flat_grad: Any = state.get("prev_flat_grad")
        prev_loss: Any = state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, old_dirs, old_stps, ro, h_diag = -flat_grad, [], [], [], 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = xp.sum(y * s)
                if float(ys) > 1e-10:  # keep the pair: y^T s > 0 keeps H positive definite
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / xp.sum(y * y)
                al: list[Any] = [None] * len(old_dirs)
                q = -flat_grad  # two-loop recursion: d = -H g
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = xp.sum(old_stps[i] * q) * ro[i]
                    q = q - al[i] * old_dirs[i]
                r = q * h_diag
                for i in range(len(old_dirs)):
                    be_i = xp.sum(old_dirs[i] * r) * ro[i]
                    r = r + (al[i] - be_i) * old_stps[i]
                d = r
            prev_flat_grad = flat_grad
            prev_loss = loss
            t = min(1.0, 1.0 / float(xp.sum(xp.abs(flat_grad)))) * lr if state["n_iter"] == 1 else lr
            if float(xp.sum(flat_grad * d)) > -tol_change:  # not a descent direction
                break
            ls_func_evals = 0
            self._add_grad(t, d)
            if n_iter != max_iter:
                with enable_grad():
                    loss = float(closure())
                flat_grad = self._flat_grad()
                opt_cond = float(xp.max(xp.abs(flat_grad))) <= tol_grad
                ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if float(xp.max(xp.abs(d * t))) <= tol_change or abs(loss - prev_loss) < tol_change:
                break
        state.update({"d": d, "t": t, "old_dirs": old_dirs, "old_stps": old_stps, "ro": ro,
                      "H_diag": h_diag, "prev_flat_grad": prev_flat_grad, "prev_loss": prev_loss})
        return orig_loss
