#pragma once

#include <concepts> // copyable, default_initializable, equality_comparable, same_as
#include <cstdint>  // uint64_t

namespace llmcap::stats {

/// \concept sketch_accumulator
/// The recording half of a quantile sketch.
/// 1. `add(x)` records one sample. Finite samples x >= 0 are counted by `count()`; NaN, infinite
///    and negative samples are counted by `invalid_count()` only and take no further part.
/// 2. `underflow_count()` / `overflow_count()` count the samples of `count()` that fell below /
///    above the range the model can index with its error guarantee (always 0 for an unbounded
///    model that never needs them).
template <class S>
concept sketch_accumulator = requires(S& s, const S& cs, double x) {
    s.add(x);
    { cs.count() } -> std::same_as<std::uint64_t>;
    { cs.underflow_count() } -> std::same_as<std::uint64_t>;
    { cs.overflow_count() } -> std::same_as<std::uint64_t>;
    { cs.invalid_count() } -> std::same_as<std::uint64_t>;
};

/// \concept sketch_mergeable
/// 1. `merge(o)` leaves the sketch equal (`==`) to one that received both sample sets; the
///    result does not depend on the order or grouping of merges (bit-identical state).
/// 2. Merging sketches whose configurations cannot be combined throws std::invalid_argument.
template <class S>
concept sketch_mergeable = std::equality_comparable<S> && requires(S& s, const S& cs) {
    s.merge(cs);
};

/// \concept sketch_query
/// 1. `quantile(q)`, q in [0, 1], estimates the sample quantile with linear interpolation
///    between closest ranks (numpy's default `linear` method). quantile(0) == min() and
///    quantile(1) == max() exactly; an empty sketch answers NaN; q outside [0, 1] or NaN throws
///    std::invalid_argument.
/// 2. `relative_error()` is the guaranteed bound: when `within_guarantee(q)` is true,
///    |quantile(q) - exact| <= relative_error() * exact, where exact is the numpy `linear`
///    quantile of the same samples. 0 for an exact model.
/// 3. `min()`, `max()`, `sum()`, `mean()` cover the samples of `count()` (NaN when empty).
template <class S>
concept sketch_query = requires(const S& cs, double q) {
    { cs.quantile(q) } -> std::same_as<double>;
    { cs.within_guarantee(q) } -> std::same_as<bool>;
    { cs.relative_error() } -> std::same_as<double>;
    { cs.min() } -> std::same_as<double>;
    { cs.max() } -> std::same_as<double>;
    { cs.sum() } -> std::same_as<double>;
    { cs.mean() } -> std::same_as<double>;
};

/// \concept quantile_sketch
/// Mergeable summary of non-negative samples answering quantile queries in the samples' unit
/// (seconds for durations, tokens/s for speeds). A value type: default-constructible with the
/// model's default configuration, copyable, equality-comparable. Requirements:
/// 1. sketch_accumulator: add() and the sample tallies.
/// 2. sketch_mergeable: exact, order-independent merge.
/// 3. sketch_query: quantiles within a stated relative error, min, max, sum, mean.
/// Bounded models (log_linear_histogram) also never allocate, lock or use atomics in add().
template <class S>
concept quantile_sketch = std::default_initializable<S> && std::copyable<S> &&
    sketch_accumulator<S> && sketch_mergeable<S> && sketch_query<S>;

} // namespace llmcap::stats
