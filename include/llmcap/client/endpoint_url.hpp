#pragma once

#include <boost/system/errc.hpp>   // errc::invalid_argument
#include <boost/system/result.hpp> // result
#include <boost/url/parse.hpp>     // parse_absolute_uri, parse_uri
#include <boost/url/url_view.hpp>  // url_view, scheme, host_type

#include <charconv>     // from_chars
#include <cstddef>      // size_t
#include <cstdint>      // uint16_t, uint32_t
#include <optional>     // optional
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <system_error> // errc
#include <utility>      // move

namespace llmcap::client {

/// Where an OpenAI-compatible server listens: parsed from `http://host:port/prefix` or
/// `https://host/prefix`.
struct endpoint_url {
    /// True for `https`.
    bool tls = false;
    /// Host name or IP address, without the brackets of an IPv6 literal.
    std::string host;
    /// TCP port (80 or 443 when the URL names none).
    std::uint16_t port = 80;
    /// Path prefix without a trailing slash (`""` or `"/openai"`), percent-encoded as written;
    /// request paths such as `/v1/chat/completions` are appended to it. A URL ending in `/v1`
    /// keeps it out of the prefix, since every request path already starts with `/v1`.
    std::string base_path;

    /// The `Host` header value: the host, with the port unless it is the scheme's default.
    [[nodiscard]] std::string host_header() const {
        std::string h = bracketed_host();
        if (port != (tls ? 443 : 80)) {
            h += ':';
            h += std::to_string(port);
        }
        return h;
    }

    /// The URL back as text; parse_endpoint_url reads it back to an equal endpoint_url.
    [[nodiscard]] std::string to_string() const {
        std::string out = tls ? "https://" : "http://";
        out += bracketed_host();
        out += ':';
        out += std::to_string(port);
        out += base_path;
        if (base_path.ends_with("/v1"))
            out += "/v1"; // parsing drops one trailing /v1 ("http://h/x/v1/v1" has prefix /x/v1)
        return out;
    }

    /// The host, in brackets when it is an IPv6 literal.
    [[nodiscard]] std::string bracketed_host() const {
        if (host.find(':') == std::string::npos)
            return host;
        std::string h;
        h.reserve(host.size() + 2);
        h += '[';
        h.append(host);
        h += ']';
        return h;
    }

    friend bool operator==(const endpoint_url&, const endpoint_url&) = default;
};

namespace detail {

/// True when `text` starts with `prefix`, ignoring ASCII case.
[[nodiscard]] constexpr bool url_starts_with_nocase(std::string_view text,
                                                    std::string_view prefix) noexcept {
    if (text.size() < prefix.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i])
            return false;
    }
    return true;
}

/// The parser behind both parse_endpoint_url overloads: the error code of the first, and, when
/// `why` is given, the reason in words.
[[nodiscard]] inline boost::system::result<endpoint_url>
parse_endpoint_url_impl(std::string_view text, std::string* why) {
    const auto bad = boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
    const auto explain = [why](std::string message) {
        if (why != nullptr)
            *why = std::move(message);
    };
    const auto quoted = [](std::string_view s) {
        std::string q;
        q.reserve(s.size() + 2);
        q += '"';
        q.append(s);
        q += '"';
        return q;
    };
    if (text.empty()) {
        explain("is empty (expected http://host[:port][/path])");
        return bad;
    }
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    if (space(text.front()) || space(text.back())) {
        explain("has spaces or line breaks around it");
        return bad;
    }
    const std::size_t scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) {
        // "127.0.0.1:8000", "localhost:8000" (which Boost.URL reads as scheme "localhost"),
        // "host/v1": a scheme is missing. "http:/host" has one, mistyped.
        std::string message = "needs http:// or https:// (got " + quoted(text);
        if (!url_starts_with_nocase(text, "http:") && !url_starts_with_nocase(text, "https:")) {
            message += "; try http://";
            message.append(text);
        }
        message += ')';
        explain(std::move(message));
        auto parsed = boost::urls::parse_absolute_uri(text);
        if (!parsed)
            return parsed.error();
        return bad;
    }
    const std::string_view scheme = text.substr(0, scheme_end);
    if (!(scheme.size() == 4 && url_starts_with_nocase(scheme, "http")) &&
        !(scheme.size() == 5 && url_starts_with_nocase(scheme, "https"))) {
        std::string message = "needs http:// or https://, not ";
        message.append(scheme);
        message += "://";
        explain(std::move(message));
        auto parsed = boost::urls::parse_absolute_uri(text);
        if (!parsed)
            return parsed.error();
        return bad;
    }
    // parse_uri, not parse_absolute_uri, so that a fragment is told apart from a typo.
    auto parsed = boost::urls::parse_uri(text);
    const auto invalid = [&] {
        explain("is not a valid URL (expected http://host[:port][/path]; spaces and other "
                "special characters must be percent-encoded)");
    };
    if (!parsed) {
        invalid();
        return parsed.error();
    }
    const boost::urls::url_view& u = *parsed;
    // Boost.URL 1.81 reads "http://host:80a" as port 80 and path "a"; a path after an
    // authority starts with '/'.
    if (const std::string_view path = u.encoded_path(); !path.empty() && path.front() != '/') {
        invalid();
        return bad;
    }
    endpoint_url out;
    out.tls = u.scheme_id() == boost::urls::scheme::https;
    if (u.has_userinfo()) {
        explain("must not carry a user name or password: pass the API key with --api-key-env");
        return bad;
    }
    if (u.has_query() || u.has_fragment()) {
        explain("must not have a query or fragment (the part from '?' or '#' on)");
        return bad;
    }
    switch (u.host_type()) {
    case boost::urls::host_type::ipv6:
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::name:
        if (const auto host = u.encoded_host(); host.find('%') != std::string_view::npos) {
            // A decoded '/', '?' or ':' would change the URL's meaning when written back.
            explain("host " + quoted(std::string_view(host.data(), host.size())) +
                    " must not be percent-encoded");
            return bad;
        }
        out.host = u.host_address();
        break;
    case boost::urls::host_type::none:
        break;
    default:
        const auto host = u.encoded_host();
        explain("host " + quoted(std::string_view(host.data(), host.size())) +
                " is not supported (expected a name, an IPv4 address or a bracketed IPv6 "
                "address)");
        return bad;
    }
    if (out.host.empty()) {
        explain("has no host");
        return bad;
    }
    out.port = out.tls ? 443 : 80;
    if (u.has_port()) {
        // port_number() wraps values over 65535; read the digits instead.
        const std::string_view digits = u.port();
        if (digits.empty()) {
            explain("has a ':' after the host but no port number");
            return bad;
        }
        std::uint32_t port = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
        if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 ||
            port > 65535) {
            std::string message = "port ";
            message.append(digits);
            message += " is out of range (1-65535)";
            explain(std::move(message));
            return bad;
        }
        out.port = static_cast<std::uint16_t>(port);
    }
    // The path as written (percent-encoded): it is sent as part of every request target.
    const auto encoded = u.encoded_path();
    std::string path(encoded.data(), encoded.size());
    const auto drop_slashes = [&path] {
        while (!path.empty() && path.back() == '/')
            path.pop_back();
    };
    drop_slashes();
    if (path.ends_with("/v1")) {
        path.resize(path.size() - 3);
        drop_slashes(); // "//v1/" leaves no prefix, not "/"
    }
    out.base_path = std::move(path);
    if (why != nullptr)
        why->clear();
    return out;
}

} // namespace detail

/**
 * Parses an endpoint URL (`http://host[:port][/prefix]`, `https://...`) with Boost.URL.
 * Fails with Boost.URL's parse error for text that is not a URL, and with
 * `errc::invalid_argument` for a scheme other than http/https, a missing host, a port outside
 * 1..65535, user information, a query or a fragment. The overload below says what was wrong in
 * words.
 */
[[nodiscard]] inline boost::system::result<endpoint_url> parse_endpoint_url(std::string_view text) {
    return detail::parse_endpoint_url_impl(text, nullptr);
}

/**
 * Parses an endpoint URL as the overload above does; on failure returns empty and sets `why`
 * to what was wrong, in words meant to follow the URL in a message (`--url: "X" is not a
 * usable URL: <why>`):
 * - `needs http:// or https:// (got "127.0.0.1:8000"; try http://127.0.0.1:8000)`
 * - `needs http:// or https://, not ftp://`
 * - `has no host`
 * - `port 99999 is out of range (1-65535)`
 * - `has a ':' after the host but no port number`
 * - `must not carry a user name or password: pass the API key with --api-key-env`
 * - `must not have a query or fragment (the part from '?' or '#' on)`
 * - `is empty (expected http://host[:port][/path])`
 * - `has spaces or line breaks around it`
 * - `is not a valid URL (expected http://host[:port][/path]; ...)` for anything else.
 * Clears `why` on success. Never throws except std::bad_alloc.
 */
[[nodiscard]] inline std::optional<endpoint_url> parse_endpoint_url(std::string_view text,
                                                                    std::string& why) {
    auto r = detail::parse_endpoint_url_impl(text, &why);
    if (!r)
        return std::nullopt;
    return std::move(*r);
}

} // namespace llmcap::client
