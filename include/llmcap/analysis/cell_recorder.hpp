#pragma once

#include <llmcap/analysis/cell_key.hpp>
#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/analysis/request_metrics.hpp>
#include <llmcap/analysis/trace_sink.hpp>
#include <llmcap/core/clock.hpp>
#include <llmcap/core/error.hpp>
#include <llmcap/core/json_error.hpp>
#include <llmcap/core/json_reader.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/stats/json.hpp>
#include <llmcap/stats/log_linear_histogram.hpp>
#include <llmcap/stats/quantile_sketch.hpp>
#include <llmcap/stats/summary.hpp>

#include <boost/json.hpp>

#include <algorithm>   // min, max
#include <array>       // array
#include <chrono>      // nanoseconds
#include <cmath>       // isfinite
#include <cstddef>     // size_t
#include <cstdint>     // uint32_t, uint64_t, int64_t
#include <limits>      // numeric_limits
#include <optional>    // optional
#include <stdexcept>   // invalid_argument
#include <string>      // string
#include <type_traits> // is_constructible_v
#include <utility>     // move

namespace llmcap::analysis {

/// The range and precision a log_linear_histogram needs for a metric's unit: 1 µs … 1 h for
/// seconds, 0.001 … 10^7 for tokens per second, 1 … 10^7 for tokens; 0.5% relative error.
[[nodiscard]] constexpr stats::log_linear_histogram_config sketch_config_for(metric m) noexcept {
    switch (unit_of(m)) {
    case metric_unit::seconds:
        return {1e-6, 3600.0, 0.005};
    case metric_unit::tokens_per_s:
        return {1e-3, 1e7, 0.005};
    case metric_unit::tokens:
        return {1.0, 1e7, 0.005};
    case metric_unit::fraction:
        return {1e-6, 1.0, 0.005};
    case metric_unit::requests:
        return {1.0, 1e7, 0.005};
    }
    return {};
}

/// An empty sketch for a metric: configured by sketch_config_for when the sketch takes a
/// log_linear_histogram_config, default-constructed otherwise.
template <stats::quantile_sketch Sketch>
[[nodiscard]] Sketch make_sketch_for(metric m) {
    if constexpr (std::is_constructible_v<Sketch, const stats::log_linear_histogram_config&>)
        return Sketch(sketch_config_for(m));
    else
        return Sketch{};
}

/**
 * Aggregates the requests of one cell (a trace_sink): per metric a quantile sketch with running
 * moments (stats::sample_statistics), success and failure counts by kind, short and estimated
 * outputs, token totals and the throughput window.
 *
 * What is recorded:
 * - every request counts as started; a request with no failure counts as succeeded, the others
 *   by failure kind;
 * - the distributions hold the successful requests only (a failure's partial timings would mix
 *   two populations), except client lag, recorded for every request that was sent;
 * - `itl` pools every inter-token gap of every successful request; `request_itl` holds one mean
 *   per request;
 * - a successful stream delivered in a burst (delivered_in_burst()) has no TPOT, generation
 *   speed or ITL sample: it is counted by burst_streams() instead;
 * - the throughput window runs from the earliest intended start to the latest end of every
 *   recorded request, and its tokens are every request's output_tokens() (a failed stream's
 *   tokens were produced too);
 * - every request counts toward the mean in flight (its time from intended start to end) and,
 *   where the server reported cached prompt tokens (cached_prompt_tokens()), toward the cached
 *   prompt fraction, by reporting field; a count above the prompt is counted as impossible and
 *   not used.
 *
 * Merging (one recorder per worker, merged at the end) is exact for counts, tokens, window,
 * quantiles, min, max and the count of each metric; means and standard deviations come from
 * running moments and agree across merge orders to rounding. Serialisable with to_json /
 * from_json. Not thread-safe. Memory: about 32 KiB per metric with the default sketch.
 */
template <stats::quantile_sketch Sketch = stats::log_linear_histogram>
class cell_recorder {
public:
    /// The per-metric accumulator.
    using samples_type = stats::sample_statistics<Sketch>;

    /// An empty recorder for the cell `key`.
    explicit cell_recorder(cell_key key = {}) : key_(std::move(key)) {
        for (metric m : all_metrics)
            samples_[index_of(m)] = samples_type(make_sketch_for<Sketch>(m));
    }

    /// Records one finished request. O(events) for the ITL gaps; allocates nothing.
    void record(const request_trace& t) {
        ++started_;
        output_tokens_ += t.output_tokens();
        if (const std::optional<std::uint64_t> p = prompt_tokens(t))
            prompt_tokens_ += *p;
        first_start_ = first_start_ ? std::min(*first_start_, t.intended_start) : t.intended_start;
        last_end_ = last_end_ ? std::max(*last_end_, t.end) : t.end;
        if (t.end > t.intended_start)
            busy_ += t.end - t.intended_start;
        if (const std::optional<cached_prompt> c = cached_prompt_tokens(t)) {
            ++cache_reports_[static_cast<std::size_t>(c->source)];
            cached_tokens_ += c->tokens;
            cache_reported_prompt_tokens_ += prompt_tokens(t).value_or(c->tokens);
        } else if (cached_exceeds_prompt(t)) {
            ++cache_impossible_;
        } else if (t.usage) {
            cache_absent_prompt_tokens_ += t.usage->prompt_tokens;
        }
        if (const std::optional<duration> lag = client_lag(t))
            samples_[index_of(metric::client_lag)].add(to_seconds(*lag));
        const bool completed = t.ok() || t.failure == error::short_output;
        if (completed && t.fixed_output && t.max_tokens > 0 && t.output_tokens() < t.max_tokens)
            ++short_outputs_;
        if (t.output_tokens_estimated())
            ++estimated_outputs_;
        if (!t.ok()) {
            ++failures_[failure_index(*t.failure)];
            return;
        }
        ++succeeded_;
        for (metric m : all_metrics) {
            if (m == metric::client_lag || m == metric::itl || is_cell_level(m))
                continue;
            if (const std::optional<double> v = request_metric_value(m, t))
                samples_[index_of(m)].add(*v);
        }
        if (delivered_in_burst(t)) {
            ++burst_streams_;
            return;
        }
        samples_type& itl = samples_[index_of(metric::itl)];
        for_each_itl_gap_s(t, [&itl](double gap_s) { itl.add(gap_s); });
    }

    /// Adds another recorder's requests. Throws std::invalid_argument when the cells differ or
    /// the sketches cannot be merged.
    void merge(const cell_recorder& other) {
        if (!(other.key_ == key_))
            throw std::invalid_argument("cell_recorder: merging recorders of different cells");
        for (std::size_t i = 0; i < samples_.size(); ++i)
            samples_[i].merge(other.samples_[i]);
        started_ += other.started_;
        succeeded_ += other.succeeded_;
        for (std::size_t i = 0; i < failures_.size(); ++i)
            failures_[i] += other.failures_[i];
        short_outputs_ += other.short_outputs_;
        estimated_outputs_ += other.estimated_outputs_;
        burst_streams_ += other.burst_streams_;
        output_tokens_ += other.output_tokens_;
        prompt_tokens_ += other.prompt_tokens_;
        busy_ += other.busy_;
        for (std::size_t i = 0; i < cache_reports_.size(); ++i)
            cache_reports_[i] += other.cache_reports_[i];
        cache_impossible_ += other.cache_impossible_;
        cached_tokens_ += other.cached_tokens_;
        cache_reported_prompt_tokens_ += other.cache_reported_prompt_tokens_;
        cache_absent_prompt_tokens_ += other.cache_absent_prompt_tokens_;
        if (other.first_start_)
            first_start_ =
                first_start_ ? std::min(*first_start_, *other.first_start_) : *other.first_start_;
        if (other.last_end_)
            last_end_ = last_end_ ? std::max(*last_end_, *other.last_end_) : *other.last_end_;
    }

    /// The cell.
    [[nodiscard]] const cell_key& key() const noexcept {
        return key_;
    }
    /// Requests recorded.
    [[nodiscard]] std::uint64_t started() const noexcept {
        return started_;
    }
    /// Requests that ended with a complete stream.
    [[nodiscard]] std::uint64_t succeeded() const noexcept {
        return succeeded_;
    }
    /// Requests that failed, any kind.
    [[nodiscard]] std::uint64_t failed() const noexcept {
        return started_ - succeeded_;
    }
    /// Requests that failed with kind `e`.
    [[nodiscard]] std::uint64_t failures(error e) const noexcept {
        return failures_[failure_index(e)];
    }
    /// succeeded ÷ started; NaN when nothing was recorded.
    [[nodiscard]] double success_rate() const noexcept {
        return started_ == 0 ? std::numeric_limits<double>::quiet_NaN()
                             : static_cast<double>(succeeded_) / static_cast<double>(started_);
    }
    /// Completed requests that asked for a fixed output length and got fewer tokens.
    [[nodiscard]] std::uint64_t short_outputs() const noexcept {
        return short_outputs_;
    }
    /// Requests whose output tokens were counted from events (no usage from the server).
    [[nodiscard]] std::uint64_t estimated_outputs() const noexcept {
        return estimated_outputs_;
    }
    /// Successful requests whose token events arrived in one burst (delivered_in_burst()): their
    /// TPOT, generation speed and ITL were not measurable and are in no distribution.
    [[nodiscard]] std::uint64_t burst_streams() const noexcept {
        return burst_streams_;
    }
    /// Σ output tokens of every recorded request.
    [[nodiscard]] std::uint64_t output_tokens_total() const noexcept {
        return output_tokens_;
    }
    /// Σ prompt tokens of the requests that report or target one.
    [[nodiscard]] std::uint64_t prompt_tokens_total() const noexcept {
        return prompt_tokens_;
    }
    /// Last end − first intended start; empty when nothing was recorded.
    [[nodiscard]] std::optional<duration> window() const noexcept {
        if (!first_start_ || !last_end_)
            return std::nullopt;
        return *last_end_ - *first_start_;
    }
    /// System output throughput: output_tokens_total ÷ window, tokens per second (prompt tokens
    /// excluded); empty when the window is empty.
    [[nodiscard]] std::optional<double> throughput_tokens_per_s() const noexcept {
        const std::optional<duration> w = window();
        if (!w || w->count() <= 0)
            return std::nullopt;
        return static_cast<double>(output_tokens_) / to_seconds(*w);
    }

    /// Requests whose cached prompt tokens the server reported in `source`'s field.
    [[nodiscard]] std::uint64_t cache_reports(cache_report source) const noexcept {
        return cache_reports_[static_cast<std::size_t>(source)];
    }
    /// Requests that reported a cached-token count: every field together.
    [[nodiscard]] std::uint64_t cache_reported() const noexcept {
        return cache_reports_[0] + cache_reports_[1];
    }
    /// Requests whose reported cached tokens exceeded their prompt (not used; see
    /// cached_exceeds_prompt()).
    [[nodiscard]] std::uint64_t cache_impossible() const noexcept {
        return cache_impossible_;
    }
    /// Σ cached prompt tokens of the requests that reported them.
    [[nodiscard]] std::uint64_t cached_tokens_total() const noexcept {
        return cached_tokens_;
    }
    /**
     * Σ cached ÷ Σ prompt tokens; empty when no request reported a cached count ("not
     * reported", never 0). Once some request reported `usage.prompt_tokens_details.
     * cached_tokens`, the requests whose usage came without it count as 0 cached: vLLM and
     * SGLang send the field only when something was cached.
     */
    [[nodiscard]] std::optional<double> cached_prompt_fraction() const noexcept {
        const std::uint64_t prompt =
            cache_reported_prompt_tokens_ +
            (cache_reports_[0] > 0 ? cache_absent_prompt_tokens_ : std::uint64_t{0});
        if (cache_reported() == 0 || prompt == 0)
            return std::nullopt;
        return static_cast<double>(cached_tokens_) / static_cast<double>(prompt);
    }
    /// Mean requests in flight (Little's law): Σ (end − intended start) of every recorded
    /// request ÷ window(); empty when the window is empty.
    [[nodiscard]] std::optional<double> mean_in_flight() const noexcept {
        const std::optional<duration> w = window();
        if (!w || w->count() <= 0)
            return std::nullopt;
        return to_seconds(busy_) / to_seconds(*w);
    }

    /// The accumulator of a per-request metric (`throughput` has none: it stays empty).
    [[nodiscard]] const samples_type& samples(metric m) const noexcept {
        return samples_[index_of(m)];
    }

    /// The statistics of a metric (DESIGN.md §4): P50…P99.9, mean with its 95% confidence
    /// interval, min, max, stddev, count. `throughput` gives its one value (count 1) or, with
    /// no window, a count of 0.
    [[nodiscard]] metric_statistics statistics(metric m) const {
        if (is_cell_level(m)) {
            const std::optional<double> v = m == metric::throughput ? throughput_tokens_per_s()
                                            : m == metric::cached_prompt_fraction
                                                ? cached_prompt_fraction()
                                                : mean_in_flight();
            return v ? metric_statistics::single(*v) : metric_statistics{};
        }
        return statistics_of(samples_[index_of(m)].summarize(0.95));
    }

    /// The cell's summary: every metric with at least one sample, and throughput.
    [[nodiscard]] cell_summary summary() const {
        cell_summary c;
        c.context_tokens = key_.context_tokens;
        c.output_tokens = key_.output_tokens;
        c.concurrency = key_.concurrency;
        for (metric m : all_metrics) {
            metric_statistics s = statistics(m);
            if (s.count > 0)
                c.metrics.emplace(m, std::move(s));
        }
        return c;
    }

    /**
     * The recorder as JSON: {"kind": "cell_recorder", "version": 1, "context_tokens",
     * "output_tokens", "concurrency", "started", "succeeded", "failures": {kind: count, …}
     * (non-zero kinds only), "short_outputs", "estimated_outputs", "burst_streams" (read as 0
     * when absent, as in files written before it existed), "output_tokens_total",
     * "prompt_tokens_total", "busy_ns" (Σ request time, for mean_in_flight()), "cache":
     * {"usage_cached_tokens", "timings_cache_n" (requests per reporting field), "impossible",
     * "cached_tokens", "prompt_tokens", "absent_prompt_tokens" (of requests with usage but no
     * cached count)} (both read as 0 when absent, as in files written before
     * them), "first_intended_start_ns", "last_end_ns" (trace_clock ticks since
     * its epoch in nanoseconds, null when empty), "metrics": {metric name:
     * stats::sample_statistics JSON}}.
     */
    [[nodiscard]] boost::json::value to_json() const {
        boost::json::object failures;
        for (error e : all_errors)
            if (const std::uint64_t n = failures_[failure_index(e)]; n > 0)
                failures[error_name(e)] = n;
        boost::json::object o;
        o["kind"] = "cell_recorder";
        o["version"] = 1;
        o["context_tokens"] = key_.context_tokens;
        o["output_tokens"] = key_.output_tokens;
        o["concurrency"] = key_.concurrency;
        if (!key_.use_case.empty())
            o["use_case"] = key_.use_case;
        if (key_.rate_per_s)
            o["rate_per_s"] = *key_.rate_per_s;
        if (key_.sessions)
            o["sessions"] = true;
        o["started"] = started_;
        o["succeeded"] = succeeded_;
        o["failures"] = std::move(failures);
        o["short_outputs"] = short_outputs_;
        o["estimated_outputs"] = estimated_outputs_;
        o["burst_streams"] = burst_streams_;
        o["output_tokens_total"] = output_tokens_;
        o["prompt_tokens_total"] = prompt_tokens_;
        o["busy_ns"] = to_nanoseconds(busy_);
        o["cache"] = boost::json::object{{"usage_cached_tokens", cache_reports_[0]},
                                         {"timings_cache_n", cache_reports_[1]},
                                         {"impossible", cache_impossible_},
                                         {"cached_tokens", cached_tokens_},
                                         {"prompt_tokens", cache_reported_prompt_tokens_},
                                         {"absent_prompt_tokens", cache_absent_prompt_tokens_}};
        o["first_intended_start_ns"] =
            first_start_ ? boost::json::value(to_ns(*first_start_)) : boost::json::value(nullptr);
        o["last_end_ns"] =
            last_end_ ? boost::json::value(to_ns(*last_end_)) : boost::json::value(nullptr);
        o["metrics"] = metrics_json();
        return o;
    }

    /// The per-request metric sketches as JSON, one member per metric name (the `metrics`
    /// member of to_json(); a sweep's cells keep it as `sketches`).
    [[nodiscard]] boost::json::object metrics_json() const {
        boost::json::object metrics;
        for (metric m : all_metrics)
            if (!is_cell_level(m))
                metrics[metric_name(m)] = stats::to_json(samples_[index_of(m)]);
        return metrics;
    }

    /// Reads a recorder written by to_json. Never throws on bad input: the error names the
    /// field's JSONPath ("cell_recorder json: $.failures.gremlins: unknown failure kind").
    [[nodiscard]] static json_result<cell_recorder> from_json(const boost::json::value& v) {
        json_reader in("cell_recorder json");
        const boost::json::object* o = in.object(v, "$");
        if (o == nullptr)
            return in.error();
        std::string kind;
        in.field(*o, "kind", "$", kind);
        if (in.ok() && kind != "cell_recorder")
            in.fail("$.kind", "expected \"cell_recorder\"");
        std::int64_t version = 0;
        in.field(*o, "version", "$", version);
        if (in.ok() && version != 1)
            in.fail("$.version", "expected 1");
        cell_key key;
        in.field(*o, "context_tokens", "$", key.context_tokens);
        in.field(*o, "output_tokens", "$", key.output_tokens);
        in.field(*o, "concurrency", "$", key.concurrency);
        std::string use_case;
        in.optional_field(*o, "use_case", "$", use_case);
        if (in.ok() && o->contains("use_case") && use_case.empty())
            in.fail("$.use_case", "expected a non-empty string");
        key.use_case = std::move(use_case);
        in.optional_field(*o, "rate_per_s", "$", key.rate_per_s);
        in.optional_field(*o, "sessions", "$", key.sessions);
        if (in.ok() && key.rate_per_s && !(*key.rate_per_s > 0.0 && std::isfinite(*key.rate_per_s)))
            in.fail("$.rate_per_s", "expected a positive number");
        cell_recorder r(std::move(key));
        in.field(*o, "started", "$", r.started_);
        in.field(*o, "succeeded", "$", r.succeeded_);
        in.field(*o, "short_outputs", "$", r.short_outputs_);
        in.field(*o, "estimated_outputs", "$", r.estimated_outputs_);
        in.field(*o, "output_tokens_total", "$", r.output_tokens_);
        in.field(*o, "prompt_tokens_total", "$", r.prompt_tokens_);
        in.optional_field(*o, "burst_streams", "$", r.burst_streams_); // absent: written before
        std::int64_t busy_ns = 0;
        in.optional_field(*o, "busy_ns", "$", busy_ns); // absent: written before sessions
        if (in.ok() && busy_ns < 0)
            in.fail("$.busy_ns", "expected a number >= 0");
        r.busy_ = std::chrono::duration_cast<duration>(std::chrono::nanoseconds(busy_ns));
        if (const boost::json::value* cv = o->if_contains("cache"); cv != nullptr && in.ok())
            if (const boost::json::object* c = in.object(*cv, "$.cache")) {
                in.field(*c, "usage_cached_tokens", "$.cache", r.cache_reports_[0]);
                in.field(*c, "timings_cache_n", "$.cache", r.cache_reports_[1]);
                in.field(*c, "impossible", "$.cache", r.cache_impossible_);
                in.field(*c, "cached_tokens", "$.cache", r.cached_tokens_);
                in.field(*c, "prompt_tokens", "$.cache", r.cache_reported_prompt_tokens_);
                in.optional_field(*c, "absent_prompt_tokens", "$.cache",
                                  r.cache_absent_prompt_tokens_);
                if (in.ok() && r.cached_tokens_ > r.cache_reported_prompt_tokens_)
                    in.fail("$.cache.cached_tokens", "exceeds $.cache.prompt_tokens");
                if (in.ok() &&
                    r.cache_reports_[0] + r.cache_reports_[1] + r.cache_impossible_ > r.started_)
                    in.fail("$.cache", "counts more requests than started");
            }
        if (in.ok() && r.succeeded_ > r.started_)
            in.fail("$.succeeded", "exceeds started");
        if (in.ok() && r.burst_streams_ > r.succeeded_)
            in.fail("$.burst_streams", "exceeds succeeded");
        if (const boost::json::value* f = in.member(*o, "failures", "$"))
            if (const boost::json::object* failures = in.object(*f, "$.failures")) {
                std::uint64_t failed = 0;
                for (const auto& kv : *failures) {
                    const std::string name(kv.key().data(), kv.key().size());
                    const std::string path = "$.failures." + name;
                    error e{};
                    if (!error_from_name(name, e)) {
                        in.fail(path, "unknown failure kind");
                        break;
                    }
                    std::uint64_t n = 0;
                    if (!in.read(kv.value(), path, n))
                        break;
                    r.failures_[failure_index(e)] = n;
                    failed += n;
                }
                if (in.ok() && failed != r.started_ - r.succeeded_)
                    in.fail("$.failures", "do not add up to started - succeeded");
            }
        std::optional<std::int64_t> first_ns;
        std::optional<std::int64_t> last_ns;
        in.field(*o, "first_intended_start_ns", "$", first_ns);
        in.field(*o, "last_end_ns", "$", last_ns);
        const auto at = [](const std::optional<std::int64_t>& ns) -> std::optional<time_point> {
            if (!ns)
                return std::nullopt;
            return time_point(std::chrono::duration_cast<duration>(std::chrono::nanoseconds(*ns)));
        };
        r.first_start_ = at(first_ns);
        r.last_end_ = at(last_ns);
        if (const boost::json::value* mv = in.member(*o, "metrics", "$"))
            if (const boost::json::object* metrics = in.object(*mv, "$.metrics"))
                for (const auto& kv : *metrics) {
                    const std::string name(kv.key().data(), kv.key().size());
                    const std::optional<metric> m = metric_from_name(name);
                    if (!m || is_cell_level(*m)) {
                        in.fail("$.metrics." + name, "unknown metric");
                        break;
                    }
                    auto sketch =
                        stats::from_json<samples_type>(kv.value(), r.samples_[index_of(*m)]);
                    if (!sketch) {
                        in.fail("$.metrics." + name, sketch.error().message());
                        break;
                    }
                    r.samples_[index_of(*m)] = std::move(*sketch);
                }
        return in.result(std::move(r));
    }

    /// Same cell, counts, window and accumulators.
    friend bool operator==(const cell_recorder&, const cell_recorder&) = default;

private:
    [[nodiscard]] static constexpr std::size_t failure_index(error e) noexcept {
        return static_cast<std::size_t>(e) - 1;
    }
    [[nodiscard]] static std::int64_t to_ns(time_point t) noexcept {
        return to_nanoseconds(t.time_since_epoch());
    }

    cell_key key_;
    std::array<samples_type, metric_count> samples_;
    std::uint64_t started_ = 0;
    std::uint64_t succeeded_ = 0;
    std::array<std::uint64_t, std::size(all_errors)> failures_{};
    std::uint64_t short_outputs_ = 0;
    std::uint64_t estimated_outputs_ = 0;
    std::uint64_t burst_streams_ = 0;
    std::uint64_t output_tokens_ = 0;
    std::uint64_t prompt_tokens_ = 0;
    duration busy_{};
    std::array<std::uint64_t, 2> cache_reports_{};
    std::uint64_t cache_impossible_ = 0;
    std::uint64_t cached_tokens_ = 0;
    std::uint64_t cache_reported_prompt_tokens_ = 0;
    std::uint64_t cache_absent_prompt_tokens_ = 0;
    std::optional<time_point> first_start_;
    std::optional<time_point> last_end_;
};

static_assert(trace_sink<cell_recorder<>>);

} // namespace llmcap::analysis
