"""Run by tests/test_distributed.py under mpiexec -n 2: rank 1 raises at step 5.

Each rank writes its process id to ``<folder>/pid-<rank>`` first. Rank 0 goes on
into the collective of step 5 and would wait there forever: the excepthook that
init_process_group installs must end both processes, with rank 1's message.
"""

import os
import sys

import numpy as np

import xpnet as xn
import xpnet.distributed as dist
from xpnet import nn, optim

dist.init_process_group("mpi")
rank = dist.get_rank()
with open(os.path.join(sys.argv[1], f"pid-{rank}"), "w") as f:
    f.write(str(os.getpid()))
model = nn.parallel.DistributedDataParallel(nn.Linear(3, 1))
opt = optim.SGD(model.parameters(), lr=0.1)
x, y = xn.tensor(np.ones((4, 3), dtype=np.float32)), xn.tensor(np.ones((4, 1), dtype=np.float32))
for step in range(1, 1000):
    if rank == 1 and step == 5:
        raise RuntimeError(f"rank 1 fails on purpose at step {step}")
    opt.zero_grad()
    nn.MSELoss()(model(x), y).backward()
    opt.step()
print("unreachable: rank", rank, "finished", flush=True)
