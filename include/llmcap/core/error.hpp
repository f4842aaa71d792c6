#pragma once

#include <string>       // string
#include <string_view>  // string_view
#include <system_error> // error_code, error_category, is_error_code_enum

namespace llmcap {

/// Why a request did not end with a complete stream (DESIGN.md §4, "Success rate"). A
/// request_trace carries one of these; failures are kept in the results, never dropped.
enum class error {
    /// The host name did not resolve.
    resolve_failed = 1,
    /// The TCP connection could not be made (refused, unreachable, reset during connect).
    connect_failed,
    /// The TLS handshake failed or the server's certificate was rejected.
    tls_failed,
    /// The server answered with a status other than 2xx; the trace keeps the status and the
    /// message of an OpenAI-style error body.
    http_status,
    /// The response was not a valid HTTP response, had the wrong content type, or exceeded a
    /// configured size limit.
    bad_response,
    /// No connection within the connect timeout.
    connect_timeout,
    /// Response headers did not arrive within the header timeout.
    headers_timeout,
    /// No token event within the first-token timeout.
    first_token_timeout,
    /// The gap between two events exceeded the idle timeout.
    idle_timeout,
    /// The whole request exceeded the total timeout.
    total_timeout,
    /// The event stream or a chunk in it could not be decoded (bad framing, non-JSON data,
    /// JSON of the wrong shape, an event over the size limit, invalid UTF-8).
    malformed_stream,
    /// The connection ended before the stream did (no `[DONE]`, no finish reason).
    truncated_stream,
    /// The server sent an error object inside the stream.
    server_error_event,
    /// The stream completed but carried fewer output tokens than a fixed length asked for.
    short_output,
    /// The run was stopped (Ctrl-C, cancellation) while the request was in flight.
    cancelled,
    /// The stream went on far past the `max_tokens` it was asked for (a server that ignores
    /// the limit); it was ended rather than read without end. The events before are kept.
    overlong_stream,
    /// The client itself ran out of a resource (file descriptors, memory, ephemeral ports)
    /// while setting up the request: a limit of the load machine, not a server failure.
    client_resources,
};

/// The stable snake_case name of an error kind, as written in results files.
[[nodiscard]] constexpr std::string_view error_name(error e) noexcept {
    switch (e) {
    case error::resolve_failed:
        return "resolve_failed";
    case error::connect_failed:
        return "connect_failed";
    case error::tls_failed:
        return "tls_failed";
    case error::http_status:
        return "http_status";
    case error::bad_response:
        return "bad_response";
    case error::connect_timeout:
        return "connect_timeout";
    case error::headers_timeout:
        return "headers_timeout";
    case error::first_token_timeout:
        return "first_token_timeout";
    case error::idle_timeout:
        return "idle_timeout";
    case error::total_timeout:
        return "total_timeout";
    case error::malformed_stream:
        return "malformed_stream";
    case error::truncated_stream:
        return "truncated_stream";
    case error::server_error_event:
        return "server_error_event";
    case error::short_output:
        return "short_output";
    case error::cancelled:
        return "cancelled";
    case error::overlong_stream:
        return "overlong_stream";
    case error::client_resources:
        return "client_resources";
    }
    return "unknown";
}

/// Every error kind, in declaration order (for tallies and tests).
inline constexpr error all_errors[] = {
    error::resolve_failed,     error::connect_failed,      error::tls_failed,
    error::http_status,        error::bad_response,        error::connect_timeout,
    error::headers_timeout,    error::first_token_timeout, error::idle_timeout,
    error::total_timeout,      error::malformed_stream,    error::truncated_stream,
    error::server_error_event, error::short_output,        error::cancelled,
    error::overlong_stream,    error::client_resources,
};

/// The error kind with a given name; false when the name is unknown.
[[nodiscard]] constexpr bool error_from_name(std::string_view name, error& out) noexcept {
    for (error e : all_errors) {
        if (error_name(e) == name) {
            out = e;
            return true;
        }
    }
    return false;
}

/// True for the timeout kinds.
[[nodiscard]] constexpr bool is_timeout(error e) noexcept {
    return e == error::connect_timeout || e == error::headers_timeout ||
           e == error::first_token_timeout || e == error::idle_timeout || e == error::total_timeout;
}

namespace detail {

class error_category final : public std::error_category {
public:
    const char* name() const noexcept override {
        return "llmcap";
    }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
        case error::resolve_failed:
            return "host name did not resolve";
        case error::connect_failed:
            return "connection failed";
        case error::tls_failed:
            return "TLS handshake failed";
        case error::http_status:
            return "server answered with an error status";
        case error::bad_response:
            return "invalid HTTP response";
        case error::connect_timeout:
            return "connect timed out";
        case error::headers_timeout:
            return "timed out waiting for response headers";
        case error::first_token_timeout:
            return "timed out waiting for the first token";
        case error::idle_timeout:
            return "timed out waiting for the next event";
        case error::total_timeout:
            return "request exceeded its total time limit";
        case error::malformed_stream:
            return "malformed event stream";
        case error::truncated_stream:
            return "stream ended before it was complete";
        case error::server_error_event:
            return "server sent an error event";
        case error::short_output:
            return "fewer output tokens than requested";
        case error::cancelled:
            return "cancelled";
        case error::overlong_stream:
            return "stream ran far past max_tokens";
        case error::client_resources:
            return "the client ran out of resources (file descriptors, memory or ports)";
        }
        return "unknown llmcap error";
    }
};

} // namespace detail

/// The category of llmcap::error codes.
[[nodiscard]] inline const std::error_category& error_category() noexcept {
    static const detail::error_category category;
    return category;
}

/// Makes a std::error_code from an llmcap::error.
[[nodiscard]] inline std::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

} // namespace llmcap

template <>
struct std::is_error_code_enum<llmcap::error> : std::true_type {};
