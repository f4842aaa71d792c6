#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/emulator/detail/server_format.hpp>
#include <llmcap/emulator/ground_truth.hpp>

#include <cstdint>     // uint32_t, uint64_t, int64_t
#include <string>      // string
#include <string_view> // string_view

namespace llmcap::emulator {

/// Which API a request used.
enum class server_api : std::uint8_t {
    /// `POST /v1/chat/completions`.
    chat_completions,
    /// `POST /v1/completions`.
    completions,
};

/**
 * The ground truth of one request the server ran through its engine, handed to
 * server::on_request() when its last token was emitted. Times are emulated (see
 * server::to_wall()).
 */
struct request_record {
    /// The response's `id` (`chatcmpl-...` or `cmpl-...`).
    std::string response_id;
    /// Which API it used.
    server_api api = server_api::chat_completions;
    /// True for a streamed response.
    bool stream = true;
    /// What happened in the engine (its `arrival` includes the front end's delay).
    request_truth truth;
    /// When the front end finished reading the request.
    time_point received{};
    /// `finish_reason`: "length" (ran to max_tokens) or "stop" (sampled end).
    std::string finish_reason;
    /// Output tokens streamed as reasoning.
    std::uint32_t reasoning_tokens = 0;
    /// The faults applied (text form), empty for none.
    std::string fault;
    /// True when the client could not receive the whole response (it left, or a fault ended
    /// the stream early).
    bool client_lost = false;
};

/// The ground truth of one engine step, handed to server::on_step(). Times are emulated.
struct step_record {
    /// Sequence number of the step, from 0.
    std::uint64_t index = 0;
    /// When the step started.
    time_point start{};
    /// When it ended.
    time_point end{};
    /// Sequences in the step.
    std::uint32_t sequences = 0;
    /// Output tokens emitted.
    std::uint64_t output_tokens = 0;
    /// Prompt tokens prefilled (recomputation included).
    std::uint64_t prefill_tokens = 0;
    /// Device utilisation of the step, [0, 1] (power_model::utilisation).
    double utilisation = 0.0;
    /// Power during the step, watts.
    double power_w = 0.0;
    /// Energy of the step, joules.
    double energy_j = 0.0;
    /// How late (wall time) the timer ending the step fired.
    duration lag{};
};

namespace detail {

inline void append_ns(std::string& out, std::string_view key, time_point t, time_point epoch) {
    out += ",\"";
    out += key;
    out += "\":";
    const std::int64_t ns = to_nanoseconds(t - epoch);
    if (ns < 0)
        out += '-';
    append_uint(out, static_cast<std::uint64_t>(ns < 0 ? -ns : ns));
}

} // namespace detail

/**
 * One line of the ground-truth JSONL file (no newline). Times are emulated nanoseconds since
 * the server's epoch (`*_ns`); a wall-clock (trace_clock) time is `epoch + t / time_scale`,
 * and both are written on every line as `epoch_ns` (trace_clock nanoseconds) and
 * `time_scale`.
 */
[[nodiscard]] inline std::string truth_json_line(const request_record& r, time_point epoch,
                                                 double time_scale) {
    std::string out = "{\"id\":\"";
    detail::append_json_escaped(out, r.response_id);
    out += "\",\"api\":\"";
    out += r.api == server_api::chat_completions ? "chat" : "completions";
    out += "\",\"stream\":";
    out += r.stream ? "true" : "false";
    out += ",\"engine_id\":";
    detail::append_uint(out, r.truth.id);
    out += ",\"prompt_tokens\":";
    detail::append_uint(out, r.truth.prompt_tokens);
    out += ",\"cached_tokens\":";
    detail::append_uint(out, r.truth.cached_tokens);
    out += ",\"output_tokens\":";
    detail::append_uint(out, r.truth.tokens.size());
    out += ",\"reasoning_tokens\":";
    detail::append_uint(out, r.reasoning_tokens);
    out += ",\"finish_reason\":\"";
    out += r.finish_reason;
    out += "\",\"fault\":\"";
    detail::append_json_escaped(out, r.fault);
    out += "\",\"client_lost\":";
    out += r.client_lost ? "true" : "false";
    out += ",\"time_scale\":";
    detail::append_double(out, time_scale);
    out += ",\"epoch_ns\":";
    detail::append_uint(out, static_cast<std::uint64_t>(to_nanoseconds(epoch.time_since_epoch())));
    detail::append_ns(out, "received_ns", r.received, epoch);
    detail::append_ns(out, "arrival_ns", r.truth.arrival, epoch);
    if (r.truth.scheduled)
        detail::append_ns(out, "scheduled_ns", *r.truth.scheduled, epoch);
    if (r.truth.finish)
        detail::append_ns(out, "finish_ns", *r.truth.finish, epoch);
    if (r.truth.aborted)
        detail::append_ns(out, "aborted_ns", *r.truth.aborted, epoch);
    out += ",\"tokens_ns\":[";
    for (std::size_t i = 0; i < r.truth.tokens.size(); ++i) {
        if (i > 0)
            out += ',';
        detail::append_uint(out,
                            static_cast<std::uint64_t>(to_nanoseconds(r.truth.tokens[i] - epoch)));
    }
    out += "],\"prefill_chunks\":[";
    for (std::size_t i = 0; i < r.truth.prefill_chunks.size(); ++i) {
        const prefill_chunk& c = r.truth.prefill_chunks[i];
        if (i > 0)
            out += ',';
        out += "{\"at_ns\":";
        detail::append_uint(out, static_cast<std::uint64_t>(to_nanoseconds(c.at - epoch)));
        out += ",\"tokens\":";
        detail::append_uint(out, c.tokens);
        out += ",\"recompute\":";
        out += c.recompute ? "true" : "false";
        out += '}';
    }
    out += "],\"preemptions_ns\":[";
    for (std::size_t i = 0; i < r.truth.preemptions.size(); ++i) {
        if (i > 0)
            out += ',';
        detail::append_uint(
            out, static_cast<std::uint64_t>(to_nanoseconds(r.truth.preemptions[i] - epoch)));
    }
    out += "]}";
    return out;
}

/// One line of the step ground-truth JSONL file (no newline); times as in truth_json_line().
[[nodiscard]] inline std::string step_json_line(const step_record& s, time_point epoch) {
    std::string out = "{\"step\":";
    detail::append_uint(out, s.index);
    detail::append_ns(out, "start_ns", s.start, epoch);
    detail::append_ns(out, "end_ns", s.end, epoch);
    out += ",\"sequences\":";
    detail::append_uint(out, s.sequences);
    out += ",\"output_tokens\":";
    detail::append_uint(out, s.output_tokens);
    out += ",\"prefill_tokens\":";
    detail::append_uint(out, s.prefill_tokens);
    out += ",\"utilisation\":";
    detail::append_double(out, s.utilisation);
    out += ",\"power_w\":";
    detail::append_double(out, s.power_w);
    out += ",\"energy_j\":";
    detail::append_double(out, s.energy_j);
    out += ",\"lag_ns\":";
    detail::append_uint(out, static_cast<std::uint64_t>(to_nanoseconds(s.lag)));
    out += '}';
    return out;
}

} // namespace llmcap::emulator
