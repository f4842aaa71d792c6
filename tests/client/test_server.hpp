#pragma once

// A scripted HTTP/1.1 server on an ephemeral loopback port for the client tests: it parses
// each request with Beast and hands the socket to a script that writes whatever bytes the
// test needs (good streams, cut streams, stalls, oversized responses).

#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>   // min
#include <cstddef>     // size_t
#include <cstdint>     // uint16_t, uint32_t
#include <functional>  // function
#include <memory>      // shared_ptr
#include <random>      // mt19937
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace llmcap::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

/// A parsed request as the server saw it.
using server_request = http::request<http::string_body>;

/// Writes all of `bytes`; false when the peer went away.
inline asio::awaitable<bool> write_all(tcp::socket& s, std::string_view bytes) {
    auto [ec, n] =
        co_await asio::async_write(s, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable));
    (void)n;
    co_return !ec;
}

/// How a response is cut into writes.
enum class split { whole, one_byte, random };

/// Writes `bytes` in pieces (each its own write, so the client sees many reads).
inline asio::awaitable<bool> write_split(tcp::socket& s, std::string_view bytes, split how,
                                         std::uint32_t seed = 1) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<std::size_t> size(1, 300);
    while (!bytes.empty()) {
        std::size_t n = bytes.size();
        if (how == split::one_byte)
            n = 1;
        else if (how == split::random)
            n = std::min(n, size(rng));
        if (!co_await write_all(s, bytes.substr(0, n)))
            co_return false;
        bytes.remove_prefix(n);
    }
    co_return true;
}

/// Waits until the peer closes (or the server stops): a server that stalls.
inline asio::awaitable<void> wait_for_close(tcp::socket& s) {
    char buf[512];
    for (;;) {
        auto [ec, n] =
            co_await s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
        (void)n;
        if (ec)
            co_return;
    }
}

/// Sleeps on the socket's executor.
inline asio::awaitable<void> pause(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

/// One chunk of a chunked body.
inline std::string chunk(std::string_view data) {
    char size[32];
    const int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    std::string out(size, static_cast<std::size_t>(n));
    out.append(data);
    out += "\r\n";
    return out;
}

/// The last chunk of a chunked body.
inline constexpr std::string_view last_chunk = "0\r\n\r\n";

/// Headers of a 200 SSE response with a chunked body.
inline constexpr std::string_view sse_headers = "HTTP/1.1 200 OK\r\n"
                                                "Content-Type: text/event-stream\r\n"
                                                "Transfer-Encoding: chunked\r\n"
                                                "\r\n";

/// A vLLM-shaped chat chunk event with the given delta JSON (`{"content":"hi"}`).
inline std::string chat_event(std::string_view delta, std::string_view finish = "null") {
    return std::string("data: {\"id\":\"chatcmpl-test\",\"object\":\"chat.completion.chunk\","
                       "\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":") +
           std::string(delta) + ",\"logprobs\":null,\"finish_reason\":" + std::string(finish) +
           "}]}\n\n";
}

/// A usage-only final event.
inline std::string usage_event(unsigned prompt, unsigned completion) {
    return "data: {\"id\":\"chatcmpl-test\",\"object\":\"chat.completion.chunk\",\"created\":1,"
           "\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":" +
           std::to_string(prompt) + ",\"completion_tokens\":" + std::to_string(completion) +
           ",\"total_tokens\":" + std::to_string(prompt + completion) + "}}\n\n";
}

/// A complete chat stream of `tokens` content events with usage and [DONE], one chunk per event.
inline std::string chat_stream_body(unsigned tokens) {
    std::string out = chunk(chat_event(R"({"role":"assistant","content":""})"));
    for (unsigned i = 0; i < tokens; ++i)
        out += chunk(chat_event(R"({"content":"t)" + std::to_string(i) + "\"}"));
    out += chunk(chat_event("{}", "\"length\""));
    out += chunk(usage_event(7, tokens));
    out += chunk("data: [DONE]\n\n");
    out += last_chunk;
    return out;
}

/// The loopback server. The script gets each parsed request and returns whether to keep the
/// connection open for another request.
class test_server {
public:
    using script = std::function<asio::awaitable<bool>(tcp::socket&, const server_request&,
                                                       std::size_t connection)>;

    test_server(asio::io_context& io, script s,
                int backlog = asio::socket_base::max_listen_connections)
        : acceptor_(io), script_(std::move(s)) {
        acceptor_.open(tcp::v4());
        acceptor_.set_option(asio::socket_base::reuse_address(true));
        acceptor_.bind({asio::ip::address_v4::loopback(), 0});
        acceptor_.listen(backlog);
        port_ = acceptor_.local_endpoint().port();
        asio::co_spawn(io, accept_loop(), asio::detached);
    }

    /// The port it listens on.
    [[nodiscard]] std::uint16_t port() const {
        return port_;
    }
    /// `http://127.0.0.1:<port>`.
    [[nodiscard]] std::string url() const {
        return "http://127.0.0.1:" + std::to_string(port());
    }
    /// Stops accepting and closes every connection.
    void stop() {
        boost::system::error_code ec;
        acceptor_.close(ec);
        for (auto& w : sockets_)
            if (auto s = w.lock())
                s->close(ec);
    }

    /// Every request received, in order.
    std::vector<server_request> requests;
    /// Connections accepted.
    std::size_t connections = 0;
    /// Connections open now, and the most open at once.
    std::size_t open_now = 0;
    std::size_t open_max = 0;

private:
    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, sock] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec)
                co_return;
            const std::size_t index = connections++;
            auto s = std::make_shared<tcp::socket>(std::move(sock));
            sockets_.push_back(s);
            asio::co_spawn(acceptor_.get_executor(), session(s, index), asio::detached);
        }
    }

    asio::awaitable<void> session(std::shared_ptr<tcp::socket> s, std::size_t index) {
        ++open_now;
        open_max = std::max(open_max, open_now);
        boost::beast::flat_buffer buffer;
        for (;;) {
            server_request req;
            auto [ec, n] =
                co_await http::async_read(*s, buffer, req, asio::as_tuple(asio::use_awaitable));
            (void)n;
            if (ec)
                break;
            requests.push_back(req);
            if (!co_await script_(*s, req, index))
                break;
        }
        boost::system::error_code ec;
        s->shutdown(tcp::socket::shutdown_both, ec);
        s->close(ec);
        --open_now;
    }

    tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    script script_;
    std::vector<std::weak_ptr<tcp::socket>> sockets_;
};

/// Runs `body` (a coroutine producing T) on `io` until it finishes; then stops the server (if
/// given) and lets its connections wind down. Fails the test if the body does not finish
/// within `limit`.
template <class T, class Body>
T run(asio::io_context& io, test_server* server, Body body,
      std::chrono::seconds limit = std::chrono::seconds(20)) {
    std::optional<T> out;
    std::exception_ptr error;
    bool done = false;
    asio::co_spawn(io, body(), [&](std::exception_ptr e, T value) {
        error = e;
        if (!e)
            out = std::move(value);
        done = true;
    });
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done && std::chrono::steady_clock::now() < deadline)
        if (io.run_one_until(deadline) == 0 && io.stopped())
            break;
    if (server != nullptr) {
        server->stop();
        io.run_for(limit);
    }
    if (error)
        std::rethrow_exception(error);
    if (!out)
        throw std::runtime_error("test coroutine did not finish in time");
    return std::move(*out);
}

} // namespace llmcap::test
