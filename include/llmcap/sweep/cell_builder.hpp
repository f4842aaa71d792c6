#pragma once

#include <llmcap/analysis/cell_recorder.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/analysis/request_metrics.hpp>
#include <llmcap/analysis/traffic_mix.hpp>
#include <llmcap/core/clock.hpp>
#include <llmcap/core/error.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/stats/exact_quantiles.hpp>
#include <llmcap/sweep/result.hpp>

#include <algorithm> // min, max, find
#include <cmath>     // abs
#include <cstdint>   // uint64_t
#include <limits>    // numeric_limits
#include <map>       // map
#include <optional>  // optional
#include <string>    // string
#include <utility>   // move
#include <vector>    // vector

namespace llmcap::sweep {

/// What a cell result needs besides its requests.
struct cell_context {
    /// Why the cell stopped.
    workload::stop_reason stop_reason = workload::stop_reason::request_count;
    /// Why the cell could not run, when stop_reason is error.
    std::string stop_error;
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
    /// A session cell's conversation counts (the turns are taken from the requests).
    std::optional<session_record> sessions;
    /// A dataset cell's records.
    std::optional<dataset_record> dataset;
};

/// Tolerance of the prompt-length check: a prompt more than 1% off its target flags the cell.
inline constexpr double prompt_tolerance = 0.01;
/// Tolerance of the client-lag check: a P99 lag over 1% of the mean TTFT flags the cell.
inline constexpr double client_lag_tolerance = 0.01;

/**
 * Builds a cell_result from a cell's finished requests (a trace_sink for one cell): statistics
 * through analysis::cell_recorder over the measured requests, failures by kind with example
 * messages, the prompt-length and client-lag checks. Each request is folded in as it is
 * recorded: no trace is kept (an open-loop cell keeps each request's arrival, end and TTFT for
 * its saturation check). Warm-up requests are only counted. Deterministic: the same
 * traces in the same order give the same result.
 */
class cell_builder {
public:
    /// A builder for the cell `key`; a session cell (key.sessions) of `turns` turns per
    /// conversation also gathers the requests by turn; a mix cell (`mix` set, with the run's
    /// `seed` and the index of the cell's first request, warm-ups included) also gathers them by
    /// class (analysis::mix_class_of of each request's position in the cell).
    explicit cell_builder(cell_key key, std::uint32_t turns = 0,
                          const analysis::traffic_mix* mix = nullptr, std::uint64_t seed = 0,
                          std::uint64_t first_index = 0)
        : recorder_(std::move(key)), turns_(turns),
          scheduled_(recorder_.key().rate_per_s.has_value() ||
                     recorder_.key().use_case == trace_cell_name),
          seed_(seed), first_index_(first_index) {
        if (mix == nullptr)
            return;
        mix_ = *mix;
        for (const analysis::mix_class& m : mix_->classes)
            classes_.emplace_back(cell_key{m.workload.context_tokens, m.workload.output_tokens,
                                           recorder_.key().concurrency, m.workload.name,
                                           recorder_.key().rate_per_s});
    }

    /// Records one finished request.
    void record(const request_trace& t, bool warmup) {
        if (warmup) {
            ++warmup_;
            return;
        }
        recorder_.record(t);
        if (recorder_.key().sessions)
            turns_.record(t);
        if (mix_)
            classes_[analysis::mix_class_of(*mix_, seed_, t.index - first_index_)].record(t);
        if (t.failure) {
            std::vector<std::string>& examples = examples_[*t.failure];
            if (examples.size() < 3 &&
                std::find(examples.begin(), examples.end(), t.error_message) == examples.end())
                examples.push_back(t.error_message);
        }
        if (t.usage)
            add_prompt(t.usage->prompt_tokens, t.prompt_tokens_target);
        const auto lag = analysis::client_lag(t);
        if (lag)
            lags_.add(to_seconds(*lag));
        if (!lag || to_seconds(*lag) > open_loop_lag_tolerance_s)
            ++late_requests_; // sent late, or never sent
        if (t.send) {
            ++sends_;
            first_send_ = first_send_ ? std::min(*first_send_, *t.send) : *t.send;
            last_send_ = last_send_ ? std::max(*last_send_, *t.send) : *t.send;
        }
        first_ = first_ ? std::min(*first_, t.intended_start) : t.intended_start;
        last_ = last_ ? std::max(*last_, t.end) : t.end;
        last_intended_ =
            last_intended_ ? std::max(*last_intended_, t.intended_start) : t.intended_start;
        if (scheduled()) {
            const std::optional<time_point> first_token = t.first_token_time();
            spans_.push_back(
                {t.intended_start, t.end,
                 t.ok() && first_token ? to_seconds(*first_token - t.intended_start) : -1.0});
        }
    }

    /// Warm-up requests counted.
    [[nodiscard]] std::uint64_t warmup_requests() const noexcept {
        return warmup_;
    }

    /// The cell's result.
    [[nodiscard]] cell_result finish(const cell_context& ctx) const {
        cell_result c;
        c.key = recorder_.key();
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
            const auto it = examples_.find(e);
            c.failures.push_back(failure_count{
                e, n, it == examples_.end() ? std::vector<std::string>{} : it->second});
        }
        c.prompt = prompt_check();
        c.client_lag = lag_check(c.summary);
        if (c.key.rate_per_s) {
            c.arrivals = arrivals(*c.key.rate_per_s);
        } else if (scheduled()) { // a trace: the rate its schedule offered
            const double scheduled_s =
                first_ && last_intended_ ? to_seconds(*last_intended_ - *first_) : 0.0;
            c.arrivals = arrivals(scheduled_s > 0.0
                                      ? static_cast<double>(recorder_.started() - 1) / scheduled_s
                                      : std::numeric_limits<double>::quiet_NaN());
        }
        c.server = ctx.server;
        c.energy = ctx.energy;
        if (c.energy && recorder_.output_tokens_total() > 0)
            c.energy->joules_per_output_token =
                c.energy->energy_j / static_cast<double>(recorder_.output_tokens_total());
        c.energy_error = ctx.energy_error;
        c.dataset = ctx.dataset;
        for (const analysis::cell_recorder<>& k : classes_)
            c.classes.push_back(
                mix_class_cell{k.key().use_case, k.started(), k.succeeded(), k.summary()});
        if (mix_)
            c.first_index = first_index_;
        c.stop_reason = ctx.stop_reason;
        c.stop_error = ctx.stop_error;
        c.complete = ctx.complete;
        c.simulated = ctx.simulated;
        c.wall_start = ctx.wall_start;
        c.wall_end = ctx.wall_end;
        if (first_ && last_) {
            c.start_ns = to_nanoseconds(*first_ - ctx.origin);
            c.end_ns = to_nanoseconds(*last_ - ctx.origin);
        }
        c.sketches = recorder_.metrics_json();
        c.cache.usage_cached_tokens =
            recorder_.cache_reports(analysis::cache_report::usage_cached_tokens);
        c.cache.timings_cache_n = recorder_.cache_reports(analysis::cache_report::timings_cache_n);
        c.cache.impossible = recorder_.cache_impossible();
        if (recorder_.key().sessions) {
            session_record& s = c.sessions.emplace(ctx.sessions.value_or(session_record{}));
            s.turns = turns_.statistics();
            s.conversation_time_s = turns_.conversation_time();
        }
        return c;
    }

private:
    void add_prompt(std::uint64_t n, std::uint64_t request_target) {
        prompt_.min_tokens = prompt_.reported == 0 ? n : std::min(prompt_.min_tokens, n);
        prompt_.max_tokens = prompt_.reported == 0 ? n : std::max(prompt_.max_tokens, n);
        ++prompt_.reported;
        prompt_sum_ += static_cast<double>(n);
        // A session's prompts are whole histories: no length was aimed for.
        const std::uint64_t target = recorder_.key().sessions ? 0
                                     : request_target > 0     ? request_target
                                                              : recorder_.key().context_tokens;
        if (target > 0) {
            if (n == target)
                ++prompt_.exact;
            const double err = std::abs(static_cast<double>(n) - static_cast<double>(target)) /
                               static_cast<double>(target);
            prompt_.max_relative_error = std::max(prompt_.max_relative_error, err);
        }
    }

    [[nodiscard]] prompt_length_check prompt_check() const {
        prompt_length_check p = prompt_;
        p.target_tokens = recorder_.key().sessions ? 0 : recorder_.key().context_tokens;
        if (p.reported > 0)
            p.mean_tokens = prompt_sum_ / static_cast<double>(p.reported);
        // A cell with a target must show that its prompts met it.
        p.flagged =
            p.target_tokens > 0 && (p.reported == 0 || p.max_relative_error > prompt_tolerance);
        return p;
    }

    /// The saturation figures of an open-loop cell (arrival_check's backlog and TTFT by quarter).
    void trend(arrival_check& a) const {
        const std::size_t n = spans_.size();
        if (n < 2)
            return;
        std::vector<arrival_span> by_start = spans_;
        std::stable_sort(
            by_start.begin(), by_start.end(),
            [](const arrival_span& x, const arrival_span& y) { return x.arrival < y.arrival; });
        std::vector<time_point> ends;
        for (const arrival_span& s : by_start)
            ends.push_back(s.end);
        std::sort(ends.begin(), ends.end());
        // Backlog at request i's arrival: requests that arrived before it, less those finished.
        std::vector<double> backlog(n);
        for (std::size_t i = 0; i < n; ++i) {
            const auto done = static_cast<std::size_t>(
                std::upper_bound(ends.begin(), ends.end(), by_start[i].arrival) - ends.begin());
            backlog[i] = static_cast<double>(i > done ? i - done : 0);
        }
        enum class of { queue, ttft, e2e };
        const auto median = [&](std::size_t from, std::size_t to, of what) {
            std::vector<double> v;
            for (std::size_t i = from; i < to; ++i)
                if (what == of::queue)
                    v.push_back(backlog[i]);
                else if (what == of::e2e)
                    v.push_back(to_seconds(by_start[i].end - by_start[i].arrival));
                else if (by_start[i].ttft_s >= 0.0)
                    v.push_back(by_start[i].ttft_s);
            if (v.empty())
                return std::numeric_limits<double>::quiet_NaN();
            std::sort(v.begin(), v.end());
            const std::size_t m = v.size() / 2;
            return v.size() % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2.0;
        };
        // The timeline: the requests by slice of the arrivals, medians of each slice.
        const time_point t0 = by_start.front().arrival;
        const double whole = to_seconds(by_start.back().arrival - t0);
        const std::size_t slices = std::min(timeline_slices, n);
        for (std::size_t k = 0, i = 0; k < slices; ++k) {
            const double end_s = whole * static_cast<double>(k + 1) / static_cast<double>(slices);
            const std::size_t from = i;
            while (i < n && (k + 1 == slices || to_seconds(by_start[i].arrival - t0) < end_s))
                ++i;
            if (i == from)
                continue;
            a.timeline.push_back(
                {whole * (static_cast<double>(k) + 0.5) / static_cast<double>(slices),
                 median(from, i, of::queue), median(from, i, of::ttft)});
        }
        if (n < saturation_min_requests)
            return;
        const std::size_t q = n / 4;
        a.backlog_early = median(q, 2 * q, of::queue);
        a.backlog_late = median(n - q, n, of::queue);
        a.ttft_early_s = median(q, 2 * q, of::ttft);
        a.ttft_late_s = median(n - q, n, of::ttft);
        a.e2e_early_s = median(q, 2 * q, of::e2e);
        a.e2e_late_s = median(n - q, n, of::e2e);
        a.backlog_mid = median(2 * q, 3 * q, of::queue);
        a.e2e_mid_s = median(2 * q, 3 * q, of::e2e);
        a.too_short = whole < saturation_min_span * median(0, q, of::e2e);
        // A queue that grows without bound grows throughout: by the third quarter it is about
        // halfway to the last quarter's. A burst of arrivals near the end raises the last
        // quarter alone.
        const double halfway = (1.0 + saturation_growth) / 2.0;
        a.saturated = !a.too_short && a.backlog_late >= saturation_growth * a.backlog_early &&
                      a.backlog_late >= a.backlog_early + 2.0 &&
                      a.e2e_late_s >= saturation_growth * a.e2e_early_s &&
                      a.backlog_mid >= halfway * a.backlog_early &&
                      a.backlog_mid >= a.backlog_early + 1.0 &&
                      a.e2e_mid_s >= halfway * a.e2e_early_s;
    }

    /// True for a cell whose requests were sent on a schedule: open loop or trace replay.
    [[nodiscard]] bool scheduled() const noexcept {
        return scheduled_;
    }

    [[nodiscard]] arrival_check arrivals(double offered) const {
        arrival_check a;
        trend(a);
        a.late_requests = late_requests_;
        a.offered_rate_per_s = offered;
        if (sends_ >= 2 && *last_send_ > *first_send_)
            a.achieved_rate_per_s =
                static_cast<double>(sends_ - 1) / to_seconds(*last_send_ - *first_send_);
        if (lags_.count() > 0) {
            a.lag_p50_s = lags_.quantile(0.5);
            a.lag_p99_s = lags_.quantile(0.99);
            a.lag_max_s = lags_.quantile(1.0);
            a.late = a.lag_p99_s > open_loop_lag_tolerance_s;
        }
        return a;
    }

    [[nodiscard]] client_lag_check lag_check(const analysis::cell_summary& s) const {
        client_lag_check l;
        if (lags_.count() > 0)
            l.p99_s = lags_.quantile(0.99);
        if (const auto m = s.value(analysis::metric::ttft, analysis::statistic::mean))
            l.mean_ttft_s = *m;
        l.flagged = l.p99_s == l.p99_s && l.mean_ttft_s == l.mean_ttft_s &&
                    l.p99_s > client_lag_tolerance * l.mean_ttft_s;
        return l;
    }

    analysis::cell_recorder<> recorder_;
    analysis::turn_recorder turns_;
    bool scheduled_; // open loop or trace replay: arrivals on a schedule
    std::map<error, std::vector<std::string>> examples_;
    prompt_length_check prompt_;
    double prompt_sum_ = 0.0;
    stats::exact_quantiles lags_;
    std::uint64_t sends_ = 0;
    std::optional<time_point> first_send_;
    std::optional<time_point> last_send_;
    std::optional<time_point> first_;
    std::optional<time_point> last_;
    std::uint64_t warmup_ = 0;
    /// An open-loop cell's measured request: its scheduled arrival, its end and its TTFT from
    /// the arrival (−1 when it failed or had no token).
    struct arrival_span {
        time_point arrival;
        time_point end;
        double ttft_s = -1.0;
    };
    std::vector<arrival_span> spans_;
    std::optional<time_point> last_intended_;
    std::uint64_t late_requests_ = 0;
    std::uint64_t seed_ = 0;
    std::uint64_t first_index_ = 0;
    std::optional<analysis::traffic_mix> mix_;
    std::vector<analysis::cell_recorder<>> classes_; // a mix cell's, by class
};

} // namespace llmcap::sweep
