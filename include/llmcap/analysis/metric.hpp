#pragma once

#include <array>       // array
#include <cstddef>     // size_t
#include <cstdint>     // uint8_t
#include <optional>    // optional
#include <string_view> // string_view

namespace llmcap::analysis {

/// A quantity measured per request or per cell (DESIGN.md §4). The unit is part of each
/// metric's stable name (`metric_name`).
enum class metric : std::uint8_t {
    /// Time to first token: first token event − intended start, seconds.
    ttft,
    /// Time to first answer token: first content/text/tool-call event − intended start, seconds.
    ttfa,
    /// End-to-end latency: end of stream − intended start, seconds.
    e2e,
    /// Time per output token: (last − first token event) / (n − 1), seconds.
    tpot,
    /// Per-user generation speed: 1 / TPOT, tokens per second.
    generation_speed,
    /// Inter-token latency: gaps between token events, divided over multi-token events, pooled
    /// over every request of a cell, seconds.
    itl,
    /// One request's mean inter-token latency: (last − first token event) ÷ tokens after the
    /// first event, seconds.
    request_itl,
    /// System output throughput of a cell: Σ output tokens ÷ cell window, tokens per second.
    throughput,
    /// Time the request waited in the server's queue (server-reported), seconds.
    queue_wait,
    /// Time the server spent on prefill (server-reported), seconds.
    prefill_time,
    /// Prompt tokens ÷ server-reported prefill time, tokens per second.
    prefill_speed,
    /// Prompt tokens ÷ TTFT: a client-side lower bound on prefill speed, tokens per second.
    prefill_speed_lower_bound,
    /// Client-side delay: send − intended start, seconds.
    client_lag,
    /// Output tokens per request (server usage, else counted from events), tokens.
    output_tokens,
    /// TTFT of the later turns of conversations (turn ≥ 2; a session workload), seconds.
    ttft_later_turns,
    /// Prompt tokens the server served from its prefix cache (server-reported), tokens.
    cached_prompt_tokens,
    /// Prompt tokens the server prefilled: prompt − cached (server-reported), tokens.
    uncached_prompt_tokens,
    /// Uncached prompt tokens ÷ server-reported prefill time, tokens per second.
    effective_prefill_speed,
    /// Σ cached prompt tokens ÷ Σ prompt tokens over a cell's requests that reported a cache
    /// count: a cell-level fraction 0…1.
    cached_prompt_fraction,
    /// Mean requests in flight over a cell (Little's law: Σ request time from intended start to
    /// end ÷ the cell window): a cell-level count.
    mean_in_flight,
};

/// Every metric, in declaration order.
inline constexpr std::array all_metrics = {
    metric::ttft,
    metric::ttfa,
    metric::e2e,
    metric::tpot,
    metric::generation_speed,
    metric::itl,
    metric::request_itl,
    metric::throughput,
    metric::queue_wait,
    metric::prefill_time,
    metric::prefill_speed,
    metric::prefill_speed_lower_bound,
    metric::client_lag,
    metric::output_tokens,
    metric::ttft_later_turns,
    metric::cached_prompt_tokens,
    metric::uncached_prompt_tokens,
    metric::effective_prefill_speed,
    metric::cached_prompt_fraction,
    metric::mean_in_flight,
};

/// Number of metrics (size of arrays indexed by metric).
inline constexpr std::size_t metric_count = all_metrics.size();

/// The stable snake_case name of a metric, unit included, as written in JSON and CSV.
[[nodiscard]] constexpr std::string_view metric_name(metric m) noexcept {
    switch (m) {
    case metric::ttft:
        return "ttft_s";
    case metric::ttfa:
        return "ttfa_s";
    case metric::e2e:
        return "e2e_s";
    case metric::tpot:
        return "tpot_s";
    case metric::generation_speed:
        return "generation_speed_tokens_per_s";
    case metric::itl:
        return "itl_s";
    case metric::request_itl:
        return "request_mean_itl_s";
    case metric::throughput:
        return "throughput_tokens_per_s";
    case metric::queue_wait:
        return "queue_wait_s";
    case metric::prefill_time:
        return "prefill_time_s";
    case metric::prefill_speed:
        return "prefill_speed_tokens_per_s";
    case metric::prefill_speed_lower_bound:
        return "prefill_speed_lower_bound_tokens_per_s";
    case metric::client_lag:
        return "client_lag_s";
    case metric::output_tokens:
        return "output_tokens";
    case metric::ttft_later_turns:
        return "ttft_later_turns_s";
    case metric::cached_prompt_tokens:
        return "cached_prompt_tokens";
    case metric::uncached_prompt_tokens:
        return "uncached_prompt_tokens";
    case metric::effective_prefill_speed:
        return "effective_prefill_speed_tokens_per_s";
    case metric::cached_prompt_fraction:
        return "cached_prompt_fraction";
    case metric::mean_in_flight:
        return "mean_in_flight_requests";
    }
    return "unknown";
}

/// The metric with a given stable name; empty when the name is unknown.
[[nodiscard]] constexpr std::optional<metric> metric_from_name(std::string_view name) noexcept {
    for (metric m : all_metrics)
        if (metric_name(m) == name)
            return m;
    return std::nullopt;
}

/// True for metrics where a larger value is better (speeds, throughput); false for latencies.
[[nodiscard]] constexpr bool higher_is_better(metric m) noexcept {
    return m == metric::generation_speed || m == metric::throughput || m == metric::prefill_speed ||
           m == metric::prefill_speed_lower_bound || m == metric::output_tokens ||
           m == metric::effective_prefill_speed || m == metric::cached_prompt_tokens ||
           m == metric::cached_prompt_fraction;
}

/// True for the metrics that have one value per cell rather than one per request: throughput,
/// the cached prompt fraction and the mean requests in flight.
[[nodiscard]] constexpr bool is_cell_level(metric m) noexcept {
    return m == metric::throughput || m == metric::cached_prompt_fraction ||
           m == metric::mean_in_flight;
}

/// The unit a metric is measured in.
enum class metric_unit : std::uint8_t {
    /// Seconds (latencies, durations).
    seconds,
    /// Tokens per second (speeds, throughput).
    tokens_per_s,
    /// Tokens (counts).
    tokens,
    /// A fraction 0…1.
    fraction,
    /// Requests (counts).
    requests,
};

/// The unit of a metric (the suffix of its stable name).
[[nodiscard]] constexpr metric_unit unit_of(metric m) noexcept {
    switch (m) {
    case metric::generation_speed:
    case metric::throughput:
    case metric::prefill_speed:
    case metric::prefill_speed_lower_bound:
        return metric_unit::tokens_per_s;
    case metric::effective_prefill_speed:
        return metric_unit::tokens_per_s;
    case metric::output_tokens:
    case metric::cached_prompt_tokens:
    case metric::uncached_prompt_tokens:
        return metric_unit::tokens;
    case metric::cached_prompt_fraction:
        return metric_unit::fraction;
    case metric::mean_in_flight:
        return metric_unit::requests;
    default:
        return metric_unit::seconds;
    }
}

/// The array index of a metric (for per-metric tables).
[[nodiscard]] constexpr std::size_t index_of(metric m) noexcept {
    return static_cast<std::size_t>(m);
}

/// A summary statistic of a metric's distribution within a cell (DESIGN.md §4).
enum class statistic : std::uint8_t {
    /// Arithmetic mean.
    mean,
    /// Median.
    p50,
    /// 90th percentile.
    p90,
    /// 95th percentile.
    p95,
    /// 99th percentile.
    p99,
    /// 99.9th percentile.
    p99_9,
    /// Smallest sample.
    min,
    /// Largest sample.
    max,
};

/// Every statistic, in declaration order.
inline constexpr std::array all_statistics = {
    statistic::mean, statistic::p50,   statistic::p90, statistic::p95,
    statistic::p99,  statistic::p99_9, statistic::min, statistic::max,
};

/// The stable name of a statistic ("mean", "p50", …, "p99_9", "min", "max").
[[nodiscard]] constexpr std::string_view statistic_name(statistic s) noexcept {
    switch (s) {
    case statistic::mean:
        return "mean";
    case statistic::p50:
        return "p50";
    case statistic::p90:
        return "p90";
    case statistic::p95:
        return "p95";
    case statistic::p99:
        return "p99";
    case statistic::p99_9:
        return "p99_9";
    case statistic::min:
        return "min";
    case statistic::max:
        return "max";
    }
    return "unknown";
}

/// The statistic with a given name; "p99.9" and "median" are accepted as aliases. Empty when
/// the name is unknown.
[[nodiscard]] constexpr std::optional<statistic>
statistic_from_name(std::string_view name) noexcept {
    if (name == "p99.9")
        return statistic::p99_9;
    if (name == "median")
        return statistic::p50;
    for (statistic s : all_statistics)
        if (statistic_name(s) == name)
            return s;
    return std::nullopt;
}

/// The quantile (0–1) a percentile statistic stands for; empty for mean, min and max.
[[nodiscard]] constexpr std::optional<double> quantile_of(statistic s) noexcept {
    switch (s) {
    case statistic::p50:
        return 0.5;
    case statistic::p90:
        return 0.9;
    case statistic::p95:
        return 0.95;
    case statistic::p99:
        return 0.99;
    case statistic::p99_9:
        return 0.999;
    case statistic::mean:
    case statistic::min:
    case statistic::max:
        return std::nullopt;
    }
    return std::nullopt;
}

/// Which side of a threshold's bound is acceptable.
enum class comparison : std::uint8_t {
    /// The value must be below the bound (latencies): `value <= bound` holds.
    less,
    /// The value must be above the bound (speeds): `value >= bound` holds.
    greater,
};

/// The stable name of a comparison ("less" or "greater").
[[nodiscard]] constexpr std::string_view comparison_name(comparison c) noexcept {
    return c == comparison::less ? "less" : "greater";
}

/// The comparison with a given name; "<" and ">" are accepted as aliases. Empty when unknown.
[[nodiscard]] constexpr std::optional<comparison>
comparison_from_name(std::string_view name) noexcept {
    if (name == "less" || name == "<")
        return comparison::less;
    if (name == "greater" || name == ">")
        return comparison::greater;
    return std::nullopt;
}

/**
 * True when `value` satisfies `bound` under `c`. The bound itself passes: a measured level that
 * sits exactly on the bound is the last level that holds (the capacity kind `exact`).
 */
[[nodiscard]] constexpr bool satisfies(double value, comparison c, double bound) noexcept {
    return c == comparison::less ? value <= bound : value >= bound;
}

} // namespace llmcap::analysis
