#pragma once

// The completion routes up to the engine: a request's faults, its checks, the output length
// of each of its choices, and the start of its response.

#include <llmcap/core/clock.hpp>
#include <llmcap/emulator/detail/server_request.hpp>
#include <llmcap/emulator/detail/server_routes.hpp>
#include <llmcap/emulator/detail/server_session.hpp>
#include <llmcap/emulator/detail/server_stream.hpp>
#include <llmcap/emulator/engine.hpp>
#include <llmcap/emulator/fault.hpp>
#include <llmcap/emulator/prefix_cache.hpp>
#include <llmcap/emulator/profile.hpp>
#include <llmcap/emulator/server_options.hpp>
#include <llmcap/emulator/server_records.hpp>
#include <llmcap/emulator/tokenizer.hpp>

#include <algorithm>   // max, min
#include <chrono>      // system_clock, seconds
#include <cmath>       // ceil
#include <cstddef>     // size_t
#include <cstdint>     // uint32_t, uint64_t
#include <memory>      // make_shared, make_unique, shared_ptr, unique_ptr
#include <random>      // mt19937_64, exponential_distribution
#include <string>      // string, to_string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

namespace llmcap::emulator::detail {

/// Seconds since the Unix epoch (a response's `created`).
[[nodiscard]] inline std::uint64_t unix_seconds() noexcept {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

/// What the completion routes draw on: the server's options, the profile and tokenizer, the
/// engine (whether a request fits its KV cache), its random numbers, and the number of
/// responses accepted so far (each response's id counts on from it).
struct completion_context {
    const server_options& options;
    const profile& engine_profile;
    const tokenizer& tok;
    const engine& eng;
    std::mt19937_64& rng;
    std::uint64_t& responses;
};

/**
 * Serves `POST /v1/chat/completions` or `POST /v1/completions` (`api`) up to the engine.
 *
 * The request's faults are server_options::faults when `fault_drawn`, merged with its
 * `x-llmcap-fault` header; a refuse fault resets the connection, a status fault answers with
 * that status. Then the body is read and checked (read_completion()), each choice's output
 * length is drawn (up to the request's limit, unless `ignore_eos`) and checked against the KV
 * cache, and a streamed response's headers are written. With prefix caching on, each choice's
 * engine request carries the token ids of its prompt and of the answer it will stream, the
 * hash of `cache_salt`, and whether to look the cache up (`cache_prompt`). `received`: when the
 * request arrived, in emulated time.
 *
 * Returns the response's choices, to run through the engine; none when the request was
 * answered here (an error, a fault).
 */
inline std::vector<std::unique_ptr<active_request>>
accept_completion(const completion_context& cx, const std::shared_ptr<server_session>& s,
                  const http_request& req, std::string_view target, server_api api,
                  time_point received, bool fault_drawn) {
    const server_options& options = cx.options;
    fault f;
    if (fault_drawn) {
        f = options.faults;
        f.refuse = false; // by option, refuse acts on connections
    }
    if (const auto h = req.find("x-llmcap-fault"); h != req.end()) {
        std::string error;
        const auto parsed =
            parse_fault(std::string_view(h->value().data(), h->value().size()), error);
        if (!parsed) {
            respond_error(*s, target, 400, error, options.log);
            return {};
        }
        f.merge(*parsed);
    }
    if (f.refuse) {
        s->kill(true);
        std::string line = "POST ";
        line += target;
        line += " reset (fault refuse)";
        if (options.log)
            options.log(line);
        return {};
    }
    if (f.status != 0) {
        respond_error(*s, target, f.status,
                      "emulated failure (x-llmcap-fault status=" + std::to_string(f.status) + ")",
                      options.log);
        return {};
    }

    const std::uint64_t context = cx.engine_profile.model.max_context_tokens;
    completion_params p;
    const bool caching = cx.eng.prefix_caching();
    if (const auto refused =
            read_completion(req.body(), api, cx.tok, options, context, p, caching)) {
        respond_error(*s, target, refused->status, refused->message, options.log);
        return {};
    }
    std::vector<request_spec> specs;
    std::vector<bool> stopped;
    for (const std::uint64_t prompt : p.prompts) {
        std::uint64_t cap = p.max_tokens.value_or(context - prompt);
        if (f.overlong != 0) // a server that does not honour max_tokens
            cap = std::min<std::uint64_t>(cap * f.overlong, context - prompt);
        std::uint64_t length = cap;
        if (!p.ignore_eos) {
            const double mean = std::max(1.0, options.mean_output_tokens);
            const double drawn =
                std::ceil(std::exponential_distribution<double>(1.0 / mean)(cx.rng));
            length = std::max<std::uint64_t>(
                1, static_cast<std::uint64_t>(std::min(drawn, static_cast<double>(cap))));
            length = std::min(std::max(length, p.min_tokens.value_or(0)), cap);
        }
        const request_spec spec{static_cast<std::uint32_t>(prompt),
                                static_cast<std::uint32_t>(length)};
        if (!cx.eng.fits(spec)) {
            respond_error(*s, target, 400,
                          "request of " + std::to_string(prompt) + " prompt and " +
                              std::to_string(length) + " output tokens does not fit the KV cache",
                          options.log);
            return {};
        }
        specs.push_back(spec);
        stopped.push_back(length < cap);
    }

    auto group = std::make_shared<response_group>();
    group->report_cached = caching;
    group->remaining = static_cast<std::uint32_t>(specs.size());
    group->open_streams = p.stream ? group->remaining : 0;
    group->choices.resize(p.stream ? 0 : specs.size());
    const std::string id = response_id(api, options.seed, ++cx.responses);
    const std::uint64_t created = unix_seconds();
    const std::string prefix = chunk_prefix(api, id, created, options.served_model_name);
    if (p.stream)
        begin_stream(*s, f.slow_headers);
    std::vector<std::unique_ptr<active_request>> choices;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const request_spec& spec = specs[i];
        auto a = std::make_unique<active_request>();
        a->session = s;
        a->group = group;
        a->choice = static_cast<std::uint32_t>(i);
        a->api = api;
        a->stream = p.stream;
        a->include_usage = p.stream && (p.include_usage || p.continuous_usage);
        a->continuous_usage = p.stream && p.continuous_usage;
        a->prompt_tokens = spec.prompt_tokens;
        a->output_tokens = spec.output_tokens;
        a->reasoning_tokens = api == server_api::chat_completions
                                  ? std::min(options.reasoning_tokens, spec.output_tokens)
                                  : 0;
        a->finish_reason = stopped[i] ? "stop" : "length";
        a->response_id = id;
        a->text_seed = cx.rng();
        a->engine_request = spec;
        if (caching) { // the ids its blocks are keyed by: the prompt's, then the answer's
            request_spec& e = a->engine_request;
            e.prompt_ids = std::move(p.prompt_ids[i]);
            cx.tok.output_ids(a->text_seed, spec.output_tokens, e.output_ids);
            e.cache_salt = p.cache_salt.empty() ? 0 : cache_salt_hash(p.cache_salt);
            e.prefix_cache_lookup = p.cache_prompt;
        }
        a->created = created;
        a->received = received;
        a->faults = f;
        a->target = target;
        a->prefix = prefix;
        group->prompt_tokens += a->prompt_tokens;
        group->output_tokens += a->output_tokens;
        group->reasoning_tokens += a->reasoning_tokens;
        choices.push_back(std::move(a));
    }
    return choices;
}

} // namespace llmcap::emulator::detail
