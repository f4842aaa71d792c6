#pragma once

#include <llmcap/client/endpoint_url.hpp>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view
#include <utility>     // move

namespace llmcap::sweep {

/**
 * Where a Prometheus metrics page is read from when it is not the serving endpoint's own
 * `/metrics` (a gateway in front of the server, an engine that serves its metrics on another
 * port, a separate exporter). Made by parse_metrics_url.
 */
struct metrics_target {
    /// Scheme, host and port to connect to (its base_path is empty).
    client::endpoint_url endpoint;
    /// The request path: the URL's own path, or `/metrics` when it has none.
    std::string path = "/metrics";

    /// The full URL, for messages ("http://10.0.0.5:9400/metrics").
    [[nodiscard]] std::string url() const {
        return endpoint.to_string() + path;
    }
};

/**
 * Reads a metrics URL: `http` or `https`, a host, an optional port, and an optional path. A URL
 * with a path is scraped at that path as given (`http://host:9400/metrics`,
 * `http://host/engine/metrics`); a URL without one, or with only `/`, gets `/metrics`
 * (`http://host:30000` scrapes `http://host:30000/metrics`). Returns empty and sets `error` to
 * what was wrong, in client::parse_endpoint_url's words, for anything else (another scheme, no
 * host, a port outside 1..65535, a query, a fragment or user information).
 */
[[nodiscard]] inline std::optional<metrics_target> parse_metrics_url(std::string_view text,
                                                                     std::string& error) {
    auto endpoint = client::parse_endpoint_url(text, error);
    if (!endpoint)
        return std::nullopt;
    const auto parsed = boost::urls::parse_absolute_uri(text);
    if (!parsed) { // parse_endpoint_url read it, so this does not happen
        error = "not an absolute URL (expected http://host[:port][/path])";
        return std::nullopt;
    }
    metrics_target t;
    t.endpoint = std::move(*endpoint);
    t.endpoint.base_path.clear();
    const auto encoded = parsed->encoded_path();
    const std::string path(encoded.data(), encoded.size());
    if (!path.empty() && path != "/")
        t.path = path;
    error.clear();
    return t;
}

} // namespace llmcap::sweep
