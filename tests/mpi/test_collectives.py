"""all_reduce, broadcast, all_gather under mpiexec -n 2, on every backend, in place as torch."""

from __future__ import annotations

import numpy as np
import pytest
from _models import gather


def _rank_values(xp, rank, dtype="float64"):
    return xp.tensor([[1.0 + rank, -2.0 * rank], [3.0, 10.0 * rank]], dtype)


@pytest.mark.parametrize("op, expect", [
    ("SUM", lambda vs: sum(vs)), ("AVG", lambda vs: sum(vs) / len(vs)),
    ("MAX", lambda vs: np.maximum.reduce(vs)), ("MIN", lambda vs: np.minimum.reduce(vs)),
])
def test_all_reduce_in_place(xp, world, op, expect):
    rank, size = world.get_rank(), world.get_world_size()
    t = _rank_values(xp, rank)
    before = t.array
    world.all_reduce(t, op=getattr(world.ReduceOp, op))
    every = [xp.numpy(_rank_values(xp, r)) for r in range(size)]
    np.testing.assert_array_equal(xp.numpy(t), expect(every))
    assert xp.same_place(t) and t.array.dtype == before.dtype


def test_all_reduce_of_a_native_numpy_array_uses_its_memory(world):
    host = np.full((3,), 1.0 + world.get_rank())
    world.all_reduce(host)
    np.testing.assert_array_equal(host, np.full((3,), sum(1.0 + r for r in range(world.get_world_size()))))


def test_all_reduce_avg_of_integers_is_refused(xp, world):
    with pytest.raises(TypeError, match="floating tensor"):
        world.all_reduce(xp.tensor([1, 2], "int64"), op=world.ReduceOp.AVG)


def test_broadcast_from_each_rank(xp, world):
    for src in range(world.get_world_size()):
        t = _rank_values(xp, world.get_rank(), "float32")
        world.broadcast(t, src=src)
        np.testing.assert_array_equal(xp.numpy(t), xp.numpy(_rank_values(xp, src, "float32")))
    with pytest.raises(ValueError, match="src=5 is not a rank"):
        world.broadcast(_rank_values(xp, 0), src=5)


def test_all_gather_into_a_list(xp, world):
    size = world.get_world_size()
    parts = [xp.tensor(np.zeros((2, 2)), "float64") for _ in range(size)]
    world.all_gather(parts, _rank_values(xp, world.get_rank()))
    for r, part in enumerate(parts):
        np.testing.assert_array_equal(xp.numpy(part), xp.numpy(_rank_values(xp, r)))
        assert xp.same_place(part)
    with pytest.raises(ValueError, match="one per rank"):
        world.all_gather(parts[:1], _rank_values(xp, 0))


def test_rank_size_barrier_and_objects(world):
    world.barrier()
    ranks = gather(world, world.get_rank())
    assert ranks == list(range(world.get_world_size()))
    assert world.is_initialized() and world.get_backend() == "mpi"
    assert world.get_node_local_rank() == world.get_rank()  # one machine: local rank = rank
    with pytest.raises(RuntimeError, match="already called"):
        world.init_process_group("mpi")


def test_all_reduce_through_data_updates_a_parameter_in_place(xp, world):
    w = xp.tensor([1.0, 2.0], "float64", requires_grad=True)
    world.all_reduce(w.data)  # torch's idiom: w.data shares w's memory
    size = world.get_world_size()
    np.testing.assert_array_equal(xp.numpy(w), [size * 1.0, size * 2.0])
    (w * w).sum().backward()  # still a leaf that requires grad
    np.testing.assert_array_equal(xp.numpy(w.grad), [size * 2.0, size * 4.0])
