"""The import paths a ``sed s/torch/xpnet/g`` rename produces exist and hold torch's names."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import xpnet as xn

# xpnet module -> the torch module it stands for, and the xpnet-only names its __all__ may hold
# (None: not checked here; the module belongs to other work, whose tests hold its names)
PATHS = {
    "xpnet.nn.functional": ("torch.nn.functional", None),
    "xpnet.utils.data": ("torch.utils.data", set()),
    "xpnet.optim": ("torch.optim", {"clip_grad_norm_", "clip_grad_value_"}),
    "xpnet.optim.lr_scheduler": ("torch.optim.lr_scheduler", set()),
    "xpnet.nn.init": ("torch.nn.init", None),
    "xpnet.nn.utils": ("torch.nn.utils", None),
    "xpnet.nn": ("torch.nn", None),
    "xpnet.autograd": ("torch.autograd", None),
    "xpnet.cuda": ("torch.cuda", None),
}

# Names a torch program uses through each path, that must be there (owned by this branch or older).
REQUIRED = {
    "xpnet.nn.functional": ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "gelu", "leaky_relu",
                            "linear", "dropout", "mse_loss", "l1_loss", "cross_entropy", "nll_loss",
                            "binary_cross_entropy", "binary_cross_entropy_with_logits", "huber_loss"],
    "xpnet.utils.data": ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
                         "DataLoader", "default_collate", "default_convert", "random_split", "Sampler",
                         "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "BatchSampler"],
    "xpnet.optim": ["Optimizer", "SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "Adamax",
                    "NAdam", "RAdam", "lr_scheduler"],
    "xpnet.optim.lr_scheduler": ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ConstantLR",
                                 "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
                                 "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR", "SequentialLR",
                                 "ChainedScheduler", "ReduceLROnPlateau"],
    "xpnet.nn.init": ["calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_",
                      "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"],
    "xpnet.nn.utils": ["clip_grad_norm_", "clip_grad_value_"],
    "xpnet.nn": ["Module", "Linear", "Sequential", "ReLU", "MSELoss", "CrossEntropyLoss", "Parameter",
                 "functional", "init", "utils"],
    "xpnet.autograd": ["no_grad", "enable_grad"],
    "xpnet.cuda": [],  # is_available / device_count come with the devices work (another branch)
}


@pytest.mark.parametrize("path", list(PATHS))
def test_path_imports_and_its_names_are_torchs(torch, path):
    module = importlib.import_module(path)
    torch_module = importlib.import_module(PATHS[path][0])
    for name in REQUIRED[path]:
        assert hasattr(module, name), f"{path}.{name} is missing"
        assert hasattr(torch_module, name), f"test error: {PATHS[path][0]} has no {name}"
    public = getattr(module, "__all__", None)
    if PATHS[path][1] is not None:  # every public name is torch's, or a listed xpnet extra
        extra = {n for n in public if not hasattr(torch_module, n) and
                 not isinstance(getattr(module, n, None), type(module))}
        assert extra <= PATHS[path][1], f"{path} exports names torch's {PATHS[path][0]} lacks: {extra}"


@pytest.mark.parametrize("statement", [
    "import xpnet.nn.functional as F",
    "from xpnet.nn import functional as F",
    "from xpnet.utils.data import DataLoader, Dataset, TensorDataset, random_split",
    "from xpnet.utils.data import DataLoader as L; import xpnet.utils.data",
    "from xpnet.optim.lr_scheduler import OneCycleLR, StepLR",
    "from xpnet.optim import lr_scheduler",
    "import xpnet.nn.init as init",
    "from xpnet.nn.utils import clip_grad_norm_",
    "import xpnet.autograd",
    "import xpnet.cuda",
])
def test_renamed_import_statements_run(statement):
    """Each in a fresh interpreter, as a program's first lines: nothing relies on earlier imports."""
    done = subprocess.run([sys.executable, "-c", statement], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_nn_functional_is_xpnet_functional_and_stays_in_sync():
    import xpnet.functional as G
    import xpnet.nn.functional as F

    assert F.__all__ == G.__all__ and len(F.__all__) > 20
    for name in G.__all__:
        assert getattr(F, name) is getattr(G, name), name
    assert xn.nn.functional is F and xn.utils.data is importlib.import_module("xpnet.utils.data")
    assert xn.optim.lr_scheduler is importlib.import_module("xpnet.optim.lr_scheduler")


def test_attribute_paths_after_import_xpnet_alone():
    """``import torch`` then ``torch.nn.functional.relu`` / ``torch.utils.data.DataLoader``."""
    code = ("import xpnet; xpnet.nn.functional.relu; xpnet.utils.data.DataLoader; "
            "xpnet.optim.lr_scheduler.StepLR; xpnet.nn.init.zeros_; xpnet.autograd.no_grad")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
