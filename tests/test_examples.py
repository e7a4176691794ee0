"""Every example and the ``xpnet demo`` learn what they claim, on every backend."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import xpnet as xn

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
XOR = [0, 1, 1, 0]


def _example(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` (the folder is not a package)."""
    module = sys.modules.get(f"examples.{name}")
    if module is None:
        spec = importlib.util.spec_from_file_location(f"examples.{name}", EXAMPLES / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return module


def _learned_xor(predictions: list[float]) -> bool:
    return [round(p) for p in predictions] == XOR and all(abs(p - t) < 0.1
                                                          for p, t in zip(predictions, XOR))


# -- (a) XOR, the classic -------------------------------------------------------------------
def test_xor_learns_the_truth_table(xp):
    result = _example("xor").main(device=xp.device)
    assert _learned_xor(result["predictions"]), result["predictions"]
    assert result["final_loss"] < 1e-3 < result["first_loss"]
    assert all(xp.same_place(p) for p in result["model"].parameters())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_xor_wider_net_learns_from_random_init(xp, seed):
    result = _example("xor").main(device=xp.device, hidden=16, seed=seed)
    assert _learned_xor(result["predictions"]), result["predictions"]


def test_xor_by_hand_matches_autograd_and_learns(xp):
    result = _example("xor_by_hand").main(device=xp.device)
    assert result["grads_match"] is True  # main asserts allclose at the first step
    assert _learned_xor(result["predictions"]), result["predictions"]
    # Same start, same algorithm: the hand-written loop retraces xpnet's.
    reference = _example("xor").main(device=xp.device)
    assert result["first_loss"] == pytest.approx(reference["first_loss"], rel=1e-5)
    assert result["predictions"] == pytest.approx(reference["predictions"], abs=1e-3)


def test_xor_by_hand_starts_where_xor_starts():
    start, by_hand = _example("xor").START, _example("xor_by_hand")
    transpose = lambda m: [list(col) for col in zip(*m)]  # noqa: E731
    assert transpose(start["0.weight"]) == by_hand.W1_START
    assert start["0.bias"] == by_hand.B1_START
    assert transpose(start["2.weight"]) == by_hand.W2_START
    assert start["2.bias"] == by_hand.B2_START


def test_xor_by_hand_catches_a_wrong_gradient(monkeypatch):
    by_hand = _example("xor_by_hand")
    right = by_hand.backward

    def wrong(*args):
        grads = right(*args)
        grads["W1"] = 2.0 * grads["W1"]
        return grads

    monkeypatch.setattr(by_hand, "backward", wrong)
    with pytest.raises(AssertionError, match="dL/dW1"):
        by_hand.main(epochs=1)


# -- (b) PyTorch-style programs -------------------------------------------------------------
def test_sequential_loss_decreases(xp):
    losses = _example("sequential").main(device=xp.device)["losses"]
    assert losses[-1] < losses[0] / 4, (losses[0], losses[-1])


def test_module_subclass_builds_from_lists_and_learns(xp):
    module = _example("module_subclass")
    result = module.main(device=xp.device)
    model = result["model"]
    assert [type(m).__name__ for m in model.layers] == ["Linear", "Tanh", "Linear", "ReLU", "Linear"]
    assert [name for name, _ in model.named_parameters()][:2] == ["layers.0.weight", "layers.0.bias"]
    assert result["losses"][-1] < result["losses"][0] / 5
    assert result["accuracy"] > 0.95
    with pytest.raises(ValueError, match="activations"):
        module.MLP([2, 4, 4, 1], [xn.nn.ReLU])


def test_parameter_list_model_learns_with_adam(xp):
    result = _example("parameter_list").main(device=xp.device)
    names = [name for name, _ in result["model"].named_parameters()]
    assert names == ["weights.0", "weights.1", "weights.2", "biases.0", "biases.1", "biases.2"]
    assert all(xp.same_place(p) for p in result["model"].parameters())
    assert result["losses"][-1] < result["losses"][0] / 100, (result["losses"][0], result["losses"][-1])


@pytest.mark.parametrize("update", ["data", "no_grad"])
def test_raw_autograd_fits_the_line(xp, update):
    result = _example("raw_autograd").main(device=xp.device, update=update)
    assert result["w"] == pytest.approx([2.0, -3.0], abs=1e-3)
    assert result["b"] == pytest.approx(1.0, abs=1e-3)
    assert result["losses"][-1] < 1e-6


# -- the scripts themselves -----------------------------------------------------------------
@pytest.mark.parametrize("name, args, expected", [
    ("xor", [], "0 xor 1 = 1.000"),
    ("xor", ["--hidden", "16"], "1 xor 1 = 0.000"),
    ("xor_by_hand", [], "first-step gradients match xpnet's autograd: True"),
    ("sequential", ["--epochs", "50"], "loss "),
    ("module_subclass", ["--epochs", "50"], "accuracy"),
    ("parameter_list", ["--epochs", "50"], "parameters; loss"),
    ("raw_autograd", ["--update", "no_grad"], "learned y = 2.000 x1 -3.000 x2 +1.000"),
])
def test_example_runs_as_a_script(name, args, expected):
    done = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), *args],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout


# -- xpnet demo -----------------------------------------------------------------------------
def test_demo_learns_on_every_backend(xp):
    from xpnet.cli import demo

    predictions, _ = demo.train_xor(xp.device)
    assert _learned_xor(predictions), predictions
    train_accuracy, test_accuracy, _ = demo.train_spirals(xp.device, epochs=600)
    assert train_accuracy > 0.95 and test_accuracy > 0.95


def test_demo_command_prints_what_it_learned(capsys, tmp_path, monkeypatch):
    from xpnet.__main__ import main

    monkeypatch.chdir(tmp_path)  # the demo saves its checkpoint and curves in ./xpnet-demo

    assert main(["demo", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("device: cpu (NumPy)")
    assert "   0  1 |   1.000   1" in out
    accuracy = float(out.split("accuracy: ")[1].split("%")[0])
    assert accuracy > 95.0


def test_demo_command_reports_a_bad_device(capsys):
    from xpnet.__main__ import main

    assert main(["demo", "--device", "tpu"]) == 2  # a bad argument: one line, exit 2
    assert "unknown device 'tpu'" in capsys.readouterr().err


def test_python_dash_m_xpnet():
    done = subprocess.run([sys.executable, "-m", "xpnet", "--version"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stdout.strip() == f"xpnet {xn.__version__}"


# -- second derivatives: the three worked programs of docs/higher-order.md ----------------------
def test_pinn_trains_as_torch_from_the_same_start(xp):
    result = _example("pinn").main(device=xp.device, steps=12, points=9, dtype="float64")
    losses = result["losses"]
    assert losses[-1] < 0.9 * losses[0]
    assert all(xp.same_place(p) for p in result["model"].parameters())
    if "torch_losses" in result:
        np.testing.assert_allclose(losses, result["torch_losses"], rtol=1e-9)
        assert result["error"] == pytest.approx(result["torch_error"], rel=1e-8)


def test_wgan_gp_steps_as_torch_with_the_same_draws(xp):
    result = _example("wgan_gp").main(device=xp.device, steps=3, dtype="float64")
    history = result["history"]
    assert history["penalty"][-1] < history["penalty"][0]  # the critic's gradient norm nears 1
    if "torch_history" in result:
        for key, values in history.items():
            np.testing.assert_allclose(values, result["torch_history"][key], rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(result["mean"], result["torch_mean"], rtol=1e-8)


def test_hessian_vector_product_example_checks_itself_and_matches_torch(xp):
    result = _example("hessian_vector_product").main(device=xp.device, iterations=8)
    assert result["differences"]["vs finite differences"] < 1e-6
    assert result["differences"]["vs autograd.functional.hvp"] < 1e-12
    assert result["eigenvalue"] > 0  # a fitted minimum curves upwards
    if "torch_hvp" in result:
        for ours, theirs in zip(result["hvp"], result["torch_hvp"]):
            np.testing.assert_allclose(xp.numpy(ours), theirs, rtol=1e-10, atol=1e-12)
        assert result["eigenvalue"] == pytest.approx(result["torch_eigenvalue"], rel=1e-8)
