// Shared by the fuzz targets that build request traces (trace_builder, http_response): a trace
// without its timestamps, so that replays of the same bytes in different read splits can be
// compared (as tests/openai/trace_builder.cpp compares replays).
#pragma once

#include <llmcap/core/request_trace.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fuzz {

struct trace_shape {
    std::vector<std::pair<std::uint32_t, llmcap::token_kind>> events;
    std::uint64_t sse_events;
    int http_status;
    std::optional<llmcap::error> failure;
    std::string finish_reason, model, id;
    bool done;
    bool exact_event_tokens;
    std::optional<llmcap::usage_info> usage;
    std::optional<llmcap::server_timings> timings;
    std::string answer;
    bool operator==(const trace_shape&) const = default;
};

/// The trace's shape, with the answer text captured beside it (empty when none was).
inline trace_shape shape_of(const llmcap::request_trace& t, std::string answer = {}) {
    trace_shape s{{},
                  t.sse_events,
                  t.http_status,
                  t.failure,
                  t.finish_reason,
                  t.server_model,
                  t.response_id,
                  t.done_marker,
                  t.exact_event_tokens,
                  t.usage,
                  t.timings,
                  std::move(answer)};
    for (const auto& e : t.events)
        s.events.emplace_back(e.tokens, e.kind);
    return s;
}

} // namespace fuzz
