#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/openai/trace_builder.hpp>

#include <chrono>  // seconds, minutes, hours
#include <cstddef> // size_t
#include <string>  // string
#include <utility> // pair
#include <vector>  // vector

namespace llmcap::client {

/**
 * Time limits of one request, each reported as its own error kind. The defaults suit long
 * contexts: a 128K-token prefill on a busy server can take many minutes before the first token.
 */
struct timeouts {
    /// Resolving, connecting and the TLS handshake of one new connection
    /// (error::connect_timeout).
    duration connect = std::chrono::seconds(10);
    /// From the request's send to complete response headers (error::headers_timeout). Some
    /// servers send headers only with the first token, so this defaults to the first-token
    /// limit.
    duration headers = std::chrono::minutes(30);
    /// From the request's send to its first token event (error::first_token_timeout).
    duration first_token = std::chrono::minutes(30);
    /// Longest gap without body bytes once the first token event arrived (error::idle_timeout);
    /// for plain GET/POST helpers, the longest gap between reads of the body.
    duration idle = std::chrono::minutes(10);
    /// From the start of the request (before any connect) to its end (error::total_timeout).
    duration total = std::chrono::hours(6);
};

/// TLS settings of an `https://` endpoint.
struct tls_options {
    /// Verify the server's certificate chain and host name. Turn off only for self-signed test
    /// servers.
    bool verify_peer = true;
    /// Extra trusted certificates (PEM), added to the system's default verify paths.
    std::string ca_pem;
};

/// Connection pool settings of one endpoint.
struct pool_options {
    /// Most connections open at once (in use plus idle); requests beyond it wait for one.
    std::size_t max_connections = 65536;
    /// Idle connections older than this are closed instead of reused (servers close idle
    /// keep-alive connections after a few seconds: llama.cpp after 5 s, uvicorn after 5 s).
    duration max_idle = std::chrono::seconds(4);
};

/// Everything an endpoint needs besides its URL.
struct endpoint_options {
    /// API key sent as `Authorization: Bearer <key>`; when empty, the variable named by
    /// `api_key_env` is read once, at construction.
    std::string api_key;
    /// Environment variable holding the API key; empty to read none.
    std::string api_key_env = "OPENAI_API_KEY";
    /// Extra request headers, sent with every request as given.
    std::vector<std::pair<std::string, std::string>> headers;
    /// Time limits.
    client::timeouts timeouts;
    /// TLS settings (https only).
    tls_options tls;
    /// Connection pool settings.
    pool_options pool;
    /// Largest response header block accepted, in bytes (Beast's default is 8 KiB).
    std::size_t header_limit_bytes = 64 * 1024;
    /// Largest non-streaming response body accepted, in bytes (error::bad_response beyond).
    std::size_t body_limit_bytes = 64 * 1024 * 1024;
    /// Largest error body kept for the message of a failed request, in bytes; the rest is not
    /// read and the connection is closed.
    std::size_t error_body_limit_bytes = 64 * 1024;
    /// First size of a connection's read buffer, in bytes; it doubles while reads fill it.
    std::size_t read_buffer_bytes = 4096;
    /// Largest size of one read, in bytes (1 makes every read a single byte, for tests).
    std::size_t max_read_bytes = 64 * 1024;
    /// Limits of the event-stream parser and chunk decoder (largest event: 16 MiB).
    openai::trace_builder_options stream;
    /// How long to wait for the rest of an HTTP message once the event stream ended
    /// (`[DONE]`), so the connection can be reused; past it the connection is closed and the
    /// request still succeeds.
    duration drain = std::chrono::seconds(1);
};

} // namespace llmcap::client
