#pragma once

#include <llmcap/core/clock.hpp>

#include <algorithm> // min, max
#include <cmath>     // ceil
#include <concepts>  // same_as
#include <cstddef>   // size_t
#include <cstdint>   // uint32_t
#include <optional>  // optional
#include <random>    // mt19937_64, exponential_distribution, gamma_distribution
#include <stdexcept> // invalid_argument

namespace llmcap::workload {

/**
 * \concept load_shape
 * Decides when the next request may start (DESIGN.md §3, LoadShape).
 * 1. `l.next_start(now, in_flight)` gives the intended start of the next request: a time at or
 *    before `now` means "start it now, with that intended start"; a later time means "not
 *    before then"; empty means "not until a request ends". It does not consume the start.
 * 2. `l.started()` consumes it: the driver calls it once per request it starts.
 * 3. `l.cap()` is the most requests in flight (0: no limit). A request whose intended start
 *    has come waits for a free slot while `cap()` are in flight; its latencies still count from
 *    its intended start (no coordinated omission).
 */
template <class L>
concept load_shape = requires(L& l, const L& cl, time_point now, std::size_t in_flight) {
    { l.next_start(now, in_flight) } -> std::same_as<std::optional<time_point>>;
    l.started();
    { cl.cap() } -> std::same_as<std::size_t>;
};

/// Closed loop at fixed concurrency: exactly `concurrency` requests in flight; a new one starts
/// the moment one ends.
class closed_loop {
public:
    /// Throws std::invalid_argument for a concurrency of 0.
    explicit closed_loop(std::uint32_t concurrency) : concurrency_(concurrency) {
        if (concurrency == 0)
            throw std::invalid_argument("closed_loop: concurrency must be at least 1");
    }
    /// Now while fewer than `concurrency` are in flight, else after the next end.
    [[nodiscard]] std::optional<time_point> next_start(time_point now,
                                                       std::size_t in_flight) const {
        if (in_flight < concurrency_)
            return now;
        return std::nullopt;
    }
    /// Nothing to consume.
    void started() noexcept {}
    /// The concurrency.
    [[nodiscard]] std::size_t cap() const noexcept {
        return concurrency_;
    }

private:
    std::uint32_t concurrency_;
};

/**
 * Open loop: arrivals with mean rate `rate_per_s` and gamma-distributed gaps of shape
 * `burstiness` (1: Poisson, exponential gaps; below 1: burstier; above 1: more regular, as
 * vLLM's benchmark defines it), from a seeded generator the caller owns. An optional cap on
 * requests in flight.
 */
class open_loop {
public:
    /// Starts at `origin`. Throws std::invalid_argument for a rate or burstiness that is not
    /// positive. `rng` must outlive the shape.
    open_loop(double rate_per_s, double burstiness, std::uint32_t max_concurrency,
              std::mt19937_64& rng, time_point origin)
        : rate_(rate_per_s), burstiness_(burstiness), cap_(max_concurrency), rng_(&rng) {
        if (!(rate_per_s > 0.0))
            throw std::invalid_argument("open_loop: rate_per_s must be positive");
        if (!(burstiness > 0.0))
            throw std::invalid_argument("open_loop: burstiness must be positive");
        next_ = origin + gap();
    }
    /// The next arrival, whatever is in flight.
    [[nodiscard]] std::optional<time_point> next_start(time_point, std::size_t) const {
        return next_;
    }
    /// Draws the following arrival.
    void started() {
        next_ += gap();
    }
    /// The concurrency cap (0: none).
    [[nodiscard]] std::size_t cap() const noexcept {
        return cap_;
    }

private:
    [[nodiscard]] duration gap() {
        // Gamma(k, θ) with k θ = 1 / rate: mean gap 1/rate for every burstiness.
        std::gamma_distribution<double> g(burstiness_, 1.0 / (burstiness_ * rate_));
        return from_seconds(g(*rng_));
    }

    double rate_;
    double burstiness_;
    std::size_t cap_;
    std::mt19937_64* rng_;
    time_point next_{};
};

/// A linear ramp of concurrency: `from` requests in flight at `origin`, rising evenly to `to`
/// over `over`, then held (a closed loop whose level grows with time).
class linear_ramp {
public:
    /// Throws std::invalid_argument when `from` or `to` is 0 or `over` is not positive.
    linear_ramp(std::uint32_t from, std::uint32_t to, duration over, time_point origin)
        : from_(from), to_(to), over_(over), origin_(origin) {
        if (from == 0 || to == 0)
            throw std::invalid_argument("linear_ramp: levels must be at least 1");
        if (over <= duration::zero())
            throw std::invalid_argument("linear_ramp: the ramp must last a positive time");
    }
    /// The level at `t`: from + (to − from) · elapsed / over, rounded down, clamped.
    [[nodiscard]] std::uint32_t level(time_point t) const noexcept {
        if (t <= origin_)
            return from_;
        if (t - origin_ >= over_)
            return to_;
        const double f = to_seconds(t - origin_) / to_seconds(over_);
        const double l = static_cast<double>(from_) + (static_cast<double>(to_) - from_) * f;
        return static_cast<std::uint32_t>(l);
    }
    /// Now below the current level; else when the level first exceeds `in_flight` (empty when
    /// it never will).
    [[nodiscard]] std::optional<time_point> next_start(time_point now,
                                                       std::size_t in_flight) const {
        if (in_flight < level(now))
            return now;
        if (to_ <= from_ || in_flight >= to_)
            return std::nullopt;
        const double f =
            (static_cast<double>(in_flight + 1) - from_) / (static_cast<double>(to_) - from_);
        return origin_ + from_seconds(std::ceil(f * to_seconds(over_) * 1e9) / 1e9);
    }
    /// Nothing to consume.
    void started() noexcept {}
    /// The highest level.
    [[nodiscard]] std::size_t cap() const noexcept {
        return std::max(from_, to_);
    }

private:
    std::uint32_t from_;
    std::uint32_t to_;
    duration over_;
    time_point origin_;
};

/// Trace replay: arrivals at given offsets from an origin (a trace's times, scaled), in order,
/// with an optional cap on requests in flight; no arrival after the last offset.
class scheduled_arrivals {
public:
    /// Arrivals at `origin` + each of `offsets` (non-decreasing).
    scheduled_arrivals(std::vector<duration> offsets, std::uint32_t max_concurrency,
                       time_point origin)
        : offsets_(std::move(offsets)), cap_(max_concurrency), origin_(origin) {}
    /// The next arrival; empty after the last.
    [[nodiscard]] std::optional<time_point> next_start(time_point, std::size_t) const {
        if (next_ >= offsets_.size())
            return std::nullopt;
        return origin_ + offsets_[next_];
    }
    /// Moves to the following arrival.
    void started() noexcept {
        ++next_;
    }
    /// The concurrency cap (0: none).
    [[nodiscard]] std::size_t cap() const noexcept {
        return cap_;
    }

private:
    std::vector<duration> offsets_;
    std::size_t cap_;
    time_point origin_;
    std::size_t next_ = 0;
};

static_assert(load_shape<closed_loop>);
static_assert(load_shape<open_loop>);
static_assert(load_shape<scheduled_arrivals>);
static_assert(load_shape<linear_ramp>);

} // namespace llmcap::workload
