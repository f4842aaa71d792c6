#pragma once

#include <array>       // array
#include <charconv>    // to_chars
#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view

namespace llmcap::emulator::detail {

/// Appends `s` as the inside of a JSON string (quotes not included).
inline void append_json_escaped(std::string& out, std::string_view s) {
    constexpr std::string_view hex = "0123456789abcdef";
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            out += "\\u00";
            out += hex[u >> 4];
            out += hex[u & 0xF];
        } else {
            out += c;
        }
    }
}

/// Appends `v` in decimal.
inline void append_uint(std::string& out, std::uint64_t v) {
    std::array<char, 24> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    out.append(buf.data(), static_cast<std::size_t>(r.ptr - buf.data()));
}

/// Appends `v` in shortest round-trip decimal form.
inline void append_double(std::string& out, double v) {
    std::array<char, 32> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    out.append(buf.data(), static_cast<std::size_t>(r.ptr - buf.data()));
}

/// Appends an OpenAI usage object: `"usage":{...}` (vLLM's field order), with
/// `prompt_tokens_details.cached_tokens` when `cached` is given.
inline void append_usage(std::string& out, std::uint64_t prompt, std::uint64_t completion,
                         std::uint64_t reasoning, std::optional<std::uint64_t> cached = {}) {
    out += "\"usage\":{\"prompt_tokens\":";
    append_uint(out, prompt);
    out += ",\"total_tokens\":";
    append_uint(out, prompt + completion);
    out += ",\"completion_tokens\":";
    append_uint(out, completion);
    if (cached) {
        out += ",\"prompt_tokens_details\":{\"cached_tokens\":";
        append_uint(out, *cached);
        out += '}';
    }
    if (reasoning > 0) {
        out += ",\"completion_tokens_details\":{\"reasoning_tokens\":";
        append_uint(out, reasoning);
        out += '}';
    }
    out += '}';
}

/// Appends `payload` as one HTTP/1.1 chunk (hex size, CRLF, bytes, CRLF).
inline void append_http_chunk(std::string& out, std::string_view payload) {
    std::array<char, 20> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), payload.size(), 16);
    out.append(buf.data(), static_cast<std::size_t>(r.ptr - buf.data()));
    out += "\r\n";
    out += payload;
    out += "\r\n";
}

/// The reason phrase of an HTTP status.
[[nodiscard]] inline std::string_view http_reason(int status) noexcept {
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Payload Too Large";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return status < 500 ? "Client Error" : "Server Error";
    }
}

/// The error `type` the emulator reports for an HTTP status (vLLM's exception names).
[[nodiscard]] inline std::string_view error_type(int status) noexcept {
    switch (status) {
    case 400:
        return "BadRequestError";
    case 404:
        return "NotFoundError";
    case 405:
        return "MethodNotAllowed";
    case 429:
        return "RateLimitError";
    case 503:
        return "ServiceUnavailableError";
    default:
        return status < 500 ? "BadRequestError" : "InternalServerError";
    }
}

/// An OpenAI error body: `{"error":{"message":...,"type":...,"param":null,"code":N}}`.
[[nodiscard]] inline std::string error_body(int status, std::string_view message) {
    std::string out = "{\"error\":{\"message\":\"";
    append_json_escaped(out, message);
    out += "\",\"type\":\"";
    out += error_type(status);
    out += "\",\"param\":null,\"code\":";
    append_uint(out, static_cast<std::uint64_t>(status));
    out += "}}";
    return out;
}

} // namespace llmcap::emulator::detail
