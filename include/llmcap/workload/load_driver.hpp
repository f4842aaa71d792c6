#pragma once

#include <llmcap/analysis/request_metrics.hpp>
#include <llmcap/analysis/trace_sink.hpp>
#include <llmcap/client/request_context.hpp>
#include <llmcap/client/stop_signal.hpp>
#include <llmcap/client/streaming_endpoint.hpp>
#include <llmcap/client/timeline.hpp>
#include <llmcap/core/clock.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/openai/request.hpp>
#include <llmcap/stats/confidence_interval.hpp>
#include <llmcap/stats/running_moments.hpp>
#include <llmcap/workload/load_shape.hpp>
#include <llmcap/workload/prompt_factory.hpp>
#include <llmcap/workload/request_options.hpp>
#include <llmcap/workload/stop_reason.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cmath>       // abs, isfinite
#include <concepts>    // invocable
#include <cstddef>     // size_t
#include <cstdint>     // uint32_t, uint64_t
#include <exception>   // exception_ptr, rethrow_exception
#include <optional>    // optional
#include <string>      // string
#include <type_traits> // invoke_result_t
#include <utility>     // move

namespace llmcap::workload {

/// A request ready to send, with the prompt length it aims for.
struct prepared_request {
    /// The request body.
    openai::completion_request request;
    /// Prompt tokens aimed for (request_trace::prompt_tokens_target); 0 when unknown.
    std::uint32_t prompt_tokens_target = 0;
};

/// Request `index` with its prompt from `source` for the calibrated target `c`: the request a
/// request_maker over a prompt_source returns.
template <prompt_source Source>
[[nodiscard]] prepared_request request_from(Source& source, const calibrated_prompt& c,
                                            const request_options& options, std::uint64_t index) {
    return {make_request(options, std::string(source.prompt(c, index)), index), c.target_tokens};
}

/// \concept request_maker
/// Makes request `index` of a run: `m(index)` returns a prepared_request (a prompt_source
/// turned into requests, see requests_from()).
template <class M>
concept request_maker = std::invocable<M&, std::uint64_t> &&
    std::convertible_to<std::invoke_result_t<M&, std::uint64_t>, prepared_request>;

/// \concept trace_observer
/// Receives each finished request of a cell: `f(t, warmup)`, once per request, successful or
/// not, in completion order; `warmup` is true for the requests drive() started as warm-up.
/// `f` does not keep a reference to `t` past the call.
template <class F>
concept trace_observer = std::invocable<F&, const request_trace&, bool>;

/**
 * A trace_observer that records each measured (not warm-up) request in `sink` (an
 * analysis::trace_sink: a cell_recorder, a writer), which must outlive it.
 *
 *     analysis::cell_recorder<> cell;
 *     co_await workload::drive(endpoint, shape, make, workload::measured_into(cell), options);
 */
template <analysis::trace_sink Sink>
[[nodiscard]] auto measured_into(Sink& sink) noexcept {
    return [&sink](const request_trace& t, bool warmup) {
        if (!warmup)
            sink.record(t);
    };
}

/// When a cell stops starting measured requests (the ones in flight are then drained).
struct stop_rule {
    /// Measured requests to start; 0 for no count limit (then another rule must end the cell).
    std::uint64_t requests = 0;
    /// Stop starting this long after the first measured request's intended start.
    std::optional<duration> max_duration;
    /// Stop once the 95% confidence intervals of the mean TTFT and of the mean generation speed
    /// are both narrower than ± this fraction of their means (0.05: ±5%). When no request had
    /// a measurable speed (every stream delivered in a burst, analysis::delivered_in_burst),
    /// TTFT alone decides.
    std::optional<double> ci_relative_half_width;
    /// With the confidence rule: successful measured requests needed before it may stop.
    std::uint64_t min_requests = 10;
    /// Most measured requests in any case; 0 for no cap.
    std::uint64_t max_requests = 0;
};

/// Options of drive().
struct driver_options {
    /// Requests started first and excluded from the statistics (reported with warmup = true).
    std::uint64_t warmup_requests = 0;
    /// When the cell ends.
    stop_rule stop;
    /// Index of the first request (request_trace::index); later ones count up.
    std::uint64_t first_index = 0;
    /// The run's stop signal (Ctrl-C): no request starts after it, those in flight end
    /// cancelled. May be null.
    client::stop_signal* stop_signal = nullptr;
};

/// What drive() did.
struct driver_result {
    /// Warm-up requests started.
    std::uint64_t warmup_started = 0;
    /// Measured requests started (each was reported, drained to its end).
    std::uint64_t measured_started = 0;
    /// Measured requests that succeeded.
    std::uint64_t measured_succeeded = 0;
    /// Why the cell stopped: request_count, duration, confidence, max_requests or cancelled.
    workload::stop_reason stop_reason = workload::stop_reason::request_count;
    /// The index the next request of the run should take.
    std::uint64_t next_index = 0;
};

namespace detail {

/// The confidence rule: both means known to ± `fraction` at 95%.
[[nodiscard]] inline bool ci_tight(const stats::running_moments& m, double fraction) {
    if (m.count() < 2)
        return false;
    const stats::confidence_interval ci = stats::mean_confidence_interval(m, 0.95);
    const double mean = m.mean();
    return std::isfinite(ci.lower) && std::isfinite(ci.upper) && mean != 0.0 &&
           ci.half_width() <= fraction * std::abs(mean);
}

/// The measured requests' TTFT and generation speed, for the confidence rule.
struct confidence_tracker {
    stats::running_moments ttft;
    stats::running_moments speed;
    std::uint64_t succeeded = 0;

    /// Records a measured request; true once `rule`'s confidence rule holds (both means known
    /// to ± its fraction after min_requests successes; TTFT alone when no request had a
    /// measurable speed).
    bool record(const request_trace& t, const stop_rule& rule) {
        if (t.ok()) {
            ++succeeded;
            if (const auto v = analysis::ttft(t))
                ttft.add(to_seconds(*v));
            if (const auto v = analysis::generation_speed_tokens_per_s(t))
                speed.add(*v);
        }
        return rule.ci_relative_half_width && succeeded >= rule.min_requests &&
               ci_tight(ttft, *rule.ci_relative_half_width) &&
               (speed.count() == 0 || ci_tight(speed, *rule.ci_relative_half_width));
    }
};

/// Why no measured request may start any more, at `now`; empty while requests may start. The
/// order is the stop rule's: the stop signal, the request count, the cap, the confidence rule,
/// the duration since `first_measured`, and no rule at all (nothing to measure).
[[nodiscard]] inline std::optional<stop_reason>
stop_due(const stop_rule& rule, const client::stop_signal* signal, std::uint64_t measured_started,
         bool confident, std::optional<time_point> first_measured, time_point now) noexcept {
    if (signal != nullptr && signal->stop_requested())
        return stop_reason::cancelled;
    if (rule.requests > 0 && measured_started >= rule.requests)
        return stop_reason::request_count;
    if (rule.max_requests > 0 && measured_started >= rule.max_requests)
        return stop_reason::max_requests;
    if (confident)
        return stop_reason::confidence;
    if (rule.max_duration && first_measured && now >= *first_measured + *rule.max_duration)
        return stop_reason::duration;
    if (rule.requests == 0 && rule.max_requests == 0 && !rule.max_duration &&
        !rule.ci_relative_half_width)
        return stop_reason::request_count;
    return std::nullopt;
}

} // namespace detail

/**
 * Runs one cell's requests on `endpoint` as `shape` decides (DESIGN.md §1, LoadDriver), on the
 * calling coroutine's executor: no threads. Time is read and waited for on the endpoint's
 * timeline (client::timeline_of): the wall clock for a server, virtual time for the emulator's
 * in-process endpoint, so one driver serves `run`, `demo` and `simulate`. Each request runs in its
 * own coroutine; `on_trace(t, warmup)` receives every finished trace, successful or not, in
 * completion order.
 *
 * The first `warmup_requests` started are warm-up. Measured requests start until the stop rule
 * says so; then no more start and those in flight are drained to their end, never abandoned.
 * Latencies count from each request's intended start as the shape gave it. With a stop signal,
 * request_stop() ends the cell: requests in flight end with error::cancelled and are reported.
 * Exceptions thrown by `make` or `on_trace` end the cell after draining and are rethrown.
 */
template <client::streaming_endpoint Endpoint, load_shape Shape, request_maker Make,
          trace_observer OnTrace>
boost::asio::awaitable<driver_result> drive(Endpoint& endpoint, Shape& shape, Make make,
                                            OnTrace on_trace, driver_options options) {
    namespace asio = boost::asio;
    const auto ex = co_await asio::this_coro::executor;
    auto&& clock = client::timeline_of(endpoint);
    auto wake = clock.make_timer(ex);
    driver_result result;
    std::size_t in_flight = 0;
    std::uint64_t started = 0;
    std::optional<time_point> first_measured;
    detail::confidence_tracker measured;
    std::exception_ptr failure;
    bool ci_met = false;
    const stop_rule& rule = options.stop;

    const auto wait_until = [&](time_point t) -> asio::awaitable<void> {
        wake.expires_at(t);
        co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
    };

    const auto run_one = [&](prepared_request p, client::request_context ctx,
                             bool warmup) -> asio::awaitable<void> {
        const request_trace t = co_await endpoint.stream(p.request, ctx);
        if (!warmup) {
            ci_met = measured.record(t, rule) || ci_met;
            result.measured_succeeded = measured.succeeded;
        }
        on_trace(t, warmup);
    };

    for (;;) {
        if (failure)
            break;
        const time_point now = clock.now();
        if (const std::optional<stop_reason> why = detail::stop_due(
                rule, options.stop_signal, result.measured_started, ci_met, first_measured, now)) {
            result.stop_reason = *why;
            break;
        }
        std::optional<time_point> deadline;
        if (rule.max_duration && first_measured)
            deadline = *first_measured + *rule.max_duration;
        const std::optional<time_point> next = shape.next_start(now, in_flight);
        if (!next || (shape.cap() > 0 && in_flight >= shape.cap())) {
            co_await wait_until(deadline.value_or(time_point::max()));
            continue;
        }
        if (*next > now) {
            co_await wait_until(deadline ? std::min(*deadline, *next) : *next);
            continue;
        }
        shape.started();
        const bool warmup = started < options.warmup_requests;
        const std::uint64_t index = options.first_index + started;
        ++started;
        if (warmup) {
            ++result.warmup_started;
        } else {
            ++result.measured_started;
            if (!first_measured)
                first_measured = *next;
        }
        client::request_context ctx;
        ctx.intended_start = *next;
        ctx.index = index;
        ctx.stop = options.stop_signal;
        prepared_request p;
        try {
            p = make(index);
        } catch (...) {
            failure = std::current_exception();
            break;
        }
        ctx.prompt_tokens_target = p.prompt_tokens_target;
        ++in_flight;
        asio::co_spawn(ex, run_one(std::move(p), ctx, warmup), [&](std::exception_ptr e) {
            if (e && !failure)
                failure = e;
            --in_flight;
            wake.cancel();
        });
    }
    while (in_flight > 0)
        co_await wait_until(time_point::max());
    if (failure)
        std::rethrow_exception(failure);
    result.next_index = options.first_index + started;
    co_return result;
}

} // namespace llmcap::workload
