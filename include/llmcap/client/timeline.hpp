#pragma once

#include <llmcap/core/clock.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <concepts> // same_as

namespace llmcap::client {

/**
 * \concept timeline
 * Where a load driver reads the time and waits: the wall clock for a real server, a virtual
 * clock for the emulator's in-process endpoint (DESIGN.md §3, StreamingEndpoint).
 *
 * 1. `t.now()` is the current time on the timeline's clock (a trace_clock time_point).
 * 2. `t.make_timer(executor)` returns a timer with steady_timer's interface for what a driver
 *    uses: `expires_at(time_point)` (cancelling a pending wait), `async_wait(token)` (ends at
 *    the expiry, or with operation_aborted on `cancel()`) and `cancel()`.
 *
 * An endpoint names its timeline by a member `timeline()`; one without (client::http_endpoint)
 * runs on wall_timeline (timeline_of).
 */
template <class T>
concept timeline = requires(T& t, const T& ct, const boost::asio::any_io_executor& ex) {
    { ct.now() } -> std::same_as<time_point>;
    t.make_timer(ex);
};

/// The wall clock: trace_clock and Asio's steady_timer. Stateless.
struct wall_timeline {
    /// stamp().
    [[nodiscard]] time_point now() const noexcept {
        return stamp();
    }
    /// A steady_timer on `ex`, expiring never until set.
    [[nodiscard]] boost::asio::steady_timer make_timer(const boost::asio::any_io_executor& ex) {
        return boost::asio::steady_timer(ex, time_point::max());
    }
};

static_assert(timeline<wall_timeline>);

/// The timeline an endpoint runs on: `e.timeline()` when it has one, else the wall clock.
template <class Endpoint>
[[nodiscard]] decltype(auto) timeline_of(Endpoint& e) {
    if constexpr (requires { e.timeline(); })
        return e.timeline();
    else
        return wall_timeline{};
}

} // namespace llmcap::client
