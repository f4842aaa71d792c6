#pragma once

#include <llmcap/core/error.hpp>

#include <optional> // optional
#include <string>   // string

namespace llmcap::client {

/// The answer to a plain GET or POST (`/v1/models`, `/tokenize`, `/metrics`, `/version`).
/// Failures are data, as on a request_trace.
struct http_response {
    /// HTTP status; 0 when no response arrived.
    int status = 0;
    /// The `Content-Type` header.
    std::string content_type;
    /// The `Server` header (dialect detection reads it).
    std::string server;
    /// The body; a larger one is a failure that keeps its first
    /// endpoint_options::body_limit_bytes bytes.
    std::string body;
    /// Why the exchange failed; a status other than 2xx is error::http_status (the body is
    /// kept). Empty on success.
    std::optional<error> failure;
    /// The failure's detail ("HTTP 404 (not_found_error): File Not Found",
    /// "connect to 127.0.0.1:9 failed: Connection refused").
    std::string error_message;

    /// True for a complete 2xx response.
    [[nodiscard]] bool ok() const noexcept {
        return !failure.has_value();
    }
};

} // namespace llmcap::client
