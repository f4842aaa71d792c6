#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/core/request_trace.hpp>

#include <algorithm> // min, max
#include <cstdint>   // uint64_t
#include <vector>    // vector

namespace llmcap::emulator::detail {

// Means of the per-request metrics of DESIGN.md §4 over one cell's traces, and the cell's
// system throughput. Enough for calibration; the analysis layer has the full treatment.
struct cell_metrics {
    double ttft_s = 0.0;
    double per_user_tokens_per_s = 0.0;
    double e2e_s = 0.0;
    double throughput_tokens_per_s = 0.0;
    double queue_wait_s = 0.0;
    double prefill_tokens_per_s = 0.0;
    std::uint64_t requests = 0;
};

inline cell_metrics measure_cell(const std::vector<request_trace>& traces) {
    cell_metrics m;
    if (traces.empty())
        return m;
    double ttft = 0.0, speed = 0.0, e2e = 0.0, queue = 0.0, prefill = 0.0;
    std::uint64_t speed_n = 0, queue_n = 0, prefill_n = 0, tokens = 0;
    time_point first_start = traces.front().intended_start;
    time_point last_end = traces.front().end;
    for (const request_trace& t : traces) {
        first_start = std::min(first_start, t.intended_start);
        last_end = std::max(last_end, t.end);
        tokens += t.output_tokens();
        e2e += to_seconds(t.end - t.intended_start);
        if (auto first = t.first_token_time())
            ttft += to_seconds(*first - t.intended_start);
        const std::uint64_t n = t.output_tokens();
        if (n > 1 && t.events.size() > 1) {
            const double span = to_seconds(*t.last_token_time() - *t.first_token_time());
            if (span > 0.0) {
                speed += static_cast<double>(n - 1) / span;
                ++speed_n;
            }
        }
        if (t.timings && t.timings->queue_s) {
            queue += *t.timings->queue_s;
            ++queue_n;
        }
        if (t.timings && t.timings->prefill_s && *t.timings->prefill_s > 0.0 && t.usage) {
            prefill += static_cast<double>(t.usage->prompt_tokens) / *t.timings->prefill_s;
            ++prefill_n;
        }
    }
    const auto count = static_cast<double>(traces.size());
    m.requests = traces.size();
    m.ttft_s = ttft / count;
    m.e2e_s = e2e / count;
    m.per_user_tokens_per_s = speed_n ? speed / static_cast<double>(speed_n) : 0.0;
    m.queue_wait_s = queue_n ? queue / static_cast<double>(queue_n) : 0.0;
    m.prefill_tokens_per_s = prefill_n ? prefill / static_cast<double>(prefill_n) : 0.0;
    const double window = to_seconds(last_end - first_start);
    m.throughput_tokens_per_s = window > 0.0 ? static_cast<double>(tokens) / window : 0.0;
    return m;
}

} // namespace llmcap::emulator::detail
