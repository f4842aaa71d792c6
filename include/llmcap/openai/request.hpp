#pragma once

#include <boost/json/array.hpp>     // array
#include <boost/json/object.hpp>    // object
#include <boost/json/serialize.hpp> // serialize
#include <boost/json/value.hpp>     // value

#include <cstdint>     // uint32_t
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

namespace llmcap::openai {

/// Which OpenAI-compatible API a request goes to.
enum class api {
    /// `POST /v1/chat/completions` with `messages`.
    chat_completions,
    /// `POST /v1/completions` with `prompt`.
    completions,
};

/// The path of an API below the endpoint's prefix.
[[nodiscard]] constexpr std::string_view path(api a) noexcept {
    return a == api::chat_completions ? "/v1/chat/completions" : "/v1/completions";
}

/// One chat message.
struct chat_message {
    /// "system", "user", "assistant", ...
    std::string role;
    /// The message text.
    std::string content;
};

/**
 * A completion request as llmcap sends it. Optional fields are sent only when set, so a
 * request never carries an extension a server might reject; which extensions are safe is the
 * server dialect's business (client layer).
 */
struct completion_request {
    /// Which API the request goes to.
    api kind = api::chat_completions;
    /// `model`.
    std::string model;
    /// `messages` (chat_completions only).
    std::vector<chat_message> messages;
    /// `prompt` (completions only).
    std::string prompt;
    /// `max_tokens`, or `max_completion_tokens` when `use_max_completion_tokens` is set.
    std::optional<std::uint32_t> max_tokens;
    /// Send the output cap as `max_completion_tokens` (newer OpenAI APIs) instead of `max_tokens`.
    bool use_max_completion_tokens = false;
    /// `temperature`.
    std::optional<double> temperature;
    /// `ignore_eos` (vLLM, SGLang, llama.cpp, TensorRT-LLM): generate until the cap.
    std::optional<bool> ignore_eos;
    /// `min_tokens` (vLLM, SGLang, TensorRT-LLM; see openai::extensions for each dialect).
    std::optional<std::uint32_t> min_tokens;
    /// `stream`.
    bool stream = true;
    /// `stream_options.include_usage`: a final usage chunk (streaming only).
    bool include_usage = true;
    /// `stream_options.continuous_usage_stats` (vLLM, recent SGLang, TensorRT-LLM): usage in
    /// every chunk, giving exact tokens per event (streaming only).
    bool continuous_usage_stats = false;
    /// `cache_salt` (vLLM 0.9.0 and later; sent to no other dialect): keeps requests from
    /// sharing prefix-cache entries.
    std::optional<std::string> cache_salt;
    /// Further fields, merged last: they override any field above of the same name.
    boost::json::object extra;
};

/// The request's JSON body as an object.
[[nodiscard]] inline boost::json::object to_json(const completion_request& r) {
    boost::json::object o;
    o["model"] = r.model;
    if (r.kind == api::chat_completions) {
        boost::json::array messages;
        messages.reserve(r.messages.size());
        for (const chat_message& m : r.messages)
            messages.push_back(boost::json::object{{"role", m.role}, {"content", m.content}});
        o["messages"] = std::move(messages);
    } else {
        o["prompt"] = r.prompt;
    }
    if (r.max_tokens)
        o[r.use_max_completion_tokens ? "max_completion_tokens" : "max_tokens"] = *r.max_tokens;
    if (r.temperature)
        o["temperature"] = *r.temperature;
    if (r.ignore_eos)
        o["ignore_eos"] = *r.ignore_eos;
    if (r.min_tokens)
        o["min_tokens"] = *r.min_tokens;
    o["stream"] = r.stream;
    if (r.stream && (r.include_usage || r.continuous_usage_stats)) {
        boost::json::object so;
        so["include_usage"] = r.include_usage || r.continuous_usage_stats;
        if (r.continuous_usage_stats)
            so["continuous_usage_stats"] = true;
        o["stream_options"] = std::move(so);
    }
    if (r.cache_salt)
        o["cache_salt"] = *r.cache_salt;
    for (const auto& field : r.extra)
        o[field.key()] = field.value();
    return o;
}

/// The request's JSON body as text, ready to send.
[[nodiscard]] inline std::string serialize(const completion_request& r) {
    return boost::json::serialize(to_json(r));
}

} // namespace llmcap::openai
