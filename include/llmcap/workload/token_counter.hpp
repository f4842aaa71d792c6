#pragma once

#include <llmcap/client/http_response.hpp>
#include <llmcap/client/request_context.hpp>
#include <llmcap/client/streaming_endpoint.hpp>
#include <llmcap/openai/dialect.hpp>
#include <llmcap/openai/request.hpp>
#include <llmcap/workload/request_options.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <concepts>    // same_as
#include <cstdint>     // uint64_t
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view

namespace llmcap::workload {

/// A token count, or why there is none.
struct count_result {
    /// The count; empty on failure.
    std::optional<std::uint64_t> tokens;
    /// Why counting failed; empty on success.
    std::string error;
};

/// \concept token_counter
/// Counts the prompt tokens a server sees for a request whose only user content is `text`,
/// chat template included.
/// 1. `c.count_prompt(text)` returns `asio::awaitable<count_result>`.
/// 2. The same text always gives the same count (the server's tokenizer is deterministic).
template <class C>
concept token_counter = requires(C& c, std::string_view text) {
    { c.count_prompt(text) } -> std::same_as<boost::asio::awaitable<count_result>>;
};

/// \concept control_endpoint
/// A streaming endpoint that also answers plain requests (`/tokenize`, `/metrics`,
/// `/v1/models`): `e.get(path)` and `e.post(path, json)` return
/// `asio::awaitable<client::http_response>`. client::http_endpoint models it.
template <class E>
concept control_endpoint = client::streaming_endpoint<E> &&
    requires(E& e, std::string_view path, std::string_view body) {
    { e.get(path) } -> std::same_as<boost::asio::awaitable<client::http_response>>;
    { e.post(path, body) } -> std::same_as<boost::asio::awaitable<client::http_response>>;
};

/**
 * Reads the token count from a `/tokenize` response: vLLM and SGLang
 * (`{"count": N, "tokens": [...]}`) and llama.cpp (`{"tokens": [...]}`). Returns an error
 * naming what was wrong for any other body.
 */
[[nodiscard]] inline count_result parse_tokenize_response(std::string_view body) {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(body, ec);
    if (ec)
        return {std::nullopt, "tokenize: response is not JSON (" + ec.message() + ")"};
    const boost::json::object* o = v.if_object();
    if (o == nullptr)
        return {std::nullopt, "tokenize: response is not an object"};
    if (const boost::json::value* n = o->if_contains("count")) {
        if (n->is_uint64())
            return {n->get_uint64(), {}};
        if (n->is_int64() && n->get_int64() >= 0)
            return {static_cast<std::uint64_t>(n->get_int64()), {}};
        return {std::nullopt, "tokenize: \"count\" is not a non-negative integer"};
    }
    if (const boost::json::value* t = o->if_contains("tokens"); t && t->is_array())
        return {t->as_array().size(), {}};
    return {std::nullopt, "tokenize: response has neither \"count\" nor a \"tokens\" array"};
}

/**
 * Counts prompt tokens on the server itself (DESIGN.md §1, PromptFactory calibration).
 *
 * With a tokenizer endpoint (vLLM, SGLang and llama.cpp shapes) the raw text is tokenized and
 * the chat template's overhead is added; the overhead is measured once with one probe request
 * (`max_tokens: 1`, reading `usage.prompt_tokens`) and kept. Without one, every count is a
 * probe request. Not thread-safe; the endpoint must outlive the counter.
 */
template <control_endpoint Endpoint>
class server_token_counter {
public:
    /// A counter for requests shaped by `options` (model, API) on `endpoint`, tokenizing with
    /// `shape` (tokenize_shape::none: probe requests only).
    server_token_counter(Endpoint& endpoint, request_options options, openai::tokenize_shape shape)
        : endpoint_(&endpoint), options_(std::move(options)), shape_(shape) {
        options_.max_tokens = 1;
        options_.fixed_output = false;
    }

    /// The chat template's overhead in tokens (prompt tokens of a request − tokens of its
    /// text), once measured.
    [[nodiscard]] std::optional<std::int64_t> template_overhead() const noexcept {
        return overhead_;
    }

    /// Server calls made so far (tokenize and probe requests).
    [[nodiscard]] std::uint64_t calls() const noexcept {
        return calls_;
    }

    /// Prompt tokens of a request whose only user content is `text`.
    boost::asio::awaitable<count_result> count_prompt(std::string_view text) {
        if (shape_ == openai::tokenize_shape::none)
            co_return co_await probe(text);
        if (!overhead_) {
            constexpr std::string_view sample = "Hello world, this is a short sample.";
            const count_result raw = co_await tokenize(sample);
            if (!raw.tokens) {
                // No usable tokenizer after all: count by probing from now on.
                shape_ = openai::tokenize_shape::none;
                co_return co_await probe(text);
            }
            const count_result full = co_await probe(sample);
            if (!full.tokens)
                co_return full;
            overhead_ =
                static_cast<std::int64_t>(*full.tokens) - static_cast<std::int64_t>(*raw.tokens);
        }
        count_result raw = co_await tokenize(text);
        if (!raw.tokens)
            co_return raw;
        const std::int64_t n = static_cast<std::int64_t>(*raw.tokens) + *overhead_;
        co_return count_result{static_cast<std::uint64_t>(n < 0 ? 0 : n), {}};
    }

    /// Tokens of `text` alone, no chat template (an answer's length): the tokenizer's count, or,
    /// without a tokenizer, a probe's prompt tokens less those of an empty message.
    boost::asio::awaitable<count_result> count_text(std::string_view text) {
        if (shape_ != openai::tokenize_shape::none)
            co_return co_await tokenize(text);
        if (!empty_message_) {
            const count_result empty = co_await probe({});
            if (!empty.tokens)
                co_return empty;
            empty_message_ = *empty.tokens;
        }
        const count_result full = co_await probe(text);
        if (!full.tokens)
            co_return full;
        co_return count_result{*full.tokens > *empty_message_ ? *full.tokens - *empty_message_ : 0,
                               {}};
    }

private:
    boost::asio::awaitable<count_result> tokenize(std::string_view text) {
        ++calls_;
        boost::json::object body;
        if (shape_ == openai::tokenize_shape::llama_cpp) {
            body["content"] = text;
        } else {
            body["model"] = options_.model;
            body["prompt"] = text;
        }
        const client::http_response r =
            co_await endpoint_->post("/tokenize", boost::json::serialize(body));
        if (!r.ok())
            co_return count_result{std::nullopt, "tokenize: " + r.error_message};
        co_return parse_tokenize_response(r.body);
    }

    boost::asio::awaitable<count_result> probe(std::string_view text) {
        ++calls_;
        request_options o = options_;
        o.cache_busting = false;
        const openai::completion_request req = make_request(o, std::string(text), 0);
        client::request_context ctx;
        const request_trace t = co_await endpoint_->stream(req, ctx);
        if (!t.ok())
            co_return count_result{std::nullopt, "probe request failed: " + t.error_message};
        if (!t.usage)
            co_return count_result{std::nullopt, "probe request: the server sent no usage"};
        co_return count_result{t.usage->prompt_tokens, {}};
    }

    Endpoint* endpoint_;
    request_options options_;
    openai::tokenize_shape shape_;
    std::optional<std::int64_t> overhead_;
    std::optional<std::uint64_t> empty_message_;
    std::uint64_t calls_ = 0;
};

} // namespace llmcap::workload
