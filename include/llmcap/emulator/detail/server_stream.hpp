#pragma once

// How the emulator writes a completion's response: a request's state between the front end
// and its last token, the SSE chunks of a streamed response (in vLLM's shape) and the faults
// injected into them, the queue of connections with output to write, and the JSON body of a
// response that is not streamed.

#include <llmcap/core/clock.hpp>
#include <llmcap/emulator/detail/server_format.hpp>
#include <llmcap/emulator/detail/server_lag.hpp>
#include <llmcap/emulator/detail/server_session.hpp>
#include <llmcap/emulator/engine.hpp>
#include <llmcap/emulator/fault.hpp>
#include <llmcap/emulator/server_options.hpp>
#include <llmcap/emulator/server_records.hpp>
#include <llmcap/emulator/tokenizer.hpp>

#include <algorithm>   // min
#include <cstddef>     // size_t, ptrdiff_t
#include <cstdint>     // uint32_t, uint64_t
#include <memory>      // shared_ptr
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

namespace llmcap::emulator::detail {

/// What the choices of one response share (a completion request with a list of prompts has
/// one choice, and one engine request, per prompt, as in vLLM).
struct response_group {
    std::uint32_t remaining = 0;     // choices not finished in the engine
    std::uint32_t open_streams = 0;  // streamed choices whose last token is not written
    bool ended = false;              // nothing more goes to the client
    std::uint64_t prompt_tokens = 0; // totals over the choices, for usage
    std::uint64_t output_tokens = 0;
    std::uint64_t reasoning_tokens = 0;
    std::uint64_t cached_tokens = 0;  // prompt tokens found in the prefix cache, when
    bool report_cached = false;       // prefix caching is on (usage.prompt_tokens_details)
    std::vector<std::string> choices; // not streamed: each finished choice's JSON
};

/// One choice of a response, from the front end to its record: the engine request's
/// connection, what the client asked for, and the output produced so far.
struct active_request {
    std::shared_ptr<server_session> session;
    std::shared_ptr<response_group> group;
    std::uint32_t choice = 0; // the choice's index in the response
    server_api api = server_api::chat_completions;
    bool stream = false;
    bool include_usage = false;
    bool continuous_usage = false;
    bool lost = false; // the client did not get the whole response
    std::uint32_t prompt_tokens = 0;
    std::uint32_t output_tokens = 0;
    std::uint32_t reasoning_tokens = 0;
    request_spec engine_request; // what the engine is given (token ids until it has them)
    std::string finish_reason;
    std::string response_id;
    std::string prefix; // a chunk up to and including `"choices":[`
    std::string text;
    std::string reasoning_text;
    std::uint64_t text_seed = 0;
    std::uint64_t created = 0;
    time_point received{};
    fault faults;
    std::string target;
};

/// The cached prompt tokens a response's usage reports: none without prefix caching.
[[nodiscard]] inline std::optional<std::uint64_t> cached_of(const response_group& g) noexcept {
    return g.report_cached ? std::optional<std::uint64_t>(g.cached_tokens) : std::nullopt;
}

/// A response's `id`: `chatcmpl-SEED-N` or `cmpl-SEED-N`.
[[nodiscard]] inline std::string response_id(server_api api, std::uint64_t seed, std::uint64_t n) {
    std::string id = api == server_api::chat_completions ? "chatcmpl-" : "cmpl-";
    append_uint(id, seed);
    id += '-';
    append_uint(id, n);
    return id;
}

/// The start every chunk of a streamed response shares: `data: {"id":...,"object":...,
/// "created":...,"model":...,"choices":[`.
[[nodiscard]] inline std::string chunk_prefix(server_api api, std::string_view id,
                                              std::uint64_t created,
                                              std::string_view served_model_name) {
    std::string prefix = "data: {\"id\":\"";
    prefix += id;
    prefix += api == server_api::chat_completions
                  ? "\",\"object\":\"chat.completion.chunk\",\"created\":"
                  : "\",\"object\":\"text_completion\",\"created\":";
    append_uint(prefix, created);
    prefix += ",\"model\":\"";
    append_json_escaped(prefix, served_model_name);
    prefix += "\",\"choices\":[";
    return prefix;
}

/// Writes the headers of a streamed response (chunked `text/event-stream`): at once, or one
/// byte at a time over `slow_headers` (wall time) when not zero.
inline void begin_stream(server_session& s, duration slow_headers) {
    std::string headers = "HTTP/1.1 200 OK\r\nserver: llmcap-emulator\r\n"
                          "content-type: text/event-stream; charset=utf-8\r\n"
                          "transfer-encoding: chunked\r\n";
    if (s.close_after())
        headers += "connection: close\r\n";
    headers += "\r\n";
    if (slow_headers != duration{}) {
        s.trickle(std::move(headers), slow_headers);
    } else {
        s.append(headers);
        s.flush();
    }
}

/**
 * Adds token `t` of `a` to its response. Not streamed: appends its text. Streamed: appends
 * its chunk (after the `role` chunk, for a chat's first token) to the session's output, with
 * `ev` as scratch, and returns true; the caller then has the session written and calls
 * end_token_event(). False when nothing was written (the response ended or the client left,
 * or it is not streamed).
 */
inline bool write_token_event(active_request& a, const token_emission& t, std::string& ev,
                              reasoning_field reasoning_as) {
    server_session& s = *a.session;
    if (a.group->ended || s.dead()) {
        a.lost = true;
        return false;
    }
    const std::uint32_t k = t.index + 1; // tokens out, this one included
    const bool reasoning = t.index < a.reasoning_tokens;
    const std::string_view piece = tokenizer::output_piece(a.text_seed, t.index);
    if (!a.stream) {
        (reasoning ? a.reasoning_text : a.text) += piece;
        return false;
    }
    std::string& out = s.output();
    const bool chat = a.api == server_api::chat_completions;
    if (t.index == 0 && chat) {
        ev = a.prefix;
        ev += "{\"index\":";
        append_uint(ev, a.choice);
        ev += ",\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
              "\"logprobs\":null,\"finish_reason\":null}]";
        if (a.continuous_usage) {
            ev += ',';
            append_usage(ev, a.prompt_tokens, 0, 0);
        }
        ev += "}\n\n";
        append_http_chunk(out, ev);
    }
    ev = a.prefix;
    if (chat) {
        ev += "{\"index\":";
        append_uint(ev, a.choice);
        ev += ",\"delta\":{\"";
        ev += reasoning ? field_name(reasoning_as) : std::string_view("content");
        ev += "\":\"";
        ev += piece;
        ev += "\"},\"logprobs\":null,\"finish_reason\":";
    } else {
        ev += "{\"index\":";
        append_uint(ev, a.choice);
        ev += ",\"text\":\"";
        ev += piece;
        ev += "\",\"logprobs\":null,\"finish_reason\":";
    }
    if (t.last) {
        ev += '"';
        ev += a.finish_reason;
        ev += '"';
    } else {
        ev += "null";
    }
    ev += ",\"stop_reason\":null}]";
    if (a.continuous_usage) {
        ev += ',';
        append_usage(ev, a.prompt_tokens, k, std::min(k, a.reasoning_tokens));
    }
    ev += "}\n\n";
    append_http_chunk(out, ev);
    return true;
}

/**
 * After write_token_event() wrote token `t` of `a`: the faults due after this token
 * (a malformed event, an error event, a cut connection, a stall), and the end of the stream
 * with its last choice's last token (the usage chunk when asked for, `[DONE]`, the last HTTP
 * chunk). `ev` is scratch.
 */
inline void end_token_event(active_request& a, const token_emission& t, std::string& ev) {
    server_session& s = *a.session;
    std::string& out = s.output();
    const std::uint32_t k = t.index + 1; // tokens out, this one included
    const fault& f = a.faults;
    if (f.malformed_after == k) {
        ev = a.prefix;
        ev += "{\"index\":";
        append_uint(ev, a.choice);
        ev += ",\"delta\":{\"content\":\" trunc\n\n";
        append_http_chunk(out, ev);
    }
    if (f.error_after == k) {
        append_http_chunk(out,
                          "data: {\"error\":{\"message\":\"emulated engine failure (x-llmcap-fault "
                          "error_event)\",\"type\":\"InternalServerError\",\"param\":null,"
                          "\"code\":500}}\n\n");
        append_http_chunk(out, "data: [DONE]\n\n");
        out += "0\r\n\r\n";
        a.group->ended = true;
        a.lost = true;
        s.end_response();
        return;
    }
    if (f.cut_after == k) {
        s.flush();
        s.kill(false);
        a.group->ended = true;
        a.lost = true;
        return;
    }
    if (f.stall_mid_after == k) {
        s.flush(); // the K tokens go out before the stall
        s.hold_for(f.stall_mid);
        if (f.stall_mid == duration{})
            a.lost = true; // held until the client leaves
    }
    // The response ends with its last choice's last token.
    if (t.last && --a.group->open_streams == 0) {
        if (a.include_usage) {
            ev = a.prefix;
            ev += "],";
            append_usage(ev, a.group->prompt_tokens, a.group->output_tokens,
                         a.group->reasoning_tokens, cached_of(*a.group));
            ev += "}\n\n";
            append_http_chunk(out, ev);
        }
        append_http_chunk(out, "data: [DONE]\n\n");
        out += "0\r\n\r\n";
        a.group->ended = true;
        s.end_response();
    }
}

/// The JSON of a finished choice of a response that is not streamed.
[[nodiscard]] inline std::string choice_json(const active_request& a,
                                             reasoning_field reasoning_as) {
    std::string body = "{\"index\":";
    append_uint(body, a.choice);
    body += ',';
    if (a.api == server_api::chat_completions) {
        body += "\"message\":{\"role\":\"assistant\",\"content\":\"";
        body += a.text;
        body += "\",\"";
        body += field_name(reasoning_as);
        body += "\":";
        if (a.reasoning_tokens > 0) {
            body += '"';
            body += a.reasoning_text;
            body += '"';
        } else {
            body += "null";
        }
        body += ",\"tool_calls\":[]},";
    } else {
        body += "\"text\":\"";
        body += a.text;
        body += "\",";
    }
    body += "\"logprobs\":null,\"finish_reason\":\"";
    body += a.finish_reason;
    body += "\",\"stop_reason\":null}";
    return body;
}

/// Sends a response that is not streamed, once its last choice finished (`a`, any choice).
inline void respond_complete(const active_request& a, std::string_view served_model_name) {
    std::string body = "{\"id\":\"";
    body += a.response_id;
    body += a.api == server_api::chat_completions ? "\",\"object\":\"chat.completion\""
                                                  : "\",\"object\":\"text_completion\"";
    body += ",\"created\":";
    append_uint(body, a.created);
    body += ",\"model\":\"";
    append_json_escaped(body, served_model_name);
    body += "\",\"choices\":[";
    for (std::size_t i = 0; i < a.group->choices.size(); ++i) {
        if (i > 0)
            body += ',';
        body += a.group->choices[i];
    }
    body += "],";
    append_usage(body, a.group->prompt_tokens, a.group->output_tokens, a.group->reasoning_tokens,
                 cached_of(*a.group));
    body += '}';
    a.session->respond(200, "application/json", body);
}

/**
 * Choice `a` finished in the engine: a response that is not streamed gets the choice's JSON,
 * and is sent with its last choice (unless the client left). Fills in `rec` what the front end
 * knows of the request (all but its truth).
 */
inline void finish_choice(active_request& a, request_record& rec, reasoning_field reasoning_as,
                          std::string_view served_model_name) {
    const bool last_choice = --a.group->remaining == 0;
    if (!a.stream && !a.session->dead()) {
        a.group->choices[a.choice] = choice_json(a, reasoning_as);
        if (last_choice)
            respond_complete(a, served_model_name);
    } else if (!a.stream) {
        a.lost = true;
    }
    rec.response_id = std::move(a.response_id);
    rec.api = a.api;
    rec.stream = a.stream;
    rec.received = a.received;
    rec.finish_reason = a.finish_reason;
    rec.reasoning_tokens = a.reasoning_tokens;
    rec.fault = a.faults.any() ? to_string(a.faults) : std::string();
    rec.client_lost = a.lost || a.session->dead();
}

/**
 * The sessions that have new output, in the order their tokens were produced, and the writing
 * of them in slices of wall time: the engine timer and new requests are served between
 * slices, so that a step never waits for the previous steps' writes. When writing takes
 * longer than the engine's steps (thousands of streams at a high time scale), the engine
 * keeps its schedule, each session's later tokens join its unwritten output, and each write
 * carries several tokens.
 */
class session_write_queue {
public:
    /// Queues `s` unless it is queued; `since`: the deadline (wall time) of the step whose
    /// tokens queue it, from which its emission lag counts.
    void add(const std::shared_ptr<server_session>& s, time_point since) {
        if (!s->queued) {
            s->queued = true;
            s->queued_since = since;
            dirty_.push_back(s);
        }
    }

    /// Writes the queued sessions, in order, until the queue is empty (true) or `slice` of
    /// wall time has passed with sessions left (false: the caller has the rest written by a
    /// later call). Records in `emit_lag` how long each session's output waited.
    bool flush(duration slice, server_lag_recorder& emit_lag) {
        const time_point limit = trace_clock::now() + slice;
        if (pos_ >= 256) { // drop the sessions written by earlier slices
            dirty_.erase(dirty_.begin(), dirty_.begin() + static_cast<std::ptrdiff_t>(pos_));
            pos_ = 0;
        }
        while (pos_ < dirty_.size()) {
            server_session& s = *dirty_[pos_++];
            s.queued = false;
            s.flush();
            emit_lag.record(trace_clock::now() - s.queued_since);
            if (pos_ < dirty_.size() && trace_clock::now() >= limit)
                return false;
        }
        clear();
        return true;
    }

    /// Forgets every queued session.
    void clear() noexcept {
        dirty_.clear();
        pos_ = 0;
    }

private:
    std::vector<std::shared_ptr<server_session>> dirty_; // sessions with output, in order
    std::size_t pos_ = 0;                                // dirty_[pos_...] are still to write
};

} // namespace llmcap::emulator::detail
