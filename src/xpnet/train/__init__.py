"""Training in a few lines: ``fit`` with progress bars, metrics, callbacks and a ``History``.

>>> from xpnet.train import fit, EarlyStopping, ModelCheckpoint
>>> history = fit(model, loss_fn, opt, (x, y), epochs=30, batch_size=64, val_data=(xv, yv),
...               callbacks=[EarlyStopping(patience=5), ModelCheckpoint("best.npz")])
>>> history.plot("curves.png")
"""

from .callbacks import (
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    Loop,
    ModelCheckpoint,
    TerminateOnNaN,
)
from .history import History
from .loop import evaluate, fit, predict
from .metrics import accuracy, mae, mse
from .nonfinite import NonFiniteLossError

__all__ = ["Callback", "EarlyStopping", "History", "LearningRateScheduler", "Loop", "ModelCheckpoint",
           "NonFiniteLossError", "TerminateOnNaN", "accuracy", "evaluate", "fit", "mae", "mse",
           "predict"]
