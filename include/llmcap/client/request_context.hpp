#pragma once

#include <llmcap/client/stop_signal.hpp>
#include <llmcap/core/clock.hpp>

#include <cstdint> // uint32_t, uint64_t
#include <string>  // string

namespace llmcap::client {

/**
 * What the caller knows about a request besides its body: when the load shape wanted it sent,
 * its place in the run, and how to stop it.
 *
 * Cancellation comes two ways: a stop_signal shared by a run (request_stop() ends every request
 * in flight), or Asio's per-operation cancellation slot bound to the coroutine that awaits
 * stream() (`asio::bind_cancellation_slot`). Either ends the request with error::cancelled.
 */
struct request_context {
    /// When the load shape wanted the request sent; latencies count from it. Defaults to the
    /// time stream() is called when left empty.
    time_point intended_start{};
    /// Sequence number of the request within its run (request_trace::index).
    std::uint64_t index = 0;
    /// Prompt length the workload aimed for, in server tokens; 0 when not known.
    std::uint32_t prompt_tokens_target = 0;
    /// The run's stop signal, or null for none. Must outlive the request.
    stop_signal* stop = nullptr;
    /// Where the answer's text goes: the `delta.content` (chat) or `text` (completions) of
    /// every event, appended in order (reasoning and tool calls are not answer text); null keeps
    /// none. A session workload sends it back as the assistant's turn. Must outlive the request.
    std::string* answer_text = nullptr;
};

} // namespace llmcap::client
