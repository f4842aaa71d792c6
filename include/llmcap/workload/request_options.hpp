#pragma once

#include <llmcap/openai/dialect.hpp>
#include <llmcap/openai/request.hpp>

#include <cstdint>  // uint32_t, uint64_t
#include <optional> // optional
#include <string>   // string
#include <utility>  // move

namespace llmcap::workload {

/// How the requests of a cell are shaped, besides their prompt.
struct request_options {
    /// The API requests go to.
    openai::api kind = openai::api::chat_completions;
    /// `model`.
    std::string model;
    /// Output tokens asked for (`max_tokens`); 0 sends none.
    std::uint32_t max_tokens = 1024;
    /// Ask for exactly `max_tokens` tokens: `ignore_eos` (and `min_tokens` where the dialect
    /// takes it).
    bool fixed_output = true;
    /// The extensions the server accepts (openai::extensions_of(dialect, version)).
    openai::extensions extensions;
    /// Keep prefix caching from helping: `cache_salt` per request where supported, and
    /// llama.cpp's `cache_prompt: false`. The prompt factory's nonce does the rest.
    bool cache_busting = true;
    /// `temperature`; empty sends none.
    std::optional<double> temperature = 0.0;
    /// Seed mixed into the per-request cache salt, so that runs do not share it.
    std::uint64_t seed = 0;
};

/**
 * The request for one prompt: the prompt as the only user message (chat) or as the prompt
 * (completions), usage requested, and only the extensions the server accepts.
 */
[[nodiscard]] inline openai::completion_request
make_request(const request_options& o, std::string prompt, std::uint64_t index) {
    openai::completion_request r;
    r.kind = o.kind;
    r.model = o.model;
    if (o.kind == openai::api::chat_completions)
        r.messages.push_back({"user", std::move(prompt)});
    else
        r.prompt = std::move(prompt);
    if (o.max_tokens > 0)
        r.max_tokens = o.max_tokens;
    r.temperature = o.temperature;
    if (o.fixed_output && o.max_tokens > 0) {
        r.ignore_eos = true;
        r.min_tokens = o.max_tokens;
    }
    r.stream = true;
    r.include_usage = true;
    r.continuous_usage_stats = o.extensions.continuous_usage_stats;
    if (o.cache_busting) {
        r.cache_salt = "llmcap-" + std::to_string(o.seed) + "-" + std::to_string(index);
        r.extra["cache_prompt"] = false;
    }
    openai::restrict_to(o.extensions, r);
    return r;
}

} // namespace llmcap::workload
