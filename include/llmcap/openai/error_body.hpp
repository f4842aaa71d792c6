#pragma once

#include <boost/json/parse.hpp>     // parse
#include <boost/json/serialize.hpp> // serialize
#include <boost/json/value.hpp>     // value

#include <cstdint>     // int64_t
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view

namespace llmcap::openai {

/// An error a server reported in a response body.
struct api_error {
    /// The numeric `code` (llama.cpp and vLLM put the HTTP status there), when present.
    std::optional<std::int64_t> code;
    /// `type` ("invalid_request_error", "exceed_context_size_error", ...), possibly empty.
    std::string type;
    /// `message`, or FastAPI's `detail`.
    std::string message;
};

/**
 * Reads an error body in the shapes servers use: OpenAI's `{"error": {"message", "type",
 * "code"}}` (llama.cpp, SGLang, hosted APIs), `{"error": "text"}`, vLLM's `{"object": "error",
 * "message", "type", "code"}`, and FastAPI's `{"detail": ...}`. Empty when the body is not JSON
 * or holds none of these.
 */
[[nodiscard]] inline std::optional<api_error> parse_error_body(std::string_view body) {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(body, ec);
    if (ec || !v.is_object())
        return std::nullopt;
    const boost::json::object& root = v.get_object();
    auto read = [](const boost::json::object& o, api_error& out) {
        if (const auto* m = o.if_contains("message"); m && m->is_string())
            out.message = m->get_string();
        if (const auto* t = o.if_contains("type"); t && t->is_string())
            out.type = t->get_string();
        if (const auto* c = o.if_contains("code")) {
            if (c->is_int64())
                out.code = c->get_int64();
            else if (c->is_uint64() && c->get_uint64() <= 0x7FFFFFFFFFFFFFFFull)
                out.code = static_cast<std::int64_t>(c->get_uint64());
        }
    };
    api_error e;
    if (const auto* err = root.if_contains("error")) {
        if (err->is_object())
            read(err->get_object(), e);
        else if (err->is_string())
            e.message = err->get_string();
        else
            return std::nullopt;
        return e;
    }
    if (const auto* obj = root.if_contains("object");
        obj && obj->is_string() && obj->get_string() == "error") {
        read(root, e);
        return e;
    }
    if (const auto* detail = root.if_contains("detail")) {
        e.message = detail->is_string() ? std::string(detail->get_string())
                                        : boost::json::serialize(*detail);
        return e;
    }
    return std::nullopt;
}

/// A one-line description of an error response for a trace: "HTTP 400
/// (exceed_context_size_error): request (1527 tokens) exceeds ...". Falls back to the start of
/// the body when it holds no recognisable error.
[[nodiscard]] inline std::string describe_error_response(int status, std::string_view body) {
    std::string out = "HTTP " + std::to_string(status);
    if (const std::optional<api_error> e = parse_error_body(body)) {
        if (!e->type.empty())
            out += " (" + e->type + ")";
        if (!e->message.empty())
            out += ": " + e->message;
        return out;
    }
    if (!body.empty()) {
        constexpr std::size_t keep = 512;
        out += ": ";
        out.append(body.substr(0, keep));
        if (body.size() > keep)
            out += "...";
    }
    return out;
}

} // namespace llmcap::openai
