#pragma once

#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/metric.hpp>

#include <cstdint>  // uint32_t
#include <map>      // map
#include <optional> // optional
#include <span>     // span
#include <utility>  // move
#include <vector>   // vector

namespace llmcap::analysis {

/// Scaling efficiency at one concurrency level.
struct scaling_point {
    /// Requests in flight.
    std::uint32_t concurrency = 0;
    /// System output throughput at this level, tokens per second.
    double throughput_tokens_per_s = 0.0;
    /// throughput(c) ÷ (c × throughput(1)): 1 is perfect linear scaling.
    double efficiency = 0.0;
};

/// Scaling across concurrency levels at one context length (DESIGN.md §4).
struct context_scaling {
    /// Prompt length, tokens.
    std::uint32_t context_tokens = 0;
    /// Throughput with one request in flight, tokens per second.
    double single_throughput_tokens_per_s = 0.0;
    /// Every measured level, by increasing concurrency (level 1 included, efficiency 1).
    std::vector<scaling_point> points;

    /// throughput(c_max) ÷ throughput(1), c_max the highest level measured: how many times the
    /// single-request throughput the system reaches.
    [[nodiscard]] double throughput_scaling() const noexcept {
        return points.empty()
                   ? 0.0
                   : points.back().throughput_tokens_per_s / single_throughput_tokens_per_s;
    }
};

/**
 * Scaling efficiency per context length, from each cell's `throughput_tokens_per_s` (mean).
 * A context without a measured concurrency-1 cell (or whose throughput there is not positive)
 * has no reference and is left out; cells without throughput are skipped. Contexts come in
 * increasing order. O(cells · log cells).
 */
[[nodiscard]] inline std::vector<context_scaling>
scaling_efficiency(std::span<const cell_summary> cells) {
    std::map<std::uint32_t, std::map<std::uint32_t, double>> by_context;
    for (const cell_summary& c : cells)
        if (const std::optional<double> t = c.value(metric::throughput, statistic::mean))
            by_context[c.context_tokens][c.concurrency] = *t;
    std::vector<context_scaling> out;
    for (const auto& [context, row] : by_context) {
        const auto single = row.find(1);
        if (single == row.end() || !(single->second > 0.0))
            continue;
        context_scaling s;
        s.context_tokens = context;
        s.single_throughput_tokens_per_s = single->second;
        for (const auto& [concurrency, throughput] : row)
            s.points.push_back({concurrency, throughput,
                                throughput / (static_cast<double>(concurrency) * single->second)});
        out.push_back(std::move(s));
    }
    return out;
}

} // namespace llmcap::analysis
