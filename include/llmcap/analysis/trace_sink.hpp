#pragma once

#include <llmcap/core/request_trace.hpp>

namespace llmcap::analysis {

/// \concept trace_sink
/// Receives each finished request_trace of a run (DESIGN.md §3): a cell recorder, a JSONL
/// writer, a progress display.
/// 1. `record(t)` is called once per finished request, successful or not, in completion order.
/// 2. `record` does not keep a reference to `t` past the call.
template <class T>
concept trace_sink = requires(T& sink, const request_trace& t) {
    sink.record(t);
};

} // namespace llmcap::analysis
