#pragma once

// How the readers of user files (report/cells_input.hpp) show what they read in a message:
// text escaped and cut at a character boundary, byte order marks, numbers and JSON values as
// written, JSONPath steps.

#include <boost/json/kind.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>    // to_chars
#include <cstddef>     // size_t
#include <string>      // string, to_string
#include <string_view> // string_view

namespace llmcap::report::detail {

/// Most bytes of file text quoted in an error message.
inline constexpr std::size_t max_quoted_bytes = 80;

/// The length of the valid UTF-8 sequence starting at s[i], or 0 when there is none.
[[nodiscard]] inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char b = byte(i);
    std::size_t n = 0;
    unsigned char lo = 0x80; // allowed range of the second byte
    unsigned char hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
        n = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
        n = 3;
        lo = b == 0xE0 ? 0xA0 : 0x80; // no overlong forms
        hi = b == 0xED ? 0x9F : 0xBF; // no surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4;
        lo = b == 0xF0 ? 0x90 : 0x80;
        hi = b == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (i + n > s.size() || byte(i + 1) < lo || byte(i + 1) > hi)
        return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF)
            return 0;
    return n;
}

/**
 * `s` made safe to print: control characters, DEL, backslash, the double quote and bytes that
 * are not valid UTF-8 escaped (`\x00`, `\\`, `\"`), valid UTF-8 kept. At most `max_bytes` of
 * `s` are shown (never half a character); "..." marks a cut.
 */
[[nodiscard]] inline std::string escape_text(std::string_view s,
                                             std::size_t max_bytes = max_quoted_bytes) {
    constexpr char hex[] = "0123456789abcdef";
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        std::size_t n = 1;
        if (b >= 0x80) {
            n = utf8_sequence_length(s, i);
            if (n == 0)
                n = 1;
        }
        if (i + n > max_bytes)
            break;
        if (b == '\\' || b == '"') {
            out += '\\';
            out += static_cast<char>(b);
        } else if (b < 0x20 || b == 0x7F || (b >= 0x80 && n == 1)) {
            out += "\\x";
            out += hex[b >> 4];
            out += hex[b & 0xF];
        } else {
            out.append(s.substr(i, n));
        }
        i += n;
    }
    if (i < s.size())
        out += "...";
    return out;
}

/// `s` escaped and cut (escape_text) between double quotes: "\"1x\"".
[[nodiscard]] inline std::string quote_text(std::string_view s) {
    std::string out(1, '"');
    out += escape_text(s);
    out += '"';
    return out;
}

/// True when `text` starts with a UTF-8 byte order mark; removes it.
inline bool skip_bom(std::string_view& text) noexcept {
    if (text.starts_with("\xEF\xBB\xBF")) {
        text.remove_prefix(3);
        return true;
    }
    return false;
}

/// A message when `text` starts with a UTF-16 or UTF-32 byte order mark; else empty.
[[nodiscard]] inline std::string wide_encoding_error(std::string_view text) {
    if (text.starts_with(std::string_view("\xFF\xFE\x00\x00", 4)) ||
        text.starts_with(std::string_view("\x00\x00\xFE\xFF", 4)))
        return "UTF-32 text (byte order mark); save the file as UTF-8";
    if (text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF"))
        return "UTF-16 text (byte order mark); save the file as UTF-8";
    return {};
}

/// A number in its shortest exact form ("0.25", "-1e+300", "nan").
[[nodiscard]] inline std::string number_text(double v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

/// A JSON value as an error message shows it: numbers and literals as written, strings quoted
/// and escaped, containers by kind.
[[nodiscard]] inline std::string json_text(const boost::json::value& v) {
    switch (v.kind()) {
    case boost::json::kind::null:
        return "null";
    case boost::json::kind::bool_:
        return v.get_bool() ? "true" : "false";
    case boost::json::kind::int64:
        return std::to_string(v.get_int64());
    case boost::json::kind::uint64:
        return std::to_string(v.get_uint64());
    case boost::json::kind::double_:
        return number_text(v.get_double());
    case boost::json::kind::string:
        return quote_text(v.get_string());
    case boost::json::kind::array:
        return "an array";
    case boost::json::kind::object:
        return "an object";
    }
    return "a value";
}

/// A JSONPath step for an object key: `.key`, or `["key"]` (escaped) when the key is not a
/// plain identifier.
[[nodiscard]] inline std::string path_key(std::string_view key) {
    bool plain = !key.empty() && key.size() <= max_quoted_bytes;
    for (char c : key)
        plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '_');
    return plain ? "." + std::string(key) : "[" + quote_text(key) + "]";
}

} // namespace llmcap::report::detail
