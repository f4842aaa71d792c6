#pragma once

#include <llmcap/openai/request.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <array>       // array
#include <cctype>      // isdigit
#include <cstdint>     // uint64_t
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace llmcap::openai {

/// The server software behind an OpenAI-compatible endpoint, as far as it can be told.
enum class dialect {
    /// vLLM (`owned_by` "vllm").
    vllm,
    /// SGLang (`owned_by` "sglang").
    sglang,
    /// llama.cpp's llama-server (`owned_by` "llamacpp", `Server: llama.cpp`).
    llama_cpp,
    /// TensorRT-LLM's trtllm-serve (`owned_by` "tensorrt_llm").
    tensorrt_llm,
    /// Anything else: a hosted API or an unknown server. Only standard fields are sent.
    openai_like,
};

/// The stable snake_case name of a dialect.
[[nodiscard]] constexpr std::string_view dialect_name(dialect d) noexcept {
    switch (d) {
    case dialect::vllm:
        return "vllm";
    case dialect::sglang:
        return "sglang";
    case dialect::llama_cpp:
        return "llama_cpp";
    case dialect::tensorrt_llm:
        return "tensorrt_llm";
    case dialect::openai_like:
        return "openai_like";
    }
    return "openai_like";
}

/// How a server's tokenizer endpoint is called, if it has one llmcap knows.
enum class tokenize_shape {
    /// No known tokenizer endpoint.
    none,
    /// vLLM and SGLang: `POST /tokenize` `{"model":..., "prompt":...}` gives
    /// `{"count":N, "max_model_len":M, "tokens":[...]}`.
    vllm,
    /// llama.cpp: `POST /tokenize` `{"content":...}` gives `{"tokens":[...]}`.
    llama_cpp,
};

/// The non-standard request fields a dialect honours (sending one a server does not know is
/// at best ignored, at worst a 400).
struct extensions {
    /// `ignore_eos`: generate until `max_tokens`.
    bool ignore_eos = false;
    /// `min_tokens`.
    bool min_tokens = false;
    /// `stream_options.continuous_usage_stats`: usage in every chunk.
    bool continuous_usage_stats = false;
    /// `cache_salt`: requests with different salts share no prefix-cache entries.
    bool cache_salt = false;
    /// `cache_prompt` (llama.cpp): false turns the prompt cache off for a request.
    bool cache_prompt = false;
    /// The tokenizer endpoint's shape.
    tokenize_shape tokenize = tokenize_shape::none;

    friend bool operator==(const extensions&, const extensions&) = default;
};

/// What detection found out about a server.
struct dialect_info {
    /// The dialect.
    openai::dialect kind = dialect::openai_like;
    /// The server's version (`/version`), empty when unknown.
    std::string version;
    /// The first model `/v1/models` lists, empty when none.
    std::string model_id;
    /// Every model id `/v1/models` lists, in its order.
    std::vector<std::string> model_ids;
    /// The model's context length where `/v1/models` gives it (vLLM and SGLang
    /// `max_model_len`, llama.cpp `meta.n_ctx`, which is per slot).
    std::optional<std::uint64_t> max_model_len;
    /// What decided the dialect ("owned_by \"vllm\"", "Server: llama.cpp", "no evidence").
    std::string evidence;
};

/// Compares dotted version numbers ("0.10.1" > "0.9.2"); parts that are not numbers compare
/// as 0, and a missing part as 0 ("0.9" == "0.9.0").
[[nodiscard]] constexpr int compare_versions(std::string_view a, std::string_view b) noexcept {
    const auto next = [](std::string_view& s) {
        std::uint64_t v = 0;
        while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
            v = v * 10 + static_cast<std::uint64_t>(s.front() - '0');
            s.remove_prefix(1);
        }
        while (!s.empty() && s.front() != '.')
            s.remove_prefix(1);
        if (!s.empty())
            s.remove_prefix(1);
        return v;
    };
    if (!a.empty() && (a.front() == 'v' || a.front() == 'V'))
        a.remove_prefix(1);
    if (!b.empty() && (b.front() == 'v' || b.front() == 'V'))
        b.remove_prefix(1);
    while (!a.empty() || !b.empty()) {
        const std::uint64_t x = next(a);
        const std::uint64_t y = next(b);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

/**
 * The extensions a dialect accepts. `version` refines it where a feature arrived late
 * (vLLM's `cache_salt` came with 0.9.0); an empty version assumes a current release.
 * Unknown servers get none: a field a server rejects would fail every request.
 */
[[nodiscard]] constexpr extensions extensions_of(dialect d,
                                                 std::string_view version = {}) noexcept {
    extensions e;
    switch (d) {
    case dialect::vllm:
        e.ignore_eos = e.min_tokens = e.continuous_usage_stats = true;
        e.cache_salt = version.empty() || compare_versions(version, "0.9.0") >= 0;
        e.tokenize = tokenize_shape::vllm;
        break;
    case dialect::sglang:
        // SGLang's OpenAI protocol (python/sglang/srt/entrypoints/openai/protocol.py) has
        // ignore_eos and min_tokens among its sampling extensions, and its request models
        // ignore fields they do not know (pydantic's default), so nothing here fails a request.
        e.ignore_eos = e.min_tokens = true;
        // Usage in every chunk since sgl-project/sglang#12241 (October 2025); older releases
        // accept the field and ignore it, and the trace then counts token events instead.
        e.continuous_usage_stats = true;
        // `POST /tokenize` {"model", "prompt"} -> {"tokens", "count", "max_model_len"}, the
        // vLLM shape (sgl-project/sglang#9545; older releases answer 404).
        e.tokenize = tokenize_shape::vllm;
        // cache_salt is accepted since sgl-project/sglang#10317 but had no effect on the prefix
        // cache until the fix in sgl-project/sglang#23300 (April 2026); with no release number
        // to tell the two apart it is not relied on.
        break;
    case dialect::llama_cpp:
        e.ignore_eos = e.cache_prompt = true;
        e.tokenize = tokenize_shape::llama_cpp;
        break;
    case dialect::tensorrt_llm:
        // trtllm-serve's protocol (tensorrt_llm/serve/openai_protocol.py, adapted from vLLM's)
        // rejects unknown fields (extra="forbid"), so only what both its completion and chat
        // requests declare is sent: ignore_eos, min_tokens, and stream_options with
        // continuous_usage_stats, which the stream post-processors honour
        // (tensorrt_llm/serve/postprocess_handlers.py). cache_salt is declared on chat requests
        // only: a completion request carrying it would fail with HTTP 400. Its tokenizer
        // endpoint, where present, is `/_internal/tokenize`, not a shape llmcap calls.
        e.ignore_eos = e.min_tokens = e.continuous_usage_stats = true;
        break;
    case dialect::openai_like:
        break;
    }
    return e;
}

/// Clears the request's extension fields that `e` does not allow, so the request is safe to
/// send. Returns how many fields were cleared.
inline int restrict_to(const extensions& e, completion_request& r) {
    int cleared = 0;
    if (!e.ignore_eos && r.ignore_eos) {
        r.ignore_eos.reset();
        ++cleared;
    }
    if (!e.min_tokens && r.min_tokens) {
        r.min_tokens.reset();
        ++cleared;
    }
    if (!e.continuous_usage_stats && r.continuous_usage_stats) {
        r.continuous_usage_stats = false;
        ++cleared;
    }
    if (!e.cache_salt && r.cache_salt) {
        r.cache_salt.reset();
        ++cleared;
    }
    if (!e.cache_prompt && r.extra.erase("cache_prompt") > 0)
        ++cleared;
    return cleared;
}

namespace detail {

[[nodiscard]] inline std::optional<dialect> dialect_from_owner(std::string_view owner) noexcept {
    constexpr std::array<std::pair<std::string_view, dialect>, 6> owners{{
        {"vllm", dialect::vllm},
        {"sglang", dialect::sglang},
        {"llamacpp", dialect::llama_cpp},
        {"llama.cpp", dialect::llama_cpp},
        {"tensorrt_llm", dialect::tensorrt_llm},
        {"trtllm", dialect::tensorrt_llm},
    }};
    for (const auto& [name, d] : owners)
        if (owner == name)
            return d;
    return std::nullopt;
}

[[nodiscard]] inline bool starts_with_icase(std::string_view s, std::string_view prefix) noexcept {
    if (s.size() < prefix.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        const char c = s[i] >= 'A' && s[i] <= 'Z' ? static_cast<char>(s[i] - 'A' + 'a') : s[i];
        if (c != prefix[i])
            return false;
    }
    return true;
}

} // namespace detail

/**
 * When `model` is not among `model_ids` (the ids `/v1/models` lists), says so naming them:
 * `model "typo" is not among those /v1/models lists: "GLM-4.7-Flash"`. Empty when it is, or
 * when either is empty (a server that lists nothing proves nothing).
 */
[[nodiscard]] inline std::string unlisted_model_note(const std::vector<std::string>& model_ids,
                                                     std::string_view model) {
    if (model_ids.empty() || model.empty())
        return {};
    std::string list;
    for (const std::string& m : model_ids) {
        if (m == model)
            return {};
        list += (list.empty() ? "\"" : ", \"") + m + "\"";
    }
    return "model \"" + std::string(model) + "\" is not among those /v1/models lists: " + list;
}

/**
 * Tells the dialect from what a server answered: the body of `GET /v1/models`, the body of
 * `GET /version` and the `Server` response header (each may be empty when unavailable).
 * `owned_by` of the first model decides when it names a known server; then the `Server`
 * header (`llama.cpp`) and llama.cpp's own `/v1/models` fields; otherwise openai_like.
 * Never throws on bad input: unparsable bodies count as no evidence.
 */
[[nodiscard]] inline dialect_info detect_dialect(std::string_view models_json,
                                                 std::string_view version_json = {},
                                                 std::string_view server_header = {}) {
    dialect_info info;
    boost::system::error_code ec;
    if (!version_json.empty()) {
        const boost::json::value v = boost::json::parse(version_json, ec);
        if (!ec && v.is_object())
            if (const auto* s = v.as_object().if_contains("version"); s && s->is_string())
                info.version = s->get_string();
    }
    std::optional<dialect> by_owner;
    bool llama_shape = false;
    if (!models_json.empty()) {
        const boost::json::value v = boost::json::parse(models_json, ec);
        if (!ec && v.is_object()) {
            const auto& o = v.as_object();
            llama_shape = o.contains("models"); // llama-server adds an Ollama-style list
            if (const auto* data = o.if_contains("data"); data && data->is_array())
                for (const boost::json::value& m : data->as_array())
                    if (const auto* mo = m.if_object())
                        if (const auto* id = mo->if_contains("id"); id && id->is_string())
                            info.model_ids.emplace_back(id->get_string());
            if (const auto* data = o.if_contains("data"); data && data->is_array() &&
                                                          !data->as_array().empty() &&
                                                          data->as_array()[0].is_object()) {
                const auto& m = data->as_array()[0].as_object();
                if (const auto* id = m.if_contains("id"); id && id->is_string())
                    info.model_id = id->get_string();
                if (const auto* len = m.if_contains("max_model_len"); len && len->is_number())
                    info.max_model_len = len->to_number<std::uint64_t>(ec);
                if (const auto* meta = m.if_contains("meta"); meta && meta->is_object()) {
                    llama_shape = true;
                    if (const auto* n = meta->as_object().if_contains("n_ctx"); n && n->is_number())
                        info.max_model_len = n->to_number<std::uint64_t>(ec);
                }
                if (const auto* owner = m.if_contains("owned_by"); owner && owner->is_string()) {
                    by_owner = detail::dialect_from_owner(owner->get_string());
                    if (by_owner)
                        info.evidence = "owned_by \"" + std::string(owner->get_string()) + "\"";
                }
            }
        }
    }
    if (by_owner) {
        info.kind = *by_owner;
    } else if (detail::starts_with_icase(server_header, "llama.cpp")) {
        info.kind = dialect::llama_cpp;
        info.evidence = "Server: " + std::string(server_header);
    } else if (llama_shape) {
        info.kind = dialect::llama_cpp;
        info.evidence = "llama-server /v1/models fields";
    } else {
        info.kind = dialect::openai_like;
        info.evidence = "no evidence of a known server";
    }
    return info;
}

} // namespace llmcap::openai
