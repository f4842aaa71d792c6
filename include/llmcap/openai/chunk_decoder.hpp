#pragma once

#include <llmcap/core/request_trace.hpp>
#include <llmcap/openai/detail/chunk_handler.hpp>
#include <llmcap/openai/error.hpp>

#include <boost/json/basic_parser_impl.hpp> // basic_parser definitions
#include <boost/json/parse_options.hpp>     // parse_options

#include <cstddef>      // size_t
#include <cstdint>      // int64_t, uint32_t, uint64_t
#include <optional>     // optional
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <system_error> // error_code

namespace llmcap::openai {

/// What one SSE data payload of an OpenAI-compatible stream said. Views stay valid until the
/// next decode() on the decoder that produced it.
struct chunk {
    /// The payload was `[DONE]`: the stream is complete.
    bool done = false;
    /// A choice carried non-empty `delta.content` (or `message.content`).
    bool content = false;
    /// A choice carried non-empty `delta.reasoning` or `delta.reasoning_content`.
    bool reasoning = false;
    /// A choice carried a non-empty `delta.tool_calls` array.
    bool tool_calls = false;
    /// A choice carried non-empty `text` (`/v1/completions`).
    bool text = false;
    /// A choice carried `delta.role`.
    bool role = false;
    /// Number of objects in `choices` (0 for a usage-only chunk).
    std::size_t choices = 0;
    /// `finish_reason` of a choice, empty when null or absent.
    std::string_view finish_reason;
    /// `usage`, when present and not null.
    std::optional<usage_info> usage;
    /// Output tokens this event carried, from the change in `usage.completion_tokens` since the
    /// previous chunk of the stream (continuous usage); empty when not known.
    std::optional<std::uint32_t> tokens;
    /// llama.cpp's `timings`, when present.
    std::optional<server_timings> timings;
    /// The payload was an error object (`{"error": ...}` or `{"object": "error", ...}`).
    bool error = false;
    /// The error's `message` (or the error string itself).
    std::string_view error_message;
    /// The error's `type`.
    std::string_view error_type;
    /// The error's numeric `code`, when it had one.
    std::optional<std::int64_t> error_code;
    /// Top-level `id`.
    std::string_view id;
    /// Top-level `model`.
    std::string_view model;

    /// True for a token event (DESIGN.md §4): non-empty content, reasoning, tool calls or text.
    [[nodiscard]] bool is_token_event() const noexcept {
        return content || reasoning || tool_calls || text;
    }

    /// The kind recorded for a token event: content, then text, tool_call, reasoning.
    [[nodiscard]] token_kind kind() const noexcept {
        if (content)
            return token_kind::content;
        if (text)
            return token_kind::text;
        if (tool_calls)
            return token_kind::tool_call;
        return token_kind::reasoning;
    }
};

/// Options of a chunk_decoder.
struct decoder_options {
    /// Accept strings that are not valid UTF-8 instead of failing with error::invalid_json.
    bool allow_invalid_utf8 = false;
};

/**
 * Decodes the data payloads of one OpenAI-compatible stream (chat or completions chunks of
 * vLLM, SGLang, llama.cpp, TensorRT-LLM and OpenAI shapes), reading only the fields llmcap
 * uses with Boost.JSON's SAX parser and a reused handler: nothing is allocated per chunk once
 * its string buffers have grown.
 *
 * Stateful across a stream (tokens per event come from usage deltas); reset() between streams.
 */
class chunk_decoder {
public:
    /// A decoder with the given options.
    explicit chunk_decoder(decoder_options options = {}) : parser_(make_parse_options(options)) {}

    /**
     * Decodes one payload into `out`. Returns an openai::error on invalid JSON, a payload of
     * the wrong shape or invalid usage; message() then says what and where.
     */
    std::error_code decode(std::string_view data, chunk& out);

    /// Starts a new stream (the answer-text sink is kept).
    void reset() noexcept {
        last_completion_tokens_ = 0;
    }

    /**
     * Where decode() appends each chunk's answer text: the `delta.content` (or
     * `message.content`) and `text` strings of its choices, in order, escapes decoded. Reasoning
     * and tool calls are not answer text. A chunk that fails to decode appends nothing. Null
     * (the default) keeps no text and costs nothing. `sink` must outlive its use.
     */
    void set_answer_text(std::string* sink) noexcept {
        parser_.handler().answer = sink;
    }

    /// The message for the last error decode() returned:
    /// "openai: invalid JSON at byte 17: syntax error", "openai: choices is a string, not an
    /// array".
    [[nodiscard]] const std::string& message() const noexcept {
        return message_;
    }

private:
    static boost::json::parse_options make_parse_options(const decoder_options& o) {
        boost::json::parse_options p;
        p.allow_invalid_utf8 = o.allow_invalid_utf8;
        p.max_depth = 64;
        return p;
    }

    boost::json::basic_parser<detail::chunk_handler> parser_;
    std::uint64_t last_completion_tokens_ = 0;
    std::string message_;
};

inline std::error_code chunk_decoder::decode(std::string_view data, chunk& out) {
    out = chunk{};
    message_.clear();
    if (data == "[DONE]") {
        out.done = true;
        return {};
    }
    detail::chunk_handler& h = parser_.handler();
    h.start();
    parser_.reset();
    boost::system::error_code ec;
    std::string* const answer = h.answer;
    const std::size_t answer_size = answer != nullptr ? answer->size() : 0;
    const std::size_t used = parser_.write_some(false, data.data(), data.size(), ec);
    if (ec || used != data.size() || !parser_.done()) {
        if (answer != nullptr)
            answer->resize(answer_size); // a chunk that fails says nothing
        if (h.failure) {
            message_ = "openai: " + h.problem;
            return *h.failure;
        }
        if (!ec)
            message_ = "openai: invalid JSON at byte " + std::to_string(used) +
                       ": unexpected data after the JSON value";
        else
            message_ = "openai: invalid JSON at byte " + std::to_string(used) + ": " + ec.message();
        return error::invalid_json;
    }
    const detail::chunk_fields& f = h.fields;
    out.content = f.has_content;
    out.reasoning = f.has_reasoning;
    out.tool_calls = f.has_tool_calls;
    out.text = f.has_text;
    out.role = f.has_role;
    out.choices = f.choice_count;
    out.finish_reason = f.finish_reason;
    if (f.has_usage) {
        out.usage = f.usage;
        const std::uint64_t now = f.usage.completion_tokens;
        if (out.is_token_event() && now >= last_completion_tokens_) {
            const std::uint64_t k = now - last_completion_tokens_;
            out.tokens = static_cast<std::uint32_t>(k > 0xFFFFFFFFu ? 0xFFFFFFFFu : k);
        }
        last_completion_tokens_ = now;
    }
    if (f.has_timings)
        out.timings = f.timings;
    out.error = f.has_error || f.object == "error";
    if (out.error) {
        out.error_message = f.error_message;
        out.error_type = f.error_type;
        out.error_code = f.error_code;
    }
    out.id = f.id;
    out.model = f.model;
    return {};
}

} // namespace llmcap::openai
