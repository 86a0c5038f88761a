import numpy as np
import pytest

from sklearn_causalmix.finetune._episodes import (
    EpisodeSampler,
    LocalViewSampler,
    WholeTableSampler,
    episode_composition,
    make_sampler,
)
from sklearn_causalmix.finetune._split import stratified_validation_split


def _sampler(ratio, n_real=60, n_syn=200, size=40, qf=0.25, seed=0):
    rng = np.random.default_rng(seed)
    Xr = np.column_stack([np.arange(n_real), rng.normal(size=n_real)])  # column 0: real row id
    Xs = np.column_stack([10_000 + np.arange(n_syn), rng.normal(size=n_syn)])  # column 0: synthetic marker
    return EpisodeSampler(
        Xr, np.arange(n_real) % 3, Xs, np.arange(n_syn) % 3,
        synthetic_ratio=ratio, episode_size=size, query_fraction=qf, n_classes=3,
        categorical_mask=np.array([False, True]), random_state=seed,
    )


@pytest.mark.parametrize("ratio", [0.0, 0.25, 0.5, 0.75, 1.0])
def test_every_episode_holds_the_ratio_in_context_and_query(ratio):
    sampler = _sampler(ratio)
    real_c, syn_c, real_q, syn_q = sampler.composition
    assert real_c + syn_c + real_q + syn_q == 40
    assert syn_c == round(ratio * (real_c + syn_c)) and syn_q == round(ratio * (real_q + syn_q))
    for _ in range(5):
        batch = sampler.sample(3)
        assert batch.X_context.shape == (3, real_c + syn_c, 2) and batch.X_query.shape == (3, real_q + syn_q, 2)
        assert (batch.context_synthetic.sum(axis=1) == syn_c).all()
        assert (batch.query_synthetic.sum(axis=1) == syn_q).all()
        # provenance flags agree with the data: synthetic rows carry the marker, real rows their id
        for X, flags, index in (
            (batch.X_context, batch.context_synthetic, batch.context_index),
            (batch.X_query, batch.query_synthetic, batch.query_index),
        ):
            id_col = X[:, :, list(batch.feature_order).index(0)]
            np.testing.assert_array_equal(id_col >= 10_000, flags)
            np.testing.assert_array_equal(np.where(flags, id_col - 10_000, id_col), index)
        # a row is never both context and query of the same episode
        for b in range(3):
            ctx = set(zip(batch.context_synthetic[b], batch.context_index[b]))
            qry = set(zip(batch.query_synthetic[b], batch.query_index[b]))
            assert not ctx & qry and len(ctx) == batch.X_context.shape[1]


def test_ratio_zero_and_one_use_one_pool_only():
    assert _sampler(0.0).sample(2).context_synthetic.sum() == 0
    batch = _sampler(1.0).sample(2)
    assert batch.context_synthetic.all() and batch.query_synthetic.all()


def test_small_pools_shrink_the_episode_keeping_the_ratio():
    counts = episode_composition(128, 0.5, 0.25, n_real=20, n_synthetic=1000)
    real_c, syn_c, real_q, syn_q = counts
    assert real_c + real_q == 20 and abs(syn_c - 0.5 * (real_c + syn_c)) <= 0.5 and syn_q == real_q
    assert episode_composition(128, 1.0, 0.25, n_real=0, n_synthetic=10) == (0, 8, 0, 2)
    with pytest.raises(ValueError, match="at least one context and one query"):
        episode_composition(128, 0.0, 0.25, n_real=1, n_synthetic=0)


def test_class_and_feature_permutations():
    sampler = _sampler(0.0)
    batch = sampler.sample(1)
    # the categorical mask follows the feature order
    np.testing.assert_array_equal(batch.categorical_mask, np.array([False, True])[batch.feature_order])
    # labels are relabelled consistently within an episode: real row id -> class id % 3 -> permuted
    id_col = list(batch.feature_order).index(0)
    ids = batch.X_context[0, :, id_col].astype(int)
    mapping = {}
    for original, permuted in zip(ids % 3, batch.y_context[0]):
        assert mapping.setdefault(original, permuted) == permuted


def test_shrink_halves_until_it_cannot():
    sampler = _sampler(0.5, size=40)
    assert sampler.shrink() and sampler.episode_size == 20
    assert sum(sampler.composition) == 20 and sampler.sample(1).X_context.shape[1] == 15
    while sampler.shrink():
        pass
    assert sampler.episode_size < 4


def test_sampler_is_seeded():
    a, b = _sampler(0.5, seed=3).sample(2), _sampler(0.5, seed=3).sample(2)
    np.testing.assert_array_equal(a.X_context, b.X_context)
    np.testing.assert_array_equal(a.y_query, b.y_query)


def test_validation_split_is_stratified_and_names_small_classes():
    codes = np.array([0] * 10 + [1] * 5 + [2] * 2)
    train, val = stratified_validation_split(codes, 0.2, np.array(["a", "b", "c"]), 0)
    assert set(np.bincount(codes[val])) >= {1} and np.bincount(codes[val]).tolist() == [2, 1, 1]
    assert set(codes[train]) == {0, 1, 2} and not set(train) & set(val)
    with pytest.raises(ValueError, match="Class 'c' has 1 row.*early_stopping=False"):
        stratified_validation_split(np.array([0, 0, 0, 1, 1, 2]), 0.2, np.array(["a", "b", "c"]), 0)


def _whole(n_real=300, n_syn=400, ratio=0.0, placement="both", **kw):
    rng = np.random.default_rng(0)
    Xs = rng.normal(size=(n_syn, 3)) if n_syn else None
    ys = rng.integers(0, 3, n_syn) if n_syn else None
    params = dict(synthetic_ratio=ratio, max_context=1024, max_query=512, query_fraction=0.2, placement=placement,
                  n_classes=3, categorical_mask=np.zeros(3, bool), random_state=0)
    params.update(kw)
    return WholeTableSampler(rng.normal(size=(n_real, 3)), rng.integers(0, 3, n_real), Xs, ys, **params)


def test_whole_table_views_use_every_real_row_and_cap_context_and_queries():
    sampler = _whole(n_real=300, n_syn=0)
    assert sampler.composition == (240, 0, 60, 0)
    batch = sampler.sample()
    seen = np.concatenate([batch.context_index[0], batch.query_index[0]])
    assert sorted(seen.tolist()) == list(range(300))  # every real row, once per view
    big = _whole(n_real=3000, n_syn=0, max_context=1024, max_query=256)
    assert big.composition == (1024, 0, 256, 0)


@pytest.mark.parametrize("placement, expected", [("both", (270, 270, 30, 30)), ("query", (270, 0, 30, 30)),
                                                  ("context", (240, 240, 60, 0))])
def test_whole_table_placement_puts_synthetic_rows_where_asked(placement, expected):
    sampler = _whole(n_real=300, n_syn=400, ratio=0.5, placement=placement)
    assert sampler.composition == expected
    batch = sampler.sample()
    assert batch.context_synthetic.sum() == expected[1] and batch.query_synthetic.sum() == expected[3]


def test_whole_table_synthetic_only_and_shrink():
    sampler = _whole(n_real=0, n_syn=400, ratio=1.0)
    assert sampler.composition[0] == sampler.composition[2] == 0
    sampler = _whole(n_real=300, n_syn=0)
    assert sampler.shrink() and sampler.composition == (120, 0, 30, 0)
    while sampler.shrink():
        pass
    assert sampler.episode_size < 4


# ------------------------------------------------------------------------------------------ local views
def _local(n_real=400, n_syn=0, ratio=0.0, **kw):
    # one feature: real row i sits at i, synthetic row j at j + 0.5
    Xr = np.arange(n_real, dtype=float)[:, None]
    Xs = (np.arange(n_syn) + 0.5)[:, None] if n_syn else None
    ys = np.arange(n_syn) % 2 if n_syn else None
    params = dict(synthetic_ratio=ratio, max_context=48, max_query=16, query_fraction=0.2, placement="both",
                  n_classes=2, categorical_mask=np.zeros(1, bool), random_state=0)
    params.update(kw)
    return LocalViewSampler(Xr, np.arange(n_real) % 2, Xs, ys, **params)


def test_local_views_hold_the_rows_nearest_one_real_row():
    sampler = _local()
    assert sampler.composition == (48, 0, 16, 0)
    spans = set()
    for _ in range(5):
        batch = sampler.sample()
        rows = np.sort(np.concatenate([batch.context_index[0], batch.query_index[0]]))
        # on a line of rows 0, 1, 2, ... the 64 rows nearest any row are 64 consecutive ones
        np.testing.assert_array_equal(rows, np.arange(rows[0], rows[0] + 64))
        spans.add(int(rows[0]))
    assert len(spans) > 1  # the anchors differ from view to view


def test_local_views_take_the_synthetic_rows_near_the_same_anchor():
    batch = _local(n_syn=400, ratio=0.5).sample()
    real = np.concatenate([batch.context_index[0][~batch.context_synthetic[0]],
                           batch.query_index[0][~batch.query_synthetic[0]]])
    synthetic = np.concatenate([batch.context_index[0][batch.context_synthetic[0]],
                                batch.query_index[0][batch.query_synthetic[0]]])
    assert len(real) == len(synthetic) == 32
    assert abs(np.median(real) - np.median(synthetic)) <= 1  # both pools around one anchor


def test_local_views_of_a_table_that_fits_are_whole_table_views_and_synthetic_only_works():
    big = dict(max_context=1024, max_query=512)
    batch = _local(n_real=50, n_syn=400, ratio=0.5, **big).sample()
    seen = np.concatenate([batch.context_index[0][~batch.context_synthetic[0]],
                           batch.query_index[0][~batch.query_synthetic[0]]])
    assert sorted(seen.tolist()) == list(range(50))
    sampler = _local(n_real=50, n_syn=400, ratio=0.5, **big)
    whole = WholeTableSampler(sampler.X_real, sampler.y_real, sampler.X_synthetic, sampler.y_synthetic,
                              synthetic_ratio=0.5, **big, query_fraction=0.2,
                              n_classes=2, categorical_mask=np.zeros(1, bool), random_state=0)
    for a, b in zip(vars(sampler.sample()).values(), vars(whole.sample()).values()):
        np.testing.assert_array_equal(a, b)  # the same views, draw for draw
    only = _local(n_real=0, n_syn=400, ratio=1.0).sample()
    assert only.context_synthetic.all() and only.query_synthetic.all()


def test_make_sampler_builds_local_views_for_context_local():
    Z, codes = np.random.default_rng(0).normal(size=(80, 2)), np.arange(80) % 2
    common = dict(synthetic_ratio=0.0, placement="both", episode_size=96, query_fraction=0.2, max_context=32,
                  max_query=8, n_classes=2, categorical_mask=np.zeros(2, bool), seed=0)
    assert type(make_sampler("whole_table", Z, codes, np.arange(60), None, None, context="local",
                             **common)) is LocalViewSampler
    assert type(make_sampler("whole_table", Z, codes, np.arange(60), None, None, **common)) is WholeTableSampler
