#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/core/error.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/openai/chunk_decoder.hpp>
#include <llmcap/sse/parser.hpp>

#include <cstdint>      // uint32_t, uint64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <system_error> // error_code
#include <utility>      // move

namespace llmcap::openai {

/// Options of a trace_builder.
struct trace_builder_options {
    /// Limits of the event-stream parser.
    sse::parser_options sse;
    /// Options of the chunk decoder.
    decoder_options decoder;
    /// A stream that asked for `max_tokens` is ended as error::overlong_stream once its output
    /// passes `overlong_factor × max_tokens + overlong_margin_tokens` (tokens as counted so
    /// far: exact per event where the server says so, else one per token event), so a server
    /// that ignores the limit cannot keep the client reading until the total timeout.
    std::uint32_t overlong_factor = 2;
    /// See overlong_factor.
    std::uint32_t overlong_margin_tokens = 64;
};

/**
 * Turns the body of an OpenAI-compatible streaming response into a request_trace: one token
 * event per SSE event that carries output (every event of one read sharing that read's stamp),
 * usage, finish reason, the server's timings, in-stream errors, and the end of the stream.
 *
 * The HTTP layer feeds it de-chunked body bytes as they are read and stamps send, headers and
 * status itself; this class holds no I/O. One builder per connection, reused across requests
 * (begin() resets it, keeping its buffers).
 *
 * A stream is complete when it ends with `data: [DONE]`, or, for servers that omit it, when
 * the connection ends cleanly after a choice carried a `finish_reason`. Anything else is a
 * classified failure on the trace (truncated_stream, malformed_stream, server_error_event,
 * short_output, overlong_stream), keeping every event measured before it.
 */
class trace_builder {
public:
    /// A builder with the given options.
    explicit trace_builder(trace_builder_options options = {})
        : parser_(options.sse), decoder_(options.decoder),
          overlong_factor_(options.overlong_factor),
          overlong_margin_(options.overlong_margin_tokens) {}

    /**
     * Starts filling `trace` (which must outlive the stream). Reserves room for the expected
     * number of events so the stream does not allocate while it runs.
     *
     * When `answer_text` is not null, the answer's text is appended to it as the events are
     * read: `delta.content` (chat; `message.content` of a complete body) and `text`
     * (completions), in event order, escapes decoded; reasoning and tool calls are not answer
     * text. A stream that fails keeps the text of the events read before the failure. The
     * string is not cleared, and must outlive the stream. Null (the default) costs nothing.
     */
    void begin(request_trace& trace, std::string* answer_text = nullptr);

    /**
     * Feeds body bytes completed by one read at `read_time`. Returns false once the stream has
     * ended (`[DONE]`, an error event, or a malformed stream); later bytes are ignored, and
     * the caller may stop reading (or drain the body to reuse the connection).
     */
    bool put(std::string_view body_bytes, time_point read_time);

    /**
     * The body ended at `at`: `clean_eof` when the HTTP message ended normally, false when
     * the connection broke. Classifies an incomplete stream, checks a fixed output length,
     * and sets the trace's end (unless the stream had already ended earlier).
     */
    void finish(time_point at, bool clean_eof);

    /// Fills the trace from a non-streaming JSON response received complete at `at`: usage,
    /// finish reason, timings; no token events (TTFT is undefined without streaming).
    void put_complete_body(std::string_view json, time_point at);

    /// True once the stream has ended (`[DONE]`, error event, malformed data).
    [[nodiscard]] bool ended() const noexcept {
        return ended_;
    }

private:
    void on_event(const sse::event& ev, time_point at);
    void apply(const chunk& c);
    void end_stream(time_point at) {
        ended_ = true;
        trace_->end = at;
    }

    sse::parser parser_;
    chunk_decoder decoder_;
    chunk chunk_;
    request_trace* trace_ = nullptr;
    bool ended_ = false;
    bool all_exact_ = true;
    std::uint64_t overlong_factor_;
    std::uint64_t overlong_margin_;
    std::uint64_t tokens_seen_ = 0;
};

// --- definitions -----------------------------------------------------------------------------

inline void trace_builder::begin(request_trace& trace, std::string* answer_text) {
    trace_ = &trace;
    parser_.reset();
    decoder_.reset();
    decoder_.set_answer_text(answer_text);
    ended_ = false;
    all_exact_ = true;
    tokens_seen_ = 0;
    trace.events.reserve(trace.max_tokens > 0 ? trace.max_tokens + 1 : 256);
}

inline bool trace_builder::put(std::string_view bytes, time_point read_time) {
    if (ended_)
        return false;
    sse::event ev;
    std::error_code ec;
    while (!bytes.empty()) {
        bytes.remove_prefix(parser_.put(bytes, ev, ec));
        if (ec == sse::error::need_more)
            break;
        if (ec) {
            trace_->fail(llmcap::error::malformed_stream, parser_.describe(ec));
            end_stream(read_time);
            return false;
        }
        on_event(ev, read_time);
        if (ended_)
            return false;
    }
    return true;
}

inline void trace_builder::on_event(const sse::event& ev, time_point at) {
    request_trace& t = *trace_;
    ++t.sse_events;
    if (ev.type == "error") {
        t.fail(llmcap::error::server_error_event, "server error event: " + std::string(ev.data));
        end_stream(at);
        return;
    }
    if (const std::error_code ec = decoder_.decode(ev.data, chunk_)) {
        t.fail(llmcap::error::malformed_stream,
               decoder_.message() + " (event " + std::to_string(t.sse_events) + ")");
        end_stream(at);
        return;
    }
    const chunk& c = chunk_;
    if (c.done) {
        t.done_marker = true;
        end_stream(at);
        return;
    }
    if (c.error) {
        std::string msg = "server error";
        if (c.error_code)
            msg += " " + std::to_string(*c.error_code);
        if (!c.error_type.empty())
            msg += " (" + std::string(c.error_type) + ")";
        msg += ": ";
        msg += c.error_message.empty() ? std::string_view("(no message)") : c.error_message;
        t.fail(llmcap::error::server_error_event, std::move(msg));
        end_stream(at);
        return;
    }
    if (c.is_token_event()) {
        token_event e;
        e.at = at;
        e.kind = c.kind();
        if (c.tokens && *c.tokens > 0) {
            e.tokens = *c.tokens;
        } else {
            e.tokens = 1;
            all_exact_ = false;
        }
        t.events.push_back(e);
        t.exact_event_tokens = all_exact_;
        tokens_seen_ += e.tokens;
        if (t.max_tokens > 0 && tokens_seen_ > overlong_factor_ * t.max_tokens + overlong_margin_) {
            apply(c);
            t.fail(llmcap::error::overlong_stream,
                   "the stream carried " + std::to_string(tokens_seen_) + " output tokens for " +
                       "max_tokens " + std::to_string(t.max_tokens) +
                       "; ended (the server does not honour max_tokens)");
            end_stream(at);
            return;
        }
    }
    apply(c);
}

inline void trace_builder::apply(const chunk& c) {
    request_trace& t = *trace_;
    if (t.response_id.empty() && !c.id.empty())
        t.response_id = c.id;
    if (t.server_model.empty() && !c.model.empty())
        t.server_model = c.model;
    if (!c.finish_reason.empty())
        t.finish_reason = c.finish_reason;
    if (c.usage)
        t.usage = *c.usage;
    if (c.timings) {
        if (!t.timings)
            t.timings.emplace();
        server_timings& s = *t.timings;
        const server_timings& n = *c.timings;
        if (n.prompt_tokens_evaluated)
            s.prompt_tokens_evaluated = n.prompt_tokens_evaluated;
        if (n.prompt_tokens_cached)
            s.prompt_tokens_cached = n.prompt_tokens_cached;
        if (n.prompt_ms)
            s.prompt_ms = n.prompt_ms;
        if (n.predicted_tokens)
            s.predicted_tokens = n.predicted_tokens;
        if (n.predicted_ms)
            s.predicted_ms = n.predicted_ms;
    }
}

inline void trace_builder::finish(time_point at, bool clean_eof) {
    request_trace& t = *trace_;
    if (!ended_) {
        std::error_code ec;
        parser_.finish(ec);
        if (ec)
            t.fail(llmcap::error::truncated_stream, parser_.describe(ec));
        else if (!clean_eof)
            t.fail(llmcap::error::truncated_stream,
                   "connection closed before the end of the stream");
        else if (t.finish_reason.empty())
            t.fail(llmcap::error::truncated_stream,
                   "stream ended without [DONE] and without a finish_reason");
        end_stream(at);
    }
    if (t.ok() && t.fixed_output && t.max_tokens > 0 && t.output_tokens() < t.max_tokens)
        t.fail(llmcap::error::short_output,
               "received " + std::to_string(t.output_tokens()) + " of " +
                   std::to_string(t.max_tokens) + " output tokens" +
                   (t.output_tokens_estimated() ? " (counted from events)" : ""));
}

inline void trace_builder::put_complete_body(std::string_view json, time_point at) {
    request_trace& t = *trace_;
    if (const std::error_code ec = decoder_.decode(json, chunk_)) {
        t.fail(llmcap::error::malformed_stream, decoder_.message());
        end_stream(at);
        return;
    }
    if (chunk_.error) {
        t.fail(llmcap::error::server_error_event,
               "server error: " + std::string(chunk_.error_message));
        end_stream(at);
        return;
    }
    apply(chunk_);
    end_stream(at);
    finish(at, true);
}

} // namespace llmcap::openai
