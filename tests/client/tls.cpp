// https: the client against a loopback TLS server whose self-signed certificate is made at test
// time with OpenSSL's C API (no key is committed).

#include <llmcap/client/http_endpoint.hpp>

#include "test_server.hpp"

#include <doctest/doctest.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory> // unique_ptr
#include <string> // string

namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using namespace std::chrono_literals;
using llmcap::error;
using llmcap::request_trace;
using llmcap::client::http_endpoint;
using llmcap::test::tcp;

struct test_certificate {
    std::string cert_pem;
    std::string key_pem;
};

std::string drain(BIO* bio) {
    std::string out(BIO_ctrl_pending(bio), '\0');
    const int n = BIO_read(bio, out.data(), static_cast<int>(out.size()));
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return out;
}

/// A self-signed P-256 certificate valid from an hour ago for a day, for `alt_names`
/// ("IP:127.0.0.1,DNS:localhost").
test_certificate make_certificate(const char* alt_names) {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), &EVP_PKEY_free);
    REQUIRE(key);
    std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), &X509_free);
    X509_set_version(x.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x.get()), 86400);
    X509_set_pubkey(x.get(), key.get());
    X509_NAME* name = X509_get_subject_name(x.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("llmcap test"), -1, -1, 0);
    X509_set_issuer_name(x.get(), name);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
    for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, alt_names},
                                     std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
        REQUIRE(ext != nullptr);
        X509_add_ext(x.get(), ext, -1);
        X509_EXTENSION_free(ext);
    }
    REQUIRE(X509_sign(x.get(), key.get(), EVP_sha256()) > 0);
    std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(BIO_new(BIO_s_mem()), &BIO_free);
    std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(BIO_new(BIO_s_mem()), &BIO_free);
    PEM_write_bio_X509(cert_bio.get(), x.get());
    PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    return {drain(cert_bio.get()), drain(key_bio.get())};
}

/// A loopback https server answering every request with a two-token chat stream; records the
/// SNI name each handshake carried.
class tls_server {
public:
    tls_server(asio::io_context& io, const test_certificate& cert)
        : acceptor_(io, {asio::ip::address_v4::loopback(), 0}), ctx_(ssl::context::tls_server) {
        ctx_.use_certificate_chain(asio::buffer(cert.cert_pem));
        ctx_.use_private_key(asio::buffer(cert.key_pem), ssl::context::pem);
        port_ = acceptor_.local_endpoint().port();
        asio::co_spawn(io, accept_loop(), asio::detached);
    }
    [[nodiscard]] std::uint16_t port() const {
        return port_;
    }
    void stop() {
        boost::system::error_code ec;
        acceptor_.close(ec);
    }

    std::vector<std::string> sni;
    int handshakes_ok = 0;

private:
    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, sock] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec)
                co_return;
            asio::co_spawn(acceptor_.get_executor(), session(std::move(sock)), asio::detached);
        }
    }
    asio::awaitable<void> session(tcp::socket sock) {
        ssl::stream<tcp::socket> s(std::move(sock), ctx_);
        auto [hec] = co_await s.async_handshake(ssl::stream_base::server,
                                                asio::as_tuple(asio::use_awaitable));
        const char* name = SSL_get_servername(s.native_handle(), TLSEXT_NAMETYPE_host_name);
        sni.emplace_back(name != nullptr ? name : "");
        if (hec)
            co_return;
        ++handshakes_ok;
        boost::beast::flat_buffer buffer;
        for (;;) {
            llmcap::test::server_request req;
            auto [ec, n] = co_await llmcap::test::http::async_read(
                s, buffer, req, asio::as_tuple(asio::use_awaitable));
            (void)n;
            if (ec)
                co_return;
            const std::string out =
                std::string(llmcap::test::sse_headers) + llmcap::test::chat_stream_body(2);
            auto [wec, wn] = co_await asio::async_write(s, asio::buffer(out),
                                                        asio::as_tuple(asio::use_awaitable));
            (void)wn;
            if (wec)
                co_return;
        }
    }

    tcp::acceptor acceptor_;
    ssl::context ctx_;
    std::uint16_t port_ = 0;
};

llmcap::openai::completion_request chat_request() {
    llmcap::openai::completion_request r;
    r.model = "m";
    r.messages = {{"user", "hi"}};
    r.max_tokens = 2;
    return r;
}

llmcap::client::endpoint_options quick() {
    llmcap::client::endpoint_options o;
    o.api_key_env.clear();
    o.timeouts.connect = 5s;
    o.timeouts.total = 10s;
    return o;
}

template <class Server>
std::vector<request_trace> requests(asio::io_context& io, Server& server, http_endpoint& ep,
                                    int n) {
    return llmcap::test::run<std::vector<request_trace>>(
        io, nullptr, [&]() -> asio::awaitable<std::vector<request_trace>> {
            std::vector<request_trace> out;
            for (int i = 0; i < n; ++i)
                out.push_back(co_await ep.stream(chat_request()));
            server.stop();
            co_return out;
        });
}

} // namespace

TEST_CASE("https: verified against a trusted certificate, with SNI and keep-alive") {
    asio::io_context io;
    const test_certificate cert = make_certificate("IP:127.0.0.1,DNS:localhost");
    tls_server server(io, cert);
    auto opt = quick();
    opt.tls.ca_pem = cert.cert_pem;
    SUBCASE("by IP address") {
        http_endpoint ep(io.get_executor(), "https://127.0.0.1:" + std::to_string(server.port()),
                         opt);
        const auto traces = requests(io, server, ep, 3);
        for (const auto& t : traces) {
            CHECK_MESSAGE(t.ok(), t.error_message);
            CHECK(t.events.size() == 2);
        }
        CHECK(ep.connections_made() == 1);
        REQUIRE(server.sni.size() == 1);
        CHECK(server.sni[0].empty()); // no SNI for an IP literal (RFC 6066)
    }
    SUBCASE("by host name") {
        http_endpoint ep(io.get_executor(), "https://localhost:" + std::to_string(server.port()),
                         opt);
        const auto traces = requests(io, server, ep, 1);
        CHECK_MESSAGE(traces[0].ok(), traces[0].error_message);
        REQUIRE(!server.sni.empty());
        CHECK(server.sni.back() == "localhost");
    }
}

TEST_CASE("https: an untrusted certificate fails as tls_failed unless verification is off") {
    asio::io_context io;
    const test_certificate cert = make_certificate("IP:127.0.0.1");
    tls_server server(io, cert);
    const std::string url = "https://127.0.0.1:" + std::to_string(server.port());
    SUBCASE("verification on (the default)") {
        http_endpoint ep(io.get_executor(), url, quick());
        const auto traces = requests(io, server, ep, 1);
        CHECK(traces[0].failure == llmcap::error::tls_failed);
        CHECK(traces[0].error_message.find("certificate verify failed") != std::string::npos);
        CHECK(!traces[0].send);
        CHECK(server.handshakes_ok == 0);
    }
    SUBCASE("verification off") {
        auto opt = quick();
        opt.tls.verify_peer = false;
        http_endpoint ep(io.get_executor(), url, opt);
        const auto traces = requests(io, server, ep, 1);
        CHECK_MESSAGE(traces[0].ok(), traces[0].error_message);
    }
}

TEST_CASE("https: a certificate for another name is rejected") {
    asio::io_context io;
    const test_certificate cert = make_certificate("DNS:other.test");
    tls_server server(io, cert);
    auto opt = quick();
    opt.tls.ca_pem = cert.cert_pem;
    http_endpoint ep(io.get_executor(), "https://127.0.0.1:" + std::to_string(server.port()), opt);
    const auto traces = requests(io, server, ep, 1);
    CHECK(traces[0].failure == llmcap::error::tls_failed);
}

TEST_CASE("https: a handshake with a plain HTTP server fails as tls_failed") {
    asio::io_context io;
    llmcap::test::test_server server(
        io,
        [](tcp::socket& s, const llmcap::test::server_request&,
           std::size_t) -> asio::awaitable<bool> {
            co_await llmcap::test::write_all(
                s, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            co_return false;
        });
    http_endpoint ep(io.get_executor(), "https://127.0.0.1:" + std::to_string(server.port()),
                     quick());
    const auto traces = requests(io, server, ep, 1);
    CHECK(traces[0].failure == llmcap::error::tls_failed);
    CHECK(traces[0].error_message.find("TLS handshake with 127.0.0.1:") == 0);
}

TEST_CASE("https: a bad ca_pem is reported at construction") {
    asio::io_context io;
    auto opt = quick();
    opt.tls.ca_pem = "not a certificate";
    CHECK_THROWS_AS(http_endpoint(io.get_executor(), std::string_view("https://127.0.0.1:1"), opt),
                    std::invalid_argument);
}
