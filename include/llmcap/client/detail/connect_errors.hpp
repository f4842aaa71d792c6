#pragma once

// How http_endpoint words and classifies a failed connection.

#include <boost/asio/ssl/error.hpp>
#include <boost/system/errc.hpp>
#include <boost/system/error_code.hpp>

#include <openssl/err.h> // ERR_GET_REASON
#include <openssl/ssl.h> // SSL_R_CERTIFICATE_VERIFY_FAILED

#include <string> // string

namespace llmcap::client::detail {

/// True for errors that come from this machine's limits rather than from the server: no file
/// descriptor, memory, buffer or local port left (error::client_resources).
[[nodiscard]] inline bool client_resource_error(const boost::system::error_code& ec) {
    namespace errc = boost::system::errc;
    return ec == errc::too_many_files_open || ec == errc::too_many_files_open_in_system ||
           ec == errc::not_enough_memory || ec == errc::no_buffer_space ||
           ec == errc::address_not_available;
}

/// A failed TLS handshake in words; a rejected certificate says how to trust it.
[[nodiscard]] inline std::string tls_message(const boost::system::error_code& ec) {
    std::string m = ec.message();
    if (ec.category() == boost::asio::error::get_ssl_category()) {
        const auto reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
        if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED)
            m += " (certificate rejected; trust the server's CA with llmcap-sweep's "
                 "--ca-cert FILE (endpoint_options::tls.ca_pem), or for a test server only, "
                 "turn verification off with --insecure (tls.verify_peer = false))";
    }
    return m;
}

} // namespace llmcap::client::detail
