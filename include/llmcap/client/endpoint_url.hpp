#pragma once

#include <boost/system/errc.hpp>
#include <boost/system/result.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <charconv>     // from_chars
#include <cstdint>      // uint16_t, uint32_t
#include <string>       // string
#include <string_view>  // string_view
#include <system_error> // errc

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
    /// Path prefix without a trailing slash (`""` or `"/openai"`); request paths such as
    /// `/v1/chat/completions` are appended to it. A URL ending in `/v1` keeps it out of the
    /// prefix, since every request path already starts with `/v1`.
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

    /// The URL back as text.
    [[nodiscard]] std::string to_string() const {
        std::string out = tls ? "https://" : "http://";
        out += bracketed_host();
        out += ':';
        out += std::to_string(port);
        out += base_path;
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

/// Parses an endpoint URL with Boost.URL. Fails with `errc::invalid_argument` for a scheme
/// other than http/https, a missing host, a port outside 1..65535, or a query or fragment.
[[nodiscard]] inline boost::system::result<endpoint_url> parse_endpoint_url(std::string_view text) {
    auto parsed = boost::urls::parse_absolute_uri(text);
    if (!parsed)
        return parsed.error();
    const boost::urls::url_view& u = *parsed;
    const auto bad = boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
    endpoint_url out;
    if (u.scheme_id() == boost::urls::scheme::https)
        out.tls = true;
    else if (u.scheme_id() != boost::urls::scheme::http)
        return bad;
    if (u.has_query() || u.has_fragment() || u.has_userinfo())
        return bad;
    switch (u.host_type()) {
    case boost::urls::host_type::ipv6:
        out.host = u.host_address();
        break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::name:
        out.host = u.host_address();
        break;
    default:
        return bad;
    }
    if (out.host.empty())
        return bad;
    out.port = out.tls ? 443 : 80;
    if (u.has_port()) {
        // port_number() wraps values over 65535; read the digits instead.
        const std::string_view digits = u.port();
        std::uint32_t port = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
        if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
            port == 0 || port > 65535)
            return bad;
        out.port = static_cast<std::uint16_t>(port);
    }
    std::string path = u.path();
    while (!path.empty() && path.back() == '/')
        path.pop_back();
    if (path.size() >= 3 && path.compare(path.size() - 3, 3, "/v1") == 0)
        path.resize(path.size() - 3);
    out.base_path = std::move(path);
    return out;
}

} // namespace llmcap::client
