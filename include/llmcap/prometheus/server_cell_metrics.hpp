#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/prometheus/error.hpp>
#include <llmcap/prometheus/histogram.hpp>
#include <llmcap/prometheus/metric_map.hpp>
#include <llmcap/prometheus/scrape.hpp>

#include <algorithm>    // max
#include <cstddef>      // size_t
#include <cstdint>      // uint8_t, uint64_t
#include <optional>     // optional
#include <span>         // span
#include <string>       // string
#include <string_view>  // string_view
#include <system_error> // error_code
#include <utility>      // pair
#include <vector>       // vector

namespace llmcap::prometheus {

/// Why a server quantity has or lacks a value.
enum class value_state : std::uint8_t {
    /// The server does not expose it (not in its metric map, or not in the scrape).
    not_exposed,
    /// Exposed, but nothing was observed during the cell (histogram count delta 0, no
    /// periodic scrape, no token generated).
    no_observations,
    /// The counter decreased between the scrapes (server restart): the delta is unknown.
    counter_reset,
    /// The metric is malformed (histogram without `+Inf`, bounds that changed, ...).
    malformed,
    /// Measured: `value` holds it.
    measured,
};

/// The stable snake_case name of a value_state, as written in results files.
[[nodiscard]] constexpr std::string_view value_state_name(value_state s) noexcept {
    switch (s) {
    case value_state::not_exposed:
        return "not_exposed";
    case value_state::no_observations:
        return "no_observations";
    case value_state::counter_reset:
        return "counter_reset";
    case value_state::malformed:
        return "malformed";
    case value_state::measured:
        return "measured";
    }
    return "not_exposed";
}

/// Where a measured server quantity came from.
enum class value_source : std::uint8_t {
    /// No value.
    none,
    /// Difference of a counter or histogram between the scrapes before and after the cell.
    scrape_delta,
    /// Per-request metrics the server sent in each response (vLLM's final usage chunk,
    /// llama.cpp's `timings`), averaged over the cell's requests.
    per_request,
    /// Gauges read by the periodic scrapes during the cell.
    gauge_samples,
};

/// A quantity measured by the server (never by the client): a value, or the reason there is
/// none.
struct server_value {
    /// The value, in the unit its field name gives; empty unless state is `measured`.
    std::optional<double> value;
    /// Whether and why there is a value.
    value_state state = value_state::not_exposed;
    /// Where the value came from.
    value_source source = value_source::none;
    /// Observations behind the value: histogram count delta, requests, or gauge scrapes.
    std::uint64_t observations = 0;
    /// The metric read (from the metric map); empty for per-request values.
    std::string_view metric;

    /// True when the value was measured.
    [[nodiscard]] bool has_value() const noexcept {
        return value.has_value();
    }
};

/**
 * What the server itself reported about one cell (DESIGN.md §4, "Queue wait and prefill
 * time"). Every field is a server_value: measured, or marked not exposed / no observations /
 * counter reset. No field is ever filled from a client measurement.
 */
struct server_cell_metrics {
    /// The server the metric map describes.
    std::string_view server_name;

    /// Mean time a request waited in the server's queue, seconds.
    server_value queue_wait_mean_s;
    /// Mean prefill time per request, seconds.
    server_value prefill_time_mean_s;
    /// Mean decode time per request, seconds.
    server_value decode_time_mean_s;
    /// Mean server-side time to first token, seconds.
    server_value ttft_mean_s;
    /// Mean server-side inter-token latency, seconds.
    server_value inter_token_latency_mean_s;
    /// Mean server-side end-to-end latency, seconds.
    server_value e2e_latency_mean_s;
    /// P90 of the queue wait, from the delta histogram's buckets (linear within a bucket),
    /// seconds.
    server_value queue_wait_p90_s;
    /// P90 of the prefill time, from the delta histogram's buckets, seconds.
    server_value prefill_time_p90_s;

    /// Prompt tokens the server processed during the cell.
    server_value prompt_tokens;
    /// Output tokens the server generated during the cell.
    server_value generation_tokens;
    /// Requests the server finished during the cell.
    server_value requests_finished;
    /// Preemptions (retractions) during the cell.
    server_value preemptions;
    /// Seconds of prompt processing summed over requests (llama.cpp).
    server_value prompt_processing_s;
    /// Seconds of generation summed over requests (llama.cpp).
    server_value generation_s;
    /// Engine decode calls during the cell (llama.cpp).
    server_value decode_calls;
    /// Prompt tokens ÷ prompt-processing seconds: the server's prefill rate per request in
    /// flight, tokens/s (llama.cpp).
    server_value prefill_tokens_per_s;
    /// Generated tokens ÷ generation seconds, tokens/s (llama.cpp).
    server_value decode_tokens_per_s;

    /// Highest number of running requests seen by the periodic scrapes.
    server_value running_max;
    /// Mean number of running requests over the periodic scrapes.
    server_value running_mean;
    /// Highest number of waiting requests seen by the periodic scrapes.
    server_value waiting_max;
    /// Mean number of waiting requests over the periodic scrapes.
    server_value waiting_mean;
    /// Highest KV-cache usage seen by the periodic scrapes, fraction 0..1.
    server_value kv_cache_usage_max;
    /// Mean KV-cache usage over the periodic scrapes, fraction 0..1.
    server_value kv_cache_usage_mean;

    /// The server's prefix-cache hit rate over the cell, fraction 0..1: Δ hit tokens ÷ Δ
    /// queried tokens of its counters (source `scrape_delta`), else the mean of its hit-rate
    /// gauge over the periodic scrapes (source `gauge_samples`). `metric` names where it came
    /// from: the hits counter or the gauge. Never 0 for want of a value: a server without
    /// either is `not_exposed`, a restart is `counter_reset`, a cell without prompt tokens is
    /// `no_observations`.
    server_value prefix_cache_hit_rate;
    /// Prompt tokens looked up in the prefix cache during the cell (vLLM: its queries counter;
    /// SGLang: its prompt tokens; llama.cpp: cached plus evaluated prompt tokens).
    server_value prefix_cache_queried_tokens;
    /// Prompt tokens served from the prefix cache during the cell.
    server_value prefix_cache_hit_tokens;
};

/// The gauges of one periodic scrape, for time-series plots. Empty fields: not exposed.
struct gauge_point {
    /// When the scrape's response was complete.
    time_point at{};
    /// Running requests.
    std::optional<double> running;
    /// Waiting requests.
    std::optional<double> waiting;
    /// KV-cache usage, fraction 0..1.
    std::optional<double> kv_cache_usage;
    /// Prefix-cache hit rate as the server's gauge says, fraction 0..1 (SGLang, vLLM V0).
    std::optional<double> prefix_cache_hit_rate;
};

namespace detail {

/// The first alternative of `src` present in `s`, as a sum over its matching series.
[[nodiscard]] inline std::optional<double> read_value(const scrape& s, const metric_source& src,
                                                      std::span<const label> extra,
                                                      std::string_view* used = nullptr) {
    for (const metric_selector& sel : src.alternatives) {
        if (!sel.exposed())
            break;
        std::optional<double> v;
        if (sel.label_name.empty() && extra.empty()) {
            v = s.sum(sel.name);
        } else {
            std::vector<label> m(extra.begin(), extra.end());
            if (!sel.label_name.empty())
                m.push_back({sel.label_name, sel.label_value});
            v = s.sum(sel.name, m);
        }
        if (v) {
            if (used)
                *used = sel.name;
            return v;
        }
    }
    return std::nullopt;
}

} // namespace detail

/**
 * Collects the gauges (running, waiting, KV-cache usage, and a prefix-cache hit-rate gauge
 * where the server has one) of the periodic scrapes taken during
 * a cell: their maximum and mean, and the time series for plots. Feed it every scrape with
 * add(); pass it to compute_server_cell_metrics(). Not thread-safe.
 */
class gauge_tracker {
public:
    /// Tracks the gauges `map` names, in the series whose labels match `matchers` (the label
    /// names and values are copied).
    explicit gauge_tracker(const metric_map& map, std::span<const label> matchers = {})
        : map_(&map) {
        for (const label& m : matchers)
            matchers_.emplace_back(std::string(m.name), std::string(m.value));
    }

    /// Records the gauges of a scrape completed at `at`. Amortised O(samples).
    void add(time_point at, const scrape& s) {
        std::vector<label> m;
        m.reserve(matchers_.size());
        for (const auto& [name, value] : matchers_)
            m.push_back({name, value});
        gauge_point p;
        p.at = at;
        p.running = detail::read_value(s, map_->running, m);
        p.waiting = detail::read_value(s, map_->waiting, m);
        p.kv_cache_usage = detail::read_value(s, map_->kv_cache_usage, m);
        p.prefix_cache_hit_rate = detail::read_value(s, map_->prefix_cache_hit_rate, m);
        points_.push_back(p);
    }
    /// Every point recorded, in the order added.
    [[nodiscard]] std::span<const gauge_point> points() const noexcept {
        return points_;
    }
    /// Forgets the points (for the next cell), keeping the storage.
    void clear() noexcept {
        points_.clear();
    }
    /// The metric map the tracker reads.
    [[nodiscard]] const metric_map& map() const noexcept {
        return *map_;
    }

private:
    const metric_map* map_;
    std::vector<std::pair<std::string, std::string>> matchers_;
    std::vector<gauge_point> points_;
};

/// Inputs of compute_server_cell_metrics() beyond the two scrapes.
struct cell_metric_inputs {
    /// Only series whose labels match these are read (e.g. `{"model_name", "..."}` when the
    /// server serves several models); empty: all series are added up.
    std::span<const label> matchers;
    /// The periodic scrapes of the cell, for the gauges; null: gauges are not reported.
    const gauge_tracker* gauges = nullptr;
    /// The cell's request traces: their per-request server timings (vLLM's final usage
    /// chunk with per-request metrics enabled, llama.cpp's `timings`) are preferred over
    /// histogram deltas for queue, prefill and decode times.
    std::span<const request_trace> traces;
};

namespace detail {

inline void set_measured(server_value& v, double x, value_source src, std::uint64_t n,
                         std::string_view metric) {
    v.value = x;
    v.state = value_state::measured;
    v.source = src;
    v.observations = n;
    v.metric = metric;
}

/// As read_value, and 0 where an alternative's family is declared on the page without a
/// matching series (a labelled counter that was never incremented).
[[nodiscard]] inline std::optional<double> read_declared(const scrape& s, const metric_source& src,
                                                         std::span<const label> extra,
                                                         std::string_view* used = nullptr) {
    if (std::optional<double> v = read_value(s, src, extra, used))
        return v;
    for (const metric_selector& sel : src.alternatives) {
        if (!sel.exposed())
            break;
        if (s.find_family(sel.name)) {
            if (used)
                *used = sel.name;
            return 0.0;
        }
    }
    return std::nullopt;
}

/// `declared_is_zero`: a family on the page without a matching series counts as 0.
inline void fill_counter(server_value& v, const scrape& before, const scrape& after,
                         const metric_source& src, std::span<const label> m,
                         bool declared_is_zero = false) {
    if (!src.exposed())
        return;
    std::string_view used;
    const std::optional<double> a =
        declared_is_zero ? read_declared(after, src, m, &used) : read_value(after, src, m, &used);
    if (!a)
        return;
    const double b = (declared_is_zero ? read_declared(before, src, m) : read_value(before, src, m))
                         .value_or(0.0);
    std::error_code ec;
    const double d = counter_delta(b, *a, ec);
    v.metric = used;
    if (ec) {
        v.state = value_state::counter_reset;
        return;
    }
    set_measured(v, d, value_source::scrape_delta, 1, used);
}

inline void fill_histogram(server_value& mean, server_value* p90, const scrape& before,
                           const scrape& after, const metric_source& src,
                           std::span<const label> extra) {
    if (!src.exposed())
        return;
    for (const metric_selector& sel : src.alternatives) {
        if (!sel.exposed())
            break;
        std::vector<label> m(extra.begin(), extra.end());
        if (!sel.label_name.empty())
            m.push_back({sel.label_name, sel.label_value});
        std::error_code ec;
        const std::optional<histogram> a = find_histogram(after, sel.name, m, ec);
        if (ec == error::metric_not_found)
            continue;
        mean.metric = sel.name;
        if (p90)
            p90->metric = sel.name;
        if (!a) {
            mean.state = value_state::malformed;
            if (p90)
                p90->state = value_state::malformed;
            return;
        }
        std::optional<histogram> b = find_histogram(before, sel.name, m, ec);
        if (ec == error::metric_not_found) {
            // The series appeared during the cell: nothing was observed before it.
            b = *a;
            for (bucket& k : b->buckets)
                k.cumulative_count = 0;
            b->sum = 0;
            b->count = 0;
        } else if (!b) {
            mean.state = value_state::malformed;
            if (p90)
                p90->state = value_state::malformed;
            return;
        }
        const histogram d = histogram_delta(*b, *a, ec);
        const value_state bad =
            ec == error::counter_reset ? value_state::counter_reset : value_state::malformed;
        if (ec) {
            mean.state = bad;
            if (p90)
                p90->state = bad;
            return;
        }
        const auto n = static_cast<std::uint64_t>(d.count);
        if (const std::optional<double> x = d.mean())
            set_measured(mean, *x, value_source::scrape_delta, n, sel.name);
        else
            mean.state = value_state::no_observations;
        if (p90) {
            if (const std::optional<double> q = d.quantile(0.9))
                set_measured(*p90, *q, value_source::scrape_delta, n, sel.name);
            else
                p90->state = value_state::no_observations;
        }
        return;
    }
}

template <class Get>
void fill_per_request(server_value& v, std::span<const request_trace> traces, Get get) {
    double total = 0;
    std::uint64_t n = 0;
    for (const request_trace& t : traces) {
        if (!t.timings)
            continue;
        if (const std::optional<double> x = get(*t.timings)) {
            total += *x;
            ++n;
        }
    }
    if (n > 0)
        set_measured(v, total / static_cast<double>(n), value_source::per_request, n, {});
}

inline void fill_ratio(server_value& out, const server_value& num, const server_value& den) {
    if (!num.has_value() || !den.has_value()) {
        out.state = num.state == value_state::measured ? den.state : num.state;
        return;
    }
    if (!(*den.value > 0)) {
        out.state = value_state::no_observations;
        return;
    }
    set_measured(out, *num.value / *den.value, value_source::scrape_delta, 1, {});
}

inline void fill_gauge(server_value& max_v, server_value& mean_v, const gauge_tracker* g,
                       const metric_source& src, std::optional<double> gauge_point::*field) {
    if (!src.exposed())
        return;
    if (!g || g->points().empty()) {
        max_v.state = value_state::no_observations;
        mean_v.state = value_state::no_observations;
        return;
    }
    double top = 0;
    double total = 0;
    std::uint64_t n = 0;
    for (const gauge_point& p : g->points()) {
        if (const std::optional<double>& x = p.*field) {
            top = n == 0 ? *x : std::max(top, *x);
            total += *x;
            ++n;
        }
    }
    if (n == 0)
        return; // exposed in the map, absent from every scrape: not exposed by this server
    set_measured(max_v, top, value_source::gauge_samples, n, src.alternatives[0].name);
    set_measured(mean_v, total / static_cast<double>(n), value_source::gauge_samples, n,
                 src.alternatives[0].name);
}

/// The prefix-cache hit rate and its token counts (server_cell_metrics::prefix_cache_*).
inline void fill_prefix_cache(server_cell_metrics& r, const metric_map& map, const scrape& before,
                              const scrape& after, const cell_metric_inputs& in) {
    const std::span<const label> m = in.matchers;
    server_value& hits = r.prefix_cache_hit_tokens;
    server_value& queries = r.prefix_cache_queried_tokens;
    fill_counter(hits, before, after, map.prefix_cache_hits, m, true);
    if (map.prefix_cache_queries.exposed()) {
        fill_counter(queries, before, after, map.prefix_cache_queries, m);
    } else if (map.prefix_cache_misses.exposed()) {
        server_value misses;
        fill_counter(misses, before, after, map.prefix_cache_misses, m);
        if (hits.has_value() && misses.has_value()) {
            set_measured(queries, *hits.value + *misses.value, value_source::scrape_delta, 1,
                         misses.metric);
        } else {
            queries.state = misses.has_value() ? hits.state : misses.state;
            if (queries.state != value_state::not_exposed)
                queries.metric = misses.metric;
        }
    }

    server_value& rate = r.prefix_cache_hit_rate;
    // fill_counter leaves a counter not_exposed, counter_reset or measured.
    if (hits.state != value_state::not_exposed && queries.state != value_state::not_exposed) {
        rate.metric = hits.metric;
        if (!hits.has_value() || !queries.has_value())
            rate.state = value_state::counter_reset; // no gauge: it would describe another time
        else if (!(*queries.value > 0))
            rate.state = value_state::no_observations;
        else if (*hits.value > *queries.value)
            rate.state = value_state::malformed; // more hits than lookups
        else
            set_measured(rate, *hits.value / *queries.value, value_source::scrape_delta, 1,
                         hits.metric);
        return;
    }
    // No usable pair of counters: the gauge, as the periodic scrapes saw it. Without periodic
    // scrapes, a gauge missing from the last scrape too is not exposed.
    rate = {};
    if ((in.gauges == nullptr || in.gauges->points().empty()) &&
        !read_value(after, map.prefix_cache_hit_rate, m))
        return;
    server_value unused_max;
    fill_gauge(unused_max, rate, in.gauges, map.prefix_cache_hit_rate,
               &gauge_point::prefix_cache_hit_rate);
}

} // namespace detail

/**
 * The server's own account of a cell, from the scrapes taken just before and just after it
 * (DESIGN.md §4): histogram means as delta-sum ÷ delta-count, counters as deltas, gauges from
 * the periodic scrapes in `in.gauges`. Queue, prefill and decode times come from the requests'
 * own server timings when any trace carries them (source `per_request`), else from histogram
 * deltas (source `scrape_delta`). A quantity the server does not expose is marked so; none is
 * ever replaced by a client measurement.
 *
 * The scrapes should be of the same server process; a restart in between shows as
 * `counter_reset`. Cost: O(samples × quantities).
 */
[[nodiscard]] inline server_cell_metrics
compute_server_cell_metrics(const metric_map& map, const scrape& before, const scrape& after,
                            const cell_metric_inputs& in = {}) {
    server_cell_metrics r;
    r.server_name = map.server_name;
    const std::span<const label> m = in.matchers;

    detail::fill_histogram(r.queue_wait_mean_s, &r.queue_wait_p90_s, before, after, map.queue_time,
                           m);
    detail::fill_histogram(r.prefill_time_mean_s, &r.prefill_time_p90_s, before, after,
                           map.prefill_time, m);
    detail::fill_histogram(r.decode_time_mean_s, nullptr, before, after, map.decode_time, m);
    detail::fill_histogram(r.ttft_mean_s, nullptr, before, after, map.ttft, m);
    detail::fill_histogram(r.inter_token_latency_mean_s, nullptr, before, after,
                           map.inter_token_latency, m);
    detail::fill_histogram(r.e2e_latency_mean_s, nullptr, before, after, map.e2e_latency, m);

    // Per-request server timings win over histogram deltas: they cover exactly the cell's
    // requests, not whatever else the server did between the scrapes.
    detail::fill_per_request(r.queue_wait_mean_s, in.traces,
                             [](const server_timings& t) { return t.queue_s; });
    detail::fill_per_request(r.prefill_time_mean_s, in.traces, [](const server_timings& t) {
        if (t.prefill_s)
            return t.prefill_s;
        if (t.prompt_ms)
            return std::optional<double>(*t.prompt_ms / 1000.0);
        return std::optional<double>();
    });
    detail::fill_per_request(r.decode_time_mean_s, in.traces, [](const server_timings& t) {
        if (t.decode_s)
            return t.decode_s;
        if (t.predicted_ms)
            return std::optional<double>(*t.predicted_ms / 1000.0);
        return std::optional<double>();
    });

    detail::fill_counter(r.prompt_tokens, before, after, map.prompt_tokens, m);
    detail::fill_counter(r.generation_tokens, before, after, map.generation_tokens, m);
    detail::fill_counter(r.requests_finished, before, after, map.requests_finished, m);
    detail::fill_counter(r.preemptions, before, after, map.preemptions, m);
    detail::fill_counter(r.prompt_processing_s, before, after, map.prompt_seconds, m);
    detail::fill_counter(r.generation_s, before, after, map.generation_seconds, m);
    detail::fill_counter(r.decode_calls, before, after, map.decode_calls, m);
    if (map.prompt_seconds.exposed())
        detail::fill_ratio(r.prefill_tokens_per_s, r.prompt_tokens, r.prompt_processing_s);
    if (map.generation_seconds.exposed())
        detail::fill_ratio(r.decode_tokens_per_s, r.generation_tokens, r.generation_s);

    detail::fill_gauge(r.running_max, r.running_mean, in.gauges, map.running,
                       &gauge_point::running);
    detail::fill_gauge(r.waiting_max, r.waiting_mean, in.gauges, map.waiting,
                       &gauge_point::waiting);
    detail::fill_gauge(r.kv_cache_usage_max, r.kv_cache_usage_mean, in.gauges, map.kv_cache_usage,
                       &gauge_point::kv_cache_usage);
    detail::fill_prefix_cache(r, map, before, after, in);
    return r;
}

} // namespace llmcap::prometheus
