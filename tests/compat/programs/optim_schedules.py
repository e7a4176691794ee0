# Training with torch.optim's optimizers and schedulers and a TensorDataset/DataLoader:
# Adam + OneCycleLR, NAdam + CosineAnnealingWarmRestarts, RAdam/Adamax/Adadelta + SequentialLR,
# each from the same deterministic weights; prints losses and learning rates per epoch.
import math

import torch
from torch import nn
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, TensorDataset

features = [[math.sin(0.3 * i + j) for j in range(4)] for i in range(96)]
targets = [[0.5 * f[0] - 0.25 * f[1] * f[2] + 0.1 * f[3]] for f in features]
dataset = TensorDataset(torch.tensor(features), torch.tensor(targets))
train_set = torch.utils.data.Subset(dataset, range(80))
test_set = torch.utils.data.Subset(dataset, range(80, 96))
loader = DataLoader(train_set, batch_size=16, drop_last=False)
test_loader = DataLoader(test_set, batch_size=8)


def make_model():
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    for i, p in enumerate(model.parameters()):
        n = 1
        for size in p.shape:
            n *= size
        p.data = torch.tensor([math.cos(1.7 * k + i) * 0.4 for k in range(n)]).reshape(p.shape)
    return model


def evaluate(model, loss_fn):
    total, count = 0.0, 0
    with torch.no_grad():
        for x, y in test_loader:
            total += loss_fn(model(x), y).item() * len(x)
            count += len(x)
    return total / count


def run(name, make_optimizer, make_scheduler, epochs=6, per_batch=False):
    model = make_model()
    optimizer = make_optimizer(model.parameters())
    scheduler = make_scheduler(optimizer)
    loss_fn = nn.MSELoss()
    for epoch in range(epochs):
        running = 0.0
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            running += loss.item()
            if per_batch:
                scheduler.step()
        if not per_batch:
            scheduler.step()
        print(f"{name} epoch {epoch + 1}: train {running / len(loader):.6f} "
              f"test {evaluate(model, loss_fn):.6f} lr {scheduler.get_last_lr()[0]:.6f}")


run("adam+onecycle", lambda p: torch.optim.Adam(p, lr=0.01),
    lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.05, epochs=6, steps_per_epoch=len(loader)),
    per_batch=True)
run("nadam+warm-restarts", lambda p: torch.optim.NAdam(p, lr=0.02, weight_decay=0.01),
    lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2))
run("radam+sequential",
    lambda p: torch.optim.RAdam(p, lr=0.03, decoupled_weight_decay=True, weight_decay=0.1),
    lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=2),
                                            lr_scheduler.PolynomialLR(o, total_iters=8, power=2.0)],
                                        milestones=[2]))
run("adamax+cyclic", lambda p: torch.optim.Adamax(p, lr=0.02),
    lambda o: lr_scheduler.CyclicLR(o, base_lr=0.005, max_lr=0.03, step_size_up=3), per_batch=True)
run("adadelta+chained", lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.8),
    lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.ConstantLR(o, factor=0.5, total_iters=2),
                                             lr_scheduler.ExponentialLR(o, gamma=0.8)]))
