#pragma once

// What the emulator reads from a request body: the fields of a completion request, its
// prompts (counted, or tokenized for /tokenize), and the checks that reject it with 400/404.

#include <llmcap/emulator/server_options.hpp>
#include <llmcap/emulator/server_records.hpp>
#include <llmcap/emulator/tokenizer.hpp>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>     // uint32_t, uint64_t
#include <optional>    // optional
#include <string>      // string, to_string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

namespace llmcap::emulator::detail {

/// Reads a non-negative integer field; false (with `error`) when present but not one.
inline bool read_count(const boost::json::object& o, std::string_view key,
                       std::optional<std::uint64_t>& out, std::string& error) {
    const boost::json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null())
        return true;
    if (v->is_uint64()) {
        out = v->get_uint64();
        return true;
    }
    if (v->is_int64() && v->get_int64() >= 0) {
        out = static_cast<std::uint64_t>(v->get_int64());
        return true;
    }
    error = std::string(key) + " must be a non-negative integer";
    return false;
}

/// Reads a boolean field; false (with `error`) when present but not one.
inline bool read_bool(const boost::json::object& o, std::string_view key, bool& out,
                      std::string& error) {
    const boost::json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null())
        return true;
    if (!v->is_bool()) {
        error = std::string(key) + " must be a boolean";
        return false;
    }
    out = v->get_bool();
    return true;
}

/// Text of a message's `content`: a string or an array of text parts.
inline bool message_text(const boost::json::value& content, std::string& out) {
    if (content.is_null())
        return true;
    if (const auto* str = content.if_string()) {
        out.append(str->data(), str->size());
        return true;
    }
    const auto* parts = content.if_array();
    if (parts == nullptr)
        return false;
    for (const boost::json::value& part : *parts) {
        const auto* po = part.if_object();
        if (po == nullptr)
            return false;
        if (const auto* t = po->if_contains("text"); t != nullptr && t->is_string()) {
            if (!out.empty())
                out += ' ';
            out.append(t->get_string().data(), t->get_string().size());
        }
    }
    return true;
}

/// Tokens of one completion prompt: a string or a list of token ids.
inline bool one_prompt(const tokenizer& tok, const boost::json::value& prompt,
                       std::uint64_t& tokens, std::string& error, std::vector<std::uint32_t>* ids,
                       std::vector<std::string>* strs) {
    const boost::json::value* single = &prompt;
    if (const auto* str = single->if_string()) {
        tokens = tokenizer::count(*str);
        if (ids != nullptr)
            tok.encode(*str, *ids);
        if (strs != nullptr)
            tokenizer::pieces(*str, *strs);
        return true;
    }
    if (const auto* arr = single->if_array()) {
        for (const boost::json::value& id : *arr) {
            if (!id.is_int64() && !id.is_uint64()) {
                error = "prompt token ids must be integers";
                return false;
            }
            if (ids != nullptr)
                ids->push_back(static_cast<std::uint32_t>(id.to_number<std::uint64_t>()));
        }
        tokens = arr->size();
        return true;
    }
    error = "prompt must be a string, a list of token ids, or a list of one of them";
    return false;
}

/// Prompt tokens of a chat request's `messages`, or of a completion's `prompt`; with
/// `ids`, appends the token ids (and, with `strs`, the pieces). A completion's `prompt` may
/// be a list of several prompts (strings or token-id lists) when `batch` is given: it
/// receives each one's tokens, as vLLM serves a batch (`tokens` is then their sum), and
/// `batch_ids`, when given, each one's token ids.
inline bool prompt_of(const tokenizer& tok, const boost::json::object& o, server_api api,
                      bool generation_prompt, std::uint64_t& tokens, std::string& error,
                      std::vector<std::uint32_t>* ids, std::vector<std::string>* strs,
                      std::vector<std::uint64_t>* batch = nullptr,
                      std::vector<std::vector<std::uint32_t>>* batch_ids = nullptr) {
    tokens = 0;
    if (api == server_api::chat_completions) {
        const boost::json::value* m = o.if_contains("messages");
        if (m == nullptr || !m->is_array() || m->get_array().empty()) {
            error = "messages must be a non-empty array";
            return false;
        }
        std::string text;
        for (const boost::json::value& msg : m->get_array()) {
            const auto* mo = msg.if_object();
            if (mo == nullptr) {
                error = "each message must be an object";
                return false;
            }
            text.clear();
            if (const auto* c = mo->if_contains("content"); c && !message_text(*c, text)) {
                error = "message content must be a string or an array of text parts";
                return false;
            }
            tokens += tokenizer::count(text) + tokenizer::message_overhead_tokens;
            const auto* role = mo->if_contains("role");
            const std::string_view role_name =
                role && role->is_string() ? std::string_view(role->get_string()) : "user";
            if (ids != nullptr)
                tok.encode_message(role_name, text, *ids);
            if (strs != nullptr) {
                strs->push_back("<|" + std::string(role_name) + "|>");
                tokenizer::pieces(text, *strs);
                strs->push_back("<|end|>");
            }
        }
        if (generation_prompt) {
            tokens += tokenizer::generation_prompt_tokens;
            if (ids != nullptr)
                ids->push_back(tokenizer::assistant_start_id);
            if (strs != nullptr)
                strs->push_back("<|assistant|>");
        }
        return true;
    }
    const boost::json::value* p = o.if_contains("prompt");
    if (p == nullptr) {
        error = "prompt is required";
        return false;
    }
    const boost::json::value* single = p;
    if (const auto* a = p->if_array()) {
        // A list of strings or of token-id lists: a batch of prompts.
        if (!a->empty() && ((*a)[0].is_string() || (*a)[0].is_array())) {
            if (a->size() != 1) {
                if (batch == nullptr) {
                    error = "a batch of prompts is not accepted here: give one prompt";
                    return false;
                }
                for (const boost::json::value& one : *a) {
                    std::uint64_t n = 0;
                    if (!one.is_string() && !one.is_array()) {
                        error = "each prompt of a batch must be a string or a list of token "
                                "ids";
                        return false;
                    }
                    if (!one_prompt(tok, one, n, error,
                                    batch_ids != nullptr ? &batch_ids->emplace_back() : nullptr,
                                    nullptr))
                        return false;
                    batch->push_back(n);
                    tokens += n;
                }
                return true;
            }
            single = &(*a)[0];
        }
    }
    return one_prompt(tok, *single, tokens, error, ids, strs);
}

/// A request the server refuses: the HTTP status and the message of its error body.
struct request_error {
    int status = 400;
    std::string message;
};

/// What a completion request asks for, as read by read_completion().
struct completion_params {
    bool stream = false;
    bool ignore_eos = false;
    bool include_usage = false;    // stream_options.include_usage
    bool continuous_usage = false; // stream_options.continuous_usage_stats
    std::optional<std::uint64_t> max_tokens;
    std::optional<std::uint64_t> min_tokens;
    /// Prompt tokens of each prompt (one, unless a completion request gives a batch).
    std::vector<std::uint64_t> prompts;
    /// Token ids of each prompt, when asked for (prefix caching).
    std::vector<std::vector<std::uint32_t>> prompt_ids;
    /// `cache_salt` (vLLM); empty for none.
    std::string cache_salt;
    /// `cache_prompt` (llama.cpp): false skips the prefix-cache lookup.
    bool cache_prompt = true;
};

/// Reads `cache_salt` (a non-empty string, as vLLM requires) and `cache_prompt` (a boolean);
/// false (with `error`, vLLM's message for the salt) when one is malformed.
inline bool read_cache_fields(const boost::json::object& o, std::string& salt, bool& cache_prompt,
                              std::string& error) {
    if (const boost::json::value* v = o.if_contains("cache_salt"); v != nullptr && !v->is_null()) {
        if (!v->is_string() || v->get_string().empty()) {
            error = "Parameter 'cache_salt' must be a non-empty string if provided.";
            return false;
        }
        salt.assign(v->get_string().data(), v->get_string().size());
    }
    return read_bool(o, "cache_prompt", cache_prompt, error);
}

/**
 * Reads the JSON `body` of a completion request of `api` into `out` (a fresh one); with
 * `want_ids`, each prompt's token ids too. Checks, in this order: a JSON object, the model's
 * name (when options.check_model), the types of the fields, the prompt, `max_tokens` at least
 * 1, and each prompt plus `max_tokens` within the model's `context` length (tokens). Returns
 * the error to answer with when a check fails.
 */
[[nodiscard]] inline std::optional<request_error>
read_completion(std::string_view body, server_api api, const tokenizer& tok,
                const server_options& options, std::uint64_t context, completion_params& out,
                bool want_ids = false) {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(body, ec);
    if (ec || !v.is_object())
        return request_error{400, "request body must be a JSON object"};
    const boost::json::object& o = v.get_object();
    if (const boost::json::value* m = o.if_contains("model");
        options.check_model && m != nullptr && m->is_string() &&
        m->get_string() != options.served_model_name)
        return request_error{404,
                             "The model `" + std::string(m->get_string()) + "` does not exist."};
    std::string error;
    if (!read_bool(o, "stream", out.stream, error) ||
        !read_bool(o, "ignore_eos", out.ignore_eos, error) ||
        !read_count(o, "max_completion_tokens", out.max_tokens, error) ||
        (!out.max_tokens && !read_count(o, "max_tokens", out.max_tokens, error)) ||
        !read_count(o, "min_tokens", out.min_tokens, error) ||
        !read_cache_fields(o, out.cache_salt, out.cache_prompt, error))
        return request_error{400, error};
    if (const auto* so = o.if_contains("stream_options"); so && !so->is_null()) {
        if (!so->is_object())
            return request_error{400, "stream_options must be an object"};
        if (!read_bool(so->get_object(), "include_usage", out.include_usage, error) ||
            !read_bool(so->get_object(), "continuous_usage_stats", out.continuous_usage, error))
            return request_error{400, error};
    }
    std::uint64_t prompt_sum = 0;
    std::vector<std::uint32_t> ids;
    if (!prompt_of(tok, o, api, true, prompt_sum, error, want_ids ? &ids : nullptr, nullptr,
                   api == server_api::completions ? &out.prompts : nullptr,
                   want_ids ? &out.prompt_ids : nullptr))
        return request_error{400, error};
    if (out.prompts.empty()) {
        out.prompts.push_back(prompt_sum);
        if (want_ids)
            out.prompt_ids.push_back(std::move(ids));
    }
    const std::optional<std::uint64_t>& max_tokens = out.max_tokens;
    if (max_tokens && *max_tokens < 1)
        return request_error{400, "max_tokens must be at least 1, got " +
                                      std::to_string(*max_tokens) + "."};
    for (const std::uint64_t prompt : out.prompts)
        if (prompt >= context || (max_tokens && prompt + *max_tokens > context))
            return request_error{
                400, "This model's maximum context length is " + std::to_string(context) +
                         " tokens. However, you requested " +
                         std::to_string(prompt + max_tokens.value_or(0)) + " tokens (" +
                         std::to_string(prompt) + " in the messages, " +
                         std::to_string(max_tokens.value_or(0)) +
                         " in the completion). Please reduce the length of the messages or "
                         "completion."};
    return std::nullopt;
}

} // namespace llmcap::emulator::detail
