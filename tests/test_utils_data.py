"""xpnet.utils.data gives torch.utils.data's batches, on the data's own device, on every backend."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import xpnet as xn
from xpnet import _backend
from xpnet.utils import data as D

N = 11
Pair = namedtuple("Pair", ["a", "b"])


def _host():
    x = np.arange(N * 3, dtype=np.float32).reshape(N, 3) / 7
    y = np.arange(N, dtype=np.int64) % 4
    return x, y


def _datasets(xp, torch):
    x, y = _host()
    ours = D.TensorDataset(xp.tensor(x), xp.tensor(y, "int64"))
    theirs = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    return ours, theirs


def _same_batch(xp, ours, theirs):
    assert type(ours) is type(theirs)  # torch's default collate gives a list for tuple samples
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert isinstance(a, xn.Tensor) and xp.same_place(a)
        assert a.shape == tuple(b.shape)
        np.testing.assert_array_equal(xp.numpy(a), b.numpy())


class NoSamples(D.TensorDataset):
    """A TensorDataset that refuses per-sample access: proves the whole-array path."""

    def __getitem__(self, index):
        raise AssertionError("the loader went sample by sample")


@pytest.mark.parametrize(("batch_size", "drop_last"), [(1, False), (4, False), (4, True), (11, True),
                                                      (20, False)])
def test_tensor_dataset_batches_match_torch(xp, torch, batch_size, drop_last):
    ours, theirs = _datasets(xp, torch)
    loader = D.DataLoader(ours, batch_size=batch_size, drop_last=drop_last)
    ref = torch.utils.data.DataLoader(theirs, batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == len(ref) and loader.dataset is ours
    batches = list(loader)
    assert len(batches) == len(list(ref))
    for ours_b, theirs_b in zip(batches, ref):
        _same_batch(xp, ours_b, theirs_b)
    sample, ref_sample = ours[3], theirs[3]
    assert isinstance(sample, tuple) and len(sample) == 2
    np.testing.assert_array_equal(xp.numpy(sample[0]), ref_sample[0].numpy())


def test_tensor_dataset_and_subsets_never_go_sample_by_sample(xp):
    x, y = _host()
    ds = NoSamples(xp.tensor(x), xp.tensor(y, "int64"))
    (xb, yb), = list(D.DataLoader(ds, batch_size=N))  # one batch: one gather per tensor
    np.testing.assert_array_equal(xp.numpy(xb), x)
    np.testing.assert_array_equal(xp.numpy(yb), y)
    sub = D.Subset(D.Subset(ds, [10, 2, 5, 7, 0]), [4, 1, 3])  # rows 0, 2, 7
    got = [xp.numpy(b[1]) for b in D.DataLoader(sub, batch_size=2)]
    np.testing.assert_array_equal(np.concatenate(got), y[[0, 2, 7]])
    shuffled = [xp.numpy(b[0]) for b in D.DataLoader(ds, batch_size=3, shuffle=True)]
    assert sorted(map(tuple, np.concatenate(shuffled).tolist())) == sorted(map(tuple, x.tolist()))
    picked = D.DataLoader(ds, batch_size=2, sampler=D.SubsetRandomSampler([1, 4, 9]))
    assert sorted(np.concatenate([xp.numpy(b[1]) for b in picked]).tolist()) == sorted(y[[1, 4, 9]])
    with pytest.raises(AssertionError, match="sample by sample"):  # a collate_fn needs the samples
        next(iter(D.DataLoader(ds, batch_size=2, collate_fn=list)))


def test_shuffle_draws_a_new_permutation_on_the_data_device_each_epoch(xp):
    x, _ = _host()
    ds = D.TensorDataset(xp.tensor(x), xp.tensor(np.arange(N), "int64"))
    loader = D.DataLoader(ds, batch_size=4, shuffle=True)

    def epoch():
        batches = list(loader)
        assert all(xp.same_place(b[0]) and xp.same_place(b[1]) for b in batches)
        return np.concatenate([xp.numpy(b[1]) for b in batches])

    xn.manual_seed(3)
    first, second = epoch(), epoch()
    assert sorted(first) == list(range(N)) and sorted(second) == list(range(N))
    assert list(first) != list(second)  # a new order every epoch (11! orders: no accidental tie)
    xn.manual_seed(3)
    np.testing.assert_array_equal(epoch(), first)  # xn.manual_seed makes it reproducible
    rows = {int(i): xp.numpy(ds.tensors[0])[int(i)].tolist() for i in first}
    xn.manual_seed(3)
    for xb, yb in loader:  # features and targets stay paired
        for row, i in zip(xp.numpy(xb).tolist(), xp.numpy(yb).tolist()):
            assert row == rows[i]


def test_generator_seed_gives_the_same_order_on_every_backend(xp, torch):
    ds = D.TensorDataset(xp.tensor(np.arange(N), "int64"))
    orders = []
    for generator in (7, 7, torch.Generator().manual_seed(7)):
        loader = D.DataLoader(ds, batch_size=5, shuffle=True, generator=generator)
        orders.append(np.concatenate([xp.numpy(b[0]) for b in loader]).tolist())
    assert orders[0] == orders[1] == orders[2] and sorted(orders[0]) == list(range(N))
    import random

    expected = list(range(N))
    random.Random(7).shuffle(expected)  # documented: a seed drives a host random.Random
    assert orders[0] == expected
    with pytest.raises(TypeError, match="generator must be None, an int seed"):
        D.DataLoader(ds, shuffle=True, generator="seven")


def test_random_split_lengths_and_fractions_as_torch(xp, torch):
    ours, theirs = _datasets(xp, torch)
    for lengths in ([3, 8], [0.5, 0.3, 0.2], [0.25, 0.75], [1.0]):
        parts = D.random_split(ours, lengths)
        ref = torch.utils.data.random_split(theirs, lengths)
        assert [len(p) for p in parts] == [len(r) for r in ref]
        seen = sorted(i for p in parts for i in p.indices)
        assert seen == list(range(N))  # disjoint, and covering the dataset
        for p in parts:
            assert isinstance(p, D.Subset) and p.dataset is ours
    xn.manual_seed(5)
    a = [p.indices for p in D.random_split(ours, [4, 7])]
    xn.manual_seed(5)
    assert a == [p.indices for p in D.random_split(ours, [4, 7])]
    assert [p.indices for p in D.random_split(ours, [4, 7], generator=1)] == \
        [p.indices for p in D.random_split(ours, [4, 7], generator=1)]
    with pytest.raises(ValueError, match=r"Sum of input lengths \(10\) does not equal the length"):
        D.random_split(ours, [3, 7])
    with pytest.raises(ValueError):
        torch.utils.data.random_split(theirs, [3, 7])


class Squares(D.Dataset):
    """A user's map-style dataset: samples of several kinds, made in __getitem__."""

    def __init__(self, make):
        self.make = make

    def __len__(self):
        return 7

    def __getitem__(self, i):
        x = self.make(np.full(3, i, dtype=np.float32) * 0.5)
        return {"x": x, "label": i % 3, "weight": i / 4, "flag": i % 2 == 0,
                "pair": Pair(x[:2], i), "name": f"s{i}", "nested": [x[0], (i, i * 2)]}


def _compare(xp, ours, theirs, where="batch"):
    if isinstance(theirs, dict):
        assert type(ours) is dict and ours.keys() == theirs.keys(), where
        for k in theirs:
            _compare(xp, ours[k], theirs[k], f"{where}[{k!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _compare(xp, a, b, f"{where}[{i}]")
    elif hasattr(theirs, "numpy"):
        assert isinstance(ours, xn.Tensor), where
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], where
        np.testing.assert_array_equal(xp.numpy(ours), theirs.numpy(), err_msg=where)
    else:
        assert ours == theirs, where


@pytest.mark.parametrize("batch_size", [1, 3, None])
def test_map_style_dataset_collates_as_torch(xp, torch, batch_size):
    ours = D.DataLoader(Squares(xp.tensor), batch_size=batch_size)
    theirs = torch.utils.data.DataLoader(Squares(torch.from_numpy), batch_size=batch_size)
    assert len(ours) == len(theirs)
    count = 0
    for a, b in zip(ours, theirs):
        _compare(xp, a, b)
        count += 1
    assert count == len(theirs)
    if batch_size:
        first = next(iter(ours))
        assert xp.same_place(first["x"])  # Tensors stacked where they live


def test_default_collate_of_arrays_numbers_and_errors(xp, torch):
    batch = [(xp.array([1.0, 2.0]), 3, 0.5), (xp.array([3.0, 4.0]), 4, 1.5)]
    ref = torch.utils.data.default_collate([(torch.tensor([1.0, 2.0]), 3, 0.5),
                                            (torch.tensor([3.0, 4.0]), 4, 1.5)])
    got = D.default_collate(batch)
    _compare(xp, got, ref)
    assert xp.same_place(got[0])
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2\] "
                                           r"at entry 0 and \[3\] at entry 1"):
        D.default_collate([xp.tensor([1.0, 2.0]), xp.tensor([1.0, 2.0, 3.0])])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        D.default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="found object"):
        D.default_collate([object()])


def test_custom_collate_sampler_and_batch_sampler(xp, torch):
    ours, theirs = _datasets(xp, torch)
    stack_y = lambda samples: [int(s[1].item()) for s in samples]  # noqa: E731
    got = list(D.DataLoader(ours, batch_size=4, collate_fn=stack_y))
    ref = list(torch.utils.data.DataLoader(theirs, batch_size=4, collate_fn=stack_y))
    assert got == ref
    batches = [[0, 5], [10, 1, 2]]
    for o, t in zip(D.DataLoader(ours, batch_sampler=batches),
                    torch.utils.data.DataLoader(theirs, batch_sampler=batches)):
        _same_batch(xp, o, t)
    seq = D.BatchSampler(D.SequentialSampler(range(10)), 3, drop_last=False)
    assert list(seq) == list(torch.utils.data.BatchSampler(range(10), 3, False)) and len(seq) == 4
    unbatched = list(D.DataLoader(ours, batch_size=None))
    ref_unbatched = list(torch.utils.data.DataLoader(theirs, batch_size=None))
    assert len(unbatched) == len(ref_unbatched) == N
    _compare(xp, unbatched[2], ref_unbatched[2])


def test_random_sampler_options(xp):
    ds = list(range(5))
    with_replacement = list(D.RandomSampler(ds, replacement=True, num_samples=20))
    assert len(with_replacement) == 20 and set(with_replacement) <= set(ds)
    more = list(D.RandomSampler(ds, num_samples=12))
    assert len(more) == 12 and sorted(more[:5]) == ds and sorted(more[5:10]) == ds
    seeded = D.RandomSampler(ds, generator=0)
    assert sorted(seeded) == ds and len(seeded) == 5
    native = _backend.device(xp.array([0.0]))  # order() takes the native device, as DataLoader gives it
    order = D.RandomSampler(ds, replacement=True, num_samples=30).order(xp.ns, native)
    assert xp.same_place(order) and xp.numpy(order).min() >= 0 and xp.numpy(order).max() < 5
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        D.RandomSampler(ds, num_samples=0)


def _stream(base, make):
    class Stream(base):
        def __iter__(self):
            for i in range(7):
                yield make(np.array([i, -i], dtype=np.float32)), i

    return Stream()


def test_iterable_dataset_batches_in_order_as_torch(xp, torch):
    for drop_last in (False, True):
        ours = list(D.DataLoader(_stream(D.IterableDataset, xp.tensor), batch_size=3,
                                 drop_last=drop_last))
        theirs = list(torch.utils.data.DataLoader(_stream(torch.utils.data.IterableDataset,
                                                          torch.from_numpy),
                                                  batch_size=3, drop_last=drop_last))
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _compare(xp, a, b)


def test_concat_dataset(xp, torch):
    ours, theirs = _datasets(xp, torch)
    both = ours + D.Subset(ours, [1, 2])
    ref = theirs + torch.utils.data.Subset(theirs, [1, 2])
    assert len(both) == len(ref) == N + 2
    for i in (0, N, N + 1, -1):
        np.testing.assert_array_equal(xp.numpy(both[i][0]), ref[i][0].numpy())
    for a, b in zip(D.DataLoader(both, batch_size=5), torch.utils.data.DataLoader(ref, batch_size=5)):
        _same_batch(xp, a, b)


def test_num_workers_accepted_with_the_same_batches(xp, torch):
    ours, _ = _datasets(xp, torch)
    plain = [xp.numpy(b[0]) for b in D.DataLoader(ours, batch_size=4)]
    workers = D.DataLoader(ours, batch_size=4, num_workers=2, pin_memory=True, persistent_workers=True,
                           prefetch_factor=2)
    assert workers.num_workers == 2
    for a, b in zip(plain, workers):
        np.testing.assert_array_equal(a, xp.numpy(b[0]))


BAD = [
    ({"shuffle": True, "sampler": [0, 1]}, "sampler option is mutually exclusive with shuffle"),
    ({"batch_sampler": [[0]], "batch_size": 4}, "batch_sampler option is mutually exclusive"),
    ({"batch_sampler": [[0]], "drop_last": True}, "batch_sampler option is mutually exclusive"),
    ({"batch_size": None, "drop_last": True}, "batch_size=None option disables auto-batching"),
    ({"num_workers": -1}, "num_workers option should be non-negative"),
    ({"batch_size": 0}, "batch_size should be a positive integer value, but got batch_size=0"),
    ({"persistent_workers": True}, "persistent_workers option needs num_workers > 0"),
]


@pytest.mark.parametrize(("options", "match"), BAD, ids=[m[:30] for _, m in BAD])
def test_bad_options_raise_as_torch(xp, torch, options, match):
    ours, theirs = _datasets(xp, torch)
    with pytest.raises(ValueError, match=match):
        D.DataLoader(ours, **options)
    with pytest.raises(ValueError, match=match.split(",")[0]):
        torch.utils.data.DataLoader(theirs, **options)


def test_tensor_dataset_checks_rows_and_devices(xp):
    with pytest.raises(ValueError, match="different lengths"):
        D.TensorDataset(xp.tensor([1.0, 2.0]), xp.tensor([1.0]))
    with pytest.raises(ValueError, match="IterableDataset: expected unspecified shuffle"):
        D.DataLoader(_stream(D.IterableDataset, xp.tensor), shuffle=True)
    with pytest.raises(NotImplementedError, match="must define __getitem__"):
        D.Dataset()[0]
