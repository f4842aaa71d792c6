#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/core/error.hpp>
#include <llmcap/core/json_error.hpp>
#include <llmcap/core/json_number.hpp>
#include <llmcap/core/json_reader.hpp>
#include <llmcap/core/request_trace.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>  // int64_t, uint32_t, uint64_t
#include <optional> // optional
#include <string>   // string
#include <utility>  // move

namespace llmcap::sweep {

/// One line of `requests.jsonl`: a finished request, the cell it belongs to, and whether it was
/// a warm-up request.
struct trace_record {
    /// The cell's id (cell_key::id()).
    std::string cell;
    /// True for a warm-up request (excluded from statistics).
    bool warmup = false;
    /// The request.
    request_trace trace;
};

namespace detail {

[[nodiscard]] constexpr char kind_letter(token_kind k) noexcept {
    switch (k) {
    case token_kind::content:
        return 'c';
    case token_kind::reasoning:
        return 'r';
    case token_kind::tool_call:
        return 't';
    case token_kind::text:
        return 'x';
    }
    return 'c';
}

[[nodiscard]] inline std::int64_t since(time_point t, time_point origin) noexcept {
    return to_nanoseconds(t - origin);
}

} // namespace detail

/**
 * A trace as one JSON object (a `requests.jsonl` line). Times are integer nanoseconds since
 * `origin` (the run's start), so re-analysis from the file is exact: `intended_start_ns`,
 * `send_ns`, `headers_ns` (null when absent), `end_ns`; token events as `event_gaps_ns` (first
 * event − intended start, then each event − the previous), `event_tokens` (omitted when every
 * event carried one token) and `event_kinds` (one letter per event: c content, r reasoning,
 * t tool call, x completions text).
 */
[[nodiscard]] inline boost::json::object to_json(const trace_record& r, time_point origin) {
    using detail::since;
    const request_trace& t = r.trace;
    boost::json::array gaps;
    gaps.reserve(t.events.size());
    std::string kinds;
    kinds.reserve(t.events.size());
    bool all_one = true;
    time_point prev = t.intended_start;
    for (const token_event& e : t.events) {
        gaps.push_back(to_nanoseconds(e.at - prev));
        prev = e.at;
        kinds += detail::kind_letter(e.kind);
        all_one = all_one && e.tokens == 1;
    }
    boost::json::object o{
        {"cell", r.cell},
        {"warmup", r.warmup},
        {"index", t.index},
        {"prompt_tokens_target", t.prompt_tokens_target},
        {"max_tokens", t.max_tokens},
        {"fixed_output", t.fixed_output},
        {"intended_start_ns", since(t.intended_start, origin)},
        {"send_ns",
         t.send ? boost::json::value(since(*t.send, origin)) : boost::json::value(nullptr)},
        {"headers_ns",
         t.headers ? boost::json::value(since(*t.headers, origin)) : boost::json::value(nullptr)},
        {"end_ns", since(t.end, origin)},
        {"event_gaps_ns", std::move(gaps)},
        {"event_kinds", kinds},
        {"sse_events", t.sse_events},
        {"exact_event_tokens", t.exact_event_tokens},
        {"http_status", t.http_status},
        {"response_id", t.response_id},
        {"server_model", t.server_model},
        {"finish_reason", t.finish_reason},
        {"done_marker", t.done_marker},
        {"failure",
         t.failure ? boost::json::value(error_name(*t.failure)) : boost::json::value(nullptr)},
        {"error_message", t.error_message},
    };
    if (t.turn > 0) { // a session workload's request: its conversation and turn
        o["conversation"] = t.conversation;
        o["turn"] = t.turn;
    }
    if (!all_one) {
        boost::json::array tokens;
        for (const token_event& e : t.events)
            tokens.push_back(e.tokens);
        o["event_tokens"] = std::move(tokens);
    }
    if (t.usage) {
        boost::json::object u{{"prompt_tokens", t.usage->prompt_tokens},
                              {"completion_tokens", t.usage->completion_tokens},
                              {"total_tokens", t.usage->total_tokens}};
        u["reasoning_tokens"] = t.usage->reasoning_tokens
                                    ? boost::json::value(*t.usage->reasoning_tokens)
                                    : boost::json::value(nullptr);
        u["cached_tokens"] = t.usage->cached_tokens ? boost::json::value(*t.usage->cached_tokens)
                                                    : boost::json::value(nullptr);
        o["usage"] = std::move(u);
    } else {
        o["usage"] = nullptr;
    }
    if (t.timings) {
        const server_timings& s = *t.timings;
        const auto u64 = [](const std::optional<std::uint64_t>& x) {
            return x ? boost::json::value(*x) : boost::json::value(nullptr);
        };
        o["timings"] =
            boost::json::object{{"prompt_tokens_evaluated", u64(s.prompt_tokens_evaluated)},
                                {"prompt_tokens_cached", u64(s.prompt_tokens_cached)},
                                {"prompt_ms", json_number_or_null(s.prompt_ms)},
                                {"predicted_tokens", u64(s.predicted_tokens)},
                                {"predicted_ms", json_number_or_null(s.predicted_ms)},
                                {"queue_s", json_number_or_null(s.queue_s)},
                                {"prefill_s", json_number_or_null(s.prefill_s)},
                                {"decode_s", json_number_or_null(s.decode_s)}};
    } else {
        o["timings"] = nullptr;
    }
    return o;
}

/// Reads a `requests.jsonl` line written by to_json(const trace_record&, origin); times are
/// placed relative to `origin`. Errors name the field ("$.event_gaps_ns[3]: ...").
[[nodiscard]] inline json_result<trace_record> trace_record_from_json(const boost::json::value& v,
                                                                      time_point origin) {
    json_reader in("results json");
    trace_record r;
    request_trace& t = r.trace;
    const std::string path = "$";
    const boost::json::object* o = in.object(v, path);
    const auto at = [origin](std::int64_t ns) { return origin + std::chrono::nanoseconds(ns); };
    if (o != nullptr) {
        in.field(*o, "cell", path, r.cell);
        in.field(*o, "warmup", path, r.warmup);
        in.field(*o, "index", path, t.index);
        in.field(*o, "prompt_tokens_target", path, t.prompt_tokens_target);
        in.field(*o, "max_tokens", path, t.max_tokens);
        in.field(*o, "fixed_output", path, t.fixed_output);
        in.optional_field(*o, "conversation", path, t.conversation);
        in.optional_field(*o, "turn", path, t.turn);
        std::int64_t intended = 0, end = 0;
        std::optional<std::int64_t> send, headers;
        in.field(*o, "intended_start_ns", path, intended);
        in.field(*o, "send_ns", path, send);
        in.field(*o, "headers_ns", path, headers);
        in.field(*o, "end_ns", path, end);
        t.intended_start = at(intended);
        if (send)
            t.send = at(*send);
        if (headers)
            t.headers = at(*headers);
        t.end = at(end);
        std::vector<std::int64_t> gaps;
        std::string kinds;
        std::vector<std::uint32_t> tokens;
        in.field(*o, "event_gaps_ns", path, gaps);
        in.field(*o, "event_kinds", path, kinds);
        in.optional_field(*o, "event_tokens", path, tokens);
        if (in.ok() && kinds.size() != gaps.size())
            in.fail(path + ".event_kinds", "has " + std::to_string(kinds.size()) + " letters for " +
                                               std::to_string(gaps.size()) + " events");
        if (in.ok() && !tokens.empty() && tokens.size() != gaps.size())
            in.fail(path + ".event_tokens", "has " + std::to_string(tokens.size()) +
                                                " counts for " + std::to_string(gaps.size()) +
                                                " events");
        std::int64_t ns = intended;
        for (std::size_t i = 0; i < gaps.size() && in.ok(); ++i) {
            if (gaps[i] < 0 && i > 0) {
                in.fail(path + ".event_gaps_ns[" + std::to_string(i) + "]", "negative gap");
                break;
            }
            ns += gaps[i];
            token_event e;
            e.at = at(ns);
            e.tokens = tokens.empty() ? 1 : tokens[i];
            switch (kinds[i]) {
            case 'c':
                e.kind = token_kind::content;
                break;
            case 'r':
                e.kind = token_kind::reasoning;
                break;
            case 't':
                e.kind = token_kind::tool_call;
                break;
            case 'x':
                e.kind = token_kind::text;
                break;
            default:
                in.fail(path + ".event_kinds",
                        std::string("unknown kind letter '") + kinds[i] + "'");
            }
            t.events.push_back(e);
        }
        in.field(*o, "sse_events", path, t.sse_events);
        in.field(*o, "exact_event_tokens", path, t.exact_event_tokens);
        std::int64_t status = 0;
        in.field(*o, "http_status", path, status);
        t.http_status = static_cast<int>(status);
        in.field(*o, "response_id", path, t.response_id);
        in.field(*o, "server_model", path, t.server_model);
        in.field(*o, "finish_reason", path, t.finish_reason);
        in.field(*o, "done_marker", path, t.done_marker);
        std::optional<std::string> failure;
        in.field(*o, "failure", path, failure);
        if (failure) {
            error e{};
            if (!error_from_name(*failure, e))
                in.fail(path + ".failure", "unknown failure kind \"" + *failure + "\"");
            t.failure = e;
        }
        in.field(*o, "error_message", path, t.error_message);
        if (const boost::json::value* uv = in.member(*o, "usage", path); uv && !uv->is_null()) {
            const std::string p = path + ".usage";
            if (const boost::json::object* uo = in.object(*uv, p)) {
                usage_info u;
                in.field(*uo, "prompt_tokens", p, u.prompt_tokens);
                in.field(*uo, "completion_tokens", p, u.completion_tokens);
                in.field(*uo, "total_tokens", p, u.total_tokens);
                in.optional_field(*uo, "reasoning_tokens", p, u.reasoning_tokens);
                in.optional_field(*uo, "cached_tokens", p, u.cached_tokens);
                t.usage = u;
            }
        }
        if (const boost::json::value* sv = in.member(*o, "timings", path); sv && !sv->is_null()) {
            const std::string p = path + ".timings";
            if (const boost::json::object* so = in.object(*sv, p)) {
                server_timings s;
                in.optional_field(*so, "prompt_tokens_evaluated", p, s.prompt_tokens_evaluated);
                in.optional_field(*so, "prompt_tokens_cached", p, s.prompt_tokens_cached);
                in.optional_field(*so, "prompt_ms", p, s.prompt_ms);
                in.optional_field(*so, "predicted_tokens", p, s.predicted_tokens);
                in.optional_field(*so, "predicted_ms", p, s.predicted_ms);
                in.optional_field(*so, "queue_s", p, s.queue_s);
                in.optional_field(*so, "prefill_s", p, s.prefill_s);
                in.optional_field(*so, "decode_s", p, s.decode_s);
                t.timings = s;
            }
        }
    }
    return in.result(std::move(r));
}

} // namespace llmcap::sweep
