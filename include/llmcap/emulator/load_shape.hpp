#pragma once

#include <llmcap/core/clock.hpp>

#include <cstdint>  // uint32_t
#include <optional> // optional
#include <variant>  // variant

namespace llmcap::emulator {

/**
 * Closed loop at fixed concurrency: `concurrency` requests start together and each one that
 * ends is replaced at once by the next, so exactly that many are in flight. The first
 * `warmup_requests` started are excluded from the results; the next `measured_requests` are
 * reported. With a `start_window`, requests start only during that time after the first ones,
 * so long cells run fewer requests (the way a benchmark with a time limit per cell behaves).
 */
struct closed_loop {
    /// Requests in flight.
    std::uint32_t concurrency = 1;
    /// Requests started first and not reported.
    std::uint32_t warmup_requests = 0;
    /// Requests reported.
    std::uint32_t measured_requests = 1;
    /**
     * True: keep starting (unreported) requests until every measured one has ended, so each
     * measured request runs with exactly `concurrency` in flight. False: stop starting after
     * the last measured request, and the final ones finish with fewer in flight.
     */
    bool hold_concurrency = true;
    /// When set, no reported request starts later than this after the first ones.
    std::optional<duration> start_window;
};

/**
 * Open loop: requests arrive as a Poisson process of rate `rate_per_s`, each intended to start
 * at its arrival. With `max_concurrency` > 0 a request that arrives while that many are in
 * flight is sent when one ends; its latencies still count from its arrival.
 */
struct poisson_arrivals {
    /// Mean arrivals per second.
    double rate_per_s = 1.0;
    /// Requests arriving first and not reported.
    std::uint32_t warmup_requests = 0;
    /// Requests reported.
    std::uint32_t measured_requests = 1;
    /// Most requests in flight; 0 for no limit.
    std::uint32_t max_concurrency = 0;
};

/// The load shapes the simulator drives.
using load_shape = std::variant<closed_loop, poisson_arrivals>;

} // namespace llmcap::emulator
