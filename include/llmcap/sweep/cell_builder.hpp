#pragma once

#include <llmcap/analysis/cell_recorder.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/analysis/request_metrics.hpp>
#include <llmcap/core/clock.hpp>
#include <llmcap/core/error.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/sweep/result.hpp>

#include <algorithm> // sort, min, max, find
#include <cmath>     // abs, floor
#include <cstdint>   // uint64_t
#include <limits>    // numeric_limits
#include <optional>  // optional
#include <string>    // string
#include <utility>   // move
#include <vector>    // vector

namespace llmcap::sweep {

/// What a cell result needs besides its requests.
struct cell_context {
    /// Why the cell stopped.
    std::string stop_reason = "request_count";
    /// False when the run was stopped during the cell.
    bool complete = true;
    /// True for a simulated cell.
    bool simulated = false;
    /// The run's start: `start_ns`/`end_ns` count from it.
    time_point origin{};
    /// Wall-clock start and end, ISO 8601 UTC.
    std::string wall_start;
    /// Wall-clock end.
    std::string wall_end;
    /// What the server reported.
    std::optional<server_metrics_record> server;
    /// GPU energy over the cell.
    std::optional<energy_record> energy;
    /// Why a configured energy meter gave no reading.
    std::string energy_error;
};

/// Tolerance of the prompt-length check: a prompt more than 1% off its target flags the cell.
inline constexpr double prompt_tolerance = 0.01;
/// Tolerance of the client-lag check: a P99 lag over 1% of the mean TTFT flags the cell.
inline constexpr double client_lag_tolerance = 0.01;

/**
 * Builds a cell_result from a cell's finished requests (a trace_sink for one cell): statistics
 * through analysis::cell_recorder over the measured requests, failures by kind with example
 * messages, the prompt-length and client-lag checks. Keeps the measured traces (for the
 * server-metrics computation and tests); warm-up requests are only counted. Deterministic: the
 * same traces in the same order give the same result.
 */
class cell_builder {
public:
    /// A builder for the cell `key`.
    explicit cell_builder(cell_key key)
        : key_(std::move(key)),
          recorder_(analysis::cell_key{key_.context_tokens, key_.output_tokens, key_.concurrency}) {
    }

    /// Records one finished request.
    void record(const request_trace& t, bool warmup) {
        if (warmup) {
            ++warmup_;
            return;
        }
        recorder_.record(t);
        traces_.push_back(t);
    }

    /// The measured requests recorded so far, in completion order.
    [[nodiscard]] const std::vector<request_trace>& traces() const noexcept {
        return traces_;
    }

    /// Warm-up requests counted.
    [[nodiscard]] std::uint64_t warmup_requests() const noexcept {
        return warmup_;
    }

    /// The cell's result.
    [[nodiscard]] cell_result finish(const cell_context& ctx) const {
        cell_result c;
        c.key = key_;
        c.summary = recorder_.summary();
        c.warmup_requests = warmup_;
        c.requests_started = recorder_.started();
        c.requests_succeeded = recorder_.succeeded();
        c.short_outputs = recorder_.short_outputs();
        c.burst_streams = recorder_.burst_streams();
        for (error e : all_errors) {
            const std::uint64_t n = recorder_.failures(e);
            if (n == 0)
                continue;
            failure_count f{e, n, {}};
            for (const request_trace& t : traces_) {
                if (f.examples.size() >= 3)
                    break;
                if (t.failure == e && std::find(f.examples.begin(), f.examples.end(),
                                                t.error_message) == f.examples.end())
                    f.examples.push_back(t.error_message);
            }
            c.failures.push_back(std::move(f));
        }
        c.prompt = prompt_check();
        c.client_lag = lag_check(c.summary);
        c.server = ctx.server;
        c.energy = ctx.energy;
        if (c.energy && recorder_.output_tokens_total() > 0)
            c.energy->joules_per_output_token =
                c.energy->energy_j / static_cast<double>(recorder_.output_tokens_total());
        c.energy_error = ctx.energy_error;
        c.stop_reason = ctx.stop_reason;
        c.complete = ctx.complete;
        c.simulated = ctx.simulated;
        c.wall_start = ctx.wall_start;
        c.wall_end = ctx.wall_end;
        if (!traces_.empty()) {
            time_point first = traces_.front().intended_start;
            time_point last = traces_.front().end;
            for (const request_trace& t : traces_) {
                first = std::min(first, t.intended_start);
                last = std::max(last, t.end);
            }
            c.start_ns = to_nanoseconds(first - ctx.origin);
            c.end_ns = to_nanoseconds(last - ctx.origin);
        }
        const boost::json::value rec = recorder_.to_json();
        if (const boost::json::value* m = rec.as_object().if_contains("metrics");
            m && m->is_object())
            c.sketches = m->as_object();
        return c;
    }

private:
    [[nodiscard]] prompt_length_check prompt_check() const {
        prompt_length_check p;
        p.target_tokens = key_.context_tokens;
        double sum = 0.0;
        for (const request_trace& t : traces_) {
            if (!t.usage)
                continue;
            const std::uint64_t n = t.usage->prompt_tokens;
            p.min_tokens = p.reported == 0 ? n : std::min(p.min_tokens, n);
            p.max_tokens = p.reported == 0 ? n : std::max(p.max_tokens, n);
            ++p.reported;
            sum += static_cast<double>(n);
            const std::uint64_t target =
                t.prompt_tokens_target > 0 ? t.prompt_tokens_target : p.target_tokens;
            if (target > 0) {
                if (n == target)
                    ++p.exact;
                const double err = std::abs(static_cast<double>(n) - static_cast<double>(target)) /
                                   static_cast<double>(target);
                p.max_relative_error = std::max(p.max_relative_error, err);
            }
        }
        if (p.reported > 0)
            p.mean_tokens = sum / static_cast<double>(p.reported);
        // A cell with a target must show that its prompts met it.
        p.flagged =
            p.target_tokens > 0 && (p.reported == 0 || p.max_relative_error > prompt_tolerance);
        return p;
    }

    [[nodiscard]] client_lag_check lag_check(const analysis::cell_summary& s) const {
        client_lag_check l;
        std::vector<double> lags;
        for (const request_trace& t : traces_)
            if (const auto lag = analysis::client_lag(t))
                lags.push_back(to_seconds(*lag));
        if (!lags.empty()) {
            std::sort(lags.begin(), lags.end());
            // numpy's linear quantile.
            const double h = 0.99 * static_cast<double>(lags.size() - 1);
            const auto lo = static_cast<std::size_t>(std::floor(h));
            const std::size_t hi = std::min(lo + 1, lags.size() - 1);
            l.p99_s = lags[lo] + (h - static_cast<double>(lo)) * (lags[hi] - lags[lo]);
        }
        if (const auto m = s.value(analysis::metric::ttft, analysis::statistic::mean))
            l.mean_ttft_s = *m;
        l.flagged = l.p99_s == l.p99_s && l.mean_ttft_s == l.mean_ttft_s &&
                    l.p99_s > client_lag_tolerance * l.mean_ttft_s;
        return l;
    }

    cell_key key_;
    analysis::cell_recorder<> recorder_;
    std::vector<request_trace> traces_;
    std::uint64_t warmup_ = 0;
};

} // namespace llmcap::sweep
