#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/core/error.hpp>

#include <cstdint>  // uint32_t, uint64_t
#include <optional> // optional
#include <string>   // string
#include <utility>  // move
#include <vector>   // vector

namespace llmcap {

/// What a token event carried (DESIGN.md §4, "Token event").
enum class token_kind : std::uint8_t {
    /// `delta.content` of a chat chunk: answer text.
    content,
    /// `delta.reasoning` or `delta.reasoning_content`: reasoning ("thinking") text.
    reasoning,
    /// `delta.tool_calls`: a tool-call fragment.
    tool_call,
    /// `text` of a `/v1/completions` chunk.
    text,
};

/// True for the kinds that count as answer tokens for the time to first answer (TTFA).
[[nodiscard]] constexpr bool is_answer(token_kind k) noexcept {
    return k != token_kind::reasoning;
}

/// One token event of a stream: when the read that completed it returned, and how many tokens
/// it carried.
struct token_event {
    /// The stamp of the read that completed the event (shared by every event of that read).
    time_point at{};
    /// Tokens in the event: exact when the server sent continuous usage, else 1.
    std::uint32_t tokens = 1;
    /// What the event carried; an event carrying several kinds records the first of
    /// content, text, tool_call, reasoning.
    token_kind kind = token_kind::content;
};

/// Token counts the server reported in `usage` (vLLM, SGLang, llama.cpp and OpenAI shapes).
struct usage_info {
    /// `usage.prompt_tokens`.
    std::uint64_t prompt_tokens = 0;
    /// `usage.completion_tokens` (reasoning tokens included).
    std::uint64_t completion_tokens = 0;
    /// `usage.total_tokens`.
    std::uint64_t total_tokens = 0;
    /// `usage.completion_tokens_details.reasoning_tokens` or SGLang's `usage.reasoning_tokens`.
    std::optional<std::uint64_t> reasoning_tokens;
    /// `usage.prompt_tokens_details.cached_tokens`.
    std::optional<std::uint64_t> cached_tokens;

    friend bool operator==(const usage_info&, const usage_info&) = default;
};

/// The server's own account of a request's timing, where it sends one: llama.cpp's `timings`
/// object, or per-request metrics in a final usage chunk. Every field is optional.
struct server_timings {
    /// Prompt tokens the server evaluated (llama.cpp `prompt_n`; cached tokens excluded).
    std::optional<std::uint64_t> prompt_tokens_evaluated;
    /// Prompt tokens served from the server's prefix cache (llama.cpp `cache_n`).
    std::optional<std::uint64_t> prompt_tokens_cached;
    /// Prompt processing time (llama.cpp `prompt_ms`), milliseconds.
    std::optional<double> prompt_ms;
    /// Tokens generated (llama.cpp `predicted_n`).
    std::optional<std::uint64_t> predicted_tokens;
    /// Generation time (llama.cpp `predicted_ms`), milliseconds.
    std::optional<double> predicted_ms;
    /// Time the request waited in the server's queue, seconds.
    std::optional<double> queue_s;
    /// Time the server spent on prefill, seconds.
    std::optional<double> prefill_s;
    /// Time the server spent decoding, seconds.
    std::optional<double> decode_s;

    friend bool operator==(const server_timings&, const server_timings&) = default;
};

/**
 * Everything observed about one request: the single source of truth from which every
 * per-request metric is derived (DESIGN.md §1, §4).
 *
 * Latencies count from `intended_start`, when the load shape wanted the request sent, so a
 * client that falls behind cannot hide queueing (no coordinated omission). A failed request
 * keeps everything measured before it failed.
 */
struct request_trace {
    /// Sequence number of the request within its run.
    std::uint64_t index = 0;

    // --- what was asked ---
    /// Prompt length the workload aimed for, in server tokens; 0 when not known.
    std::uint32_t prompt_tokens_target = 0;
    /// `max_tokens` sent; 0 when none was sent.
    std::uint32_t max_tokens = 0;
    /// True when exactly `max_tokens` output tokens were asked for (`ignore_eos`).
    bool fixed_output = false;
    /// The conversation the request belongs to (a session workload), from 1; 0 when it is a
    /// single-turn request.
    std::uint64_t conversation = 0;
    /// The request's turn in its conversation, from 1; 0 when it is a single-turn request.
    std::uint32_t turn = 0;

    // --- when ---
    /// When the load shape wanted the request sent.
    time_point intended_start{};
    /// When the request's first byte was written; empty if it never was.
    std::optional<time_point> send;
    /// When the response headers were complete; empty if they never came.
    std::optional<time_point> headers;
    /// When the request ended: end of stream (`[DONE]` or close), failure or cancellation.
    time_point end{};

    /// Every token event, in arrival order.
    std::vector<token_event> events;
    /// Every SSE event received, token event or not (role-only, usage, keep-alive data).
    std::uint64_t sse_events = 0;
    /// True when every token event's `tokens` is exact (continuous usage was sent).
    bool exact_event_tokens = false;

    // --- what came back ---
    /// HTTP status of the response; 0 when none arrived.
    int http_status = 0;
    /// The response's `id` as the server sent it.
    std::string response_id;
    /// The `model` the server reported (llama.cpp reports its own name, not the one asked for).
    std::string server_model;
    /// `finish_reason` of the stream's final choice ("length", "stop", ...); empty if none came.
    std::string finish_reason;
    /// True when the stream ended with `data: [DONE]`.
    bool done_marker = false;
    /// The server's final usage, when it sent one.
    std::optional<usage_info> usage;
    /// The server's own timing account, when it sent one.
    std::optional<server_timings> timings;

    // --- outcome ---
    /// Why the request failed; empty when it succeeded.
    std::optional<error> failure;
    /// The failure's detail: the server's error message, the parser's diagnostic, the status
    /// line. Empty on success.
    std::string error_message;

    /// True when the request ended with a complete stream.
    [[nodiscard]] bool ok() const noexcept {
        return !failure.has_value();
    }

    /// Time of the first token event; empty if none arrived.
    [[nodiscard]] std::optional<time_point> first_token_time() const noexcept {
        if (events.empty())
            return std::nullopt;
        return events.front().at;
    }

    /// Time of the first answer (non-reasoning) token event; empty if none arrived.
    [[nodiscard]] std::optional<time_point> first_answer_time() const noexcept {
        for (const token_event& e : events)
            if (is_answer(e.kind))
                return e.at;
        return std::nullopt;
    }

    /// Time of the last token event; empty if none arrived.
    [[nodiscard]] std::optional<time_point> last_token_time() const noexcept {
        if (events.empty())
            return std::nullopt;
        return events.back().at;
    }

    /// Tokens counted from the events (exact with continuous usage, else one per event).
    [[nodiscard]] std::uint64_t event_tokens() const noexcept {
        std::uint64_t n = 0;
        for (const token_event& e : events)
            n += e.tokens;
        return n;
    }

    /// Output tokens: `usage.completion_tokens` when the server sent usage, else the count of
    /// token events (then `output_tokens_estimated()` is true).
    [[nodiscard]] std::uint64_t output_tokens() const noexcept {
        return usage ? usage->completion_tokens : event_tokens();
    }

    /// True when output_tokens() is counted from events rather than reported by the server.
    [[nodiscard]] bool output_tokens_estimated() const noexcept {
        return !usage.has_value();
    }

    /// Marks the request failed, keeping the first failure if one was already recorded.
    void fail(error kind, std::string message) {
        if (failure)
            return;
        failure = kind;
        error_message = std::move(message);
    }
};

} // namespace llmcap
