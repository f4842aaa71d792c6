#pragma once

// http_endpoint's connections: the pool of idle keep-alive connections, the cap on open ones,
// and connecting (resolve, TCP connect, TLS handshake).

#include <llmcap/client/detail/connect_errors.hpp>
#include <llmcap/client/detail/connection.hpp>
#include <llmcap/client/detail/request_state.hpp>
#include <llmcap/client/endpoint_url.hpp>
#include <llmcap/client/options.hpp>
#include <llmcap/core/clock.hpp>
#include <llmcap/core/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/ssl.h> // SSL_set_tlsext_host_name

#include <algorithm> // find
#include <cstddef>   // size_t
#include <cstdint>   // uint64_t
#include <deque>     // deque
#include <memory>    // unique_ptr, make_unique, make_shared
#include <optional>  // optional
#include <string>    // string, to_string
#include <utility>   // move
#include <vector>    // vector

namespace llmcap::client::detail {

/// How connect() ended: no failure, or its kind and message.
struct connect_result {
    std::optional<error> failure;
    std::string message;
};

/**
 * The connections of one http_endpoint: idle keep-alive connections for reuse, a cap on the
 * open ones (requests beyond it wait for a free one), and the making of new ones.
 *
 * An idle connection is checked before use (max_idle, is_stale()); a fresh one is asked for
 * by a request retried after its reused connection turned out closed, and makes room for
 * itself by closing an idle one when the cap is reached. Holds references to the endpoint's
 * URL and options, which must outlive it.
 */
class connection_pool {
public:
    /// A connection handed out by acquire(); null when the request was aborted while waiting.
    struct lease {
        std::unique_ptr<connection> conn;
        bool reused = false;
    };

    connection_pool(boost::asio::any_io_executor ex, const endpoint_url& url,
                    const endpoint_options& options)
        : ex_(std::move(ex)), url_(url), opt_(options) {}

    connection_pool(const connection_pool&) = delete;
    connection_pool& operator=(const connection_pool&) = delete;
    ~connection_pool() = default;

    /// Makes new connections TLS ones, with `ctx` (for an https URL; before any connection).
    void use_tls(std::unique_ptr<boost::asio::ssl::context> ctx) noexcept {
        ssl_ = std::move(ctx);
    }

    /// Connections open now (in use plus idle).
    [[nodiscard]] std::size_t open() const noexcept {
        return open_;
    }
    /// Idle connections now.
    [[nodiscard]] std::size_t idle() const noexcept {
        return idle_.size();
    }
    /// Connections made since construction.
    [[nodiscard]] std::uint64_t connections_made() const noexcept {
        return connections_made_;
    }

    /// Opens up to `n` idle connections (see http_endpoint::warm_up()); returns how many are
    /// idle afterwards.
    boost::asio::awaitable<std::size_t> warm_up(std::size_t n) {
        co_await boost::asio::this_coro::throw_if_cancelled(false);
        while (idle_.size() < n && open_ < opt_.pool.max_connections) {
            auto state = std::make_shared<request_state>(ex_);
            state->set_total(after(trace_clock::now(), opt_.timeouts.connect));
            auto c = std::make_unique<connection>(ex_);
            ++open_;
            const connect_result r = co_await connect(*c, *state);
            state->finish();
            if (r.failure) {
                --open_;
                break;
            }
            c->idle_since = trace_clock::now();
            idle_.push_back(std::move(c));
        }
        co_return idle_.size();
    }

    /// Closes every idle connection (in-use ones close when their request ends).
    void close_idle() noexcept {
        for (auto& c : idle_)
            c->close();
        open_ -= idle_.size();
        idle_.clear();
        notify();
    }

    /// Gives a connection back: kept for reuse when `reusable` and still open, else closed.
    void release(std::unique_ptr<connection> c, bool reusable) {
        if (reusable && c->is_open()) {
            ++c->requests;
            c->idle_since = trace_clock::now();
            idle_.push_back(std::move(c));
        } else {
            c->close();
            --open_;
        }
        notify();
    }

    /// A connection from the pool (unless `fresh`), a new unconnected one, or null when
    /// aborted.
    boost::asio::awaitable<lease> acquire(request_state& state, bool fresh) {
        namespace asio = boost::asio;
        co_await asio::this_coro::throw_if_cancelled(false);
        for (;;) {
            if (state.aborted())
                co_return lease{};
            while (!fresh && !idle_.empty()) {
                std::unique_ptr<connection> c = std::move(idle_.back());
                idle_.pop_back();
                if (trace_clock::now() - c->idle_since > opt_.pool.max_idle ||
                    c->is_stale(ssl_ != nullptr)) {
                    c->close();
                    --open_;
                    continue;
                }
                co_return lease{std::move(c), true};
            }
            if (fresh && open_ >= opt_.pool.max_connections && !idle_.empty()) {
                idle_.front()->close(); // make room: a retry must not meet another stale one
                idle_.erase(idle_.begin());
                --open_;
            }
            if (open_ < opt_.pool.max_connections) {
                ++open_;
                co_return lease{std::make_unique<connection>(ex_), false};
            }
            asio::steady_timer wait(ex_, time_point::max());
            waiters_.push_back(&wait);
            state.wait_timer = &wait;
            co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
            state.wait_timer = nullptr;
            if (auto it = std::find(waiters_.begin(), waiters_.end(), &wait); it != waiters_.end())
                waiters_.erase(it);
            const auto cs = co_await asio::this_coro::cancellation_state;
            if (cs.cancelled() != asio::cancellation_type::none)
                state.abort(error::cancelled);
        }
    }

    /// Resolves (once per endpoint), connects and, for https, completes the TLS handshake.
    boost::asio::awaitable<connect_result> connect(connection& c, request_state& state) {
        namespace asio = boost::asio;
        co_await asio::this_coro::throw_if_cancelled(false);
        state.set_deadline(after(trace_clock::now(), opt_.timeouts.connect),
                           error::connect_timeout);
        const auto cs = co_await asio::this_coro::cancellation_state;
        const auto aborted = [&]() -> std::optional<connect_result> {
            if (cs.cancelled() != asio::cancellation_type::none)
                state.abort(error::cancelled);
            if (state.aborted())
                return connect_result{state.aborted(),
                                      abort_message(*state.aborted(), opt_.timeouts, where())};
            return std::nullopt;
        };
        if (resolved_.empty()) {
            boost::system::error_code ec;
            const auto address = asio::ip::make_address(url_.host, ec);
            if (!ec) {
                resolved_.emplace_back(address, url_.port);
            } else {
                asio::ip::tcp::resolver resolver(ex_);
                state.resolver = &resolver;
                auto [rec, results] = co_await resolver.async_resolve(
                    url_.host, std::to_string(url_.port), asio::as_tuple(asio::use_awaitable));
                state.resolver = nullptr;
                if (auto a = aborted())
                    co_return *a;
                if (rec)
                    co_return connect_result{error::resolve_failed, "could not resolve '" +
                                                                        url_.host +
                                                                        "': " + rec.message()};
                for (const auto& entry : results)
                    resolved_.push_back(entry.endpoint());
                if (resolved_.empty())
                    co_return connect_result{error::resolve_failed,
                                             "'" + url_.host + "' resolved to no address"};
            }
        }
        boost::system::error_code last;
        bool connected = false;
        for (const auto& ep : resolved_) {
            asio::ip::tcp::socket& s = c.socket();
            boost::system::error_code ec;
            s.close(ec);
            s.open(ep.protocol(), ec);
            if (ec) {
                // No socket: a limit of this machine (file descriptors, memory), not the server.
                if (client_resource_error(ec))
                    co_return connect_result{error::client_resources,
                                             "cannot open a socket for " + where() + ": " +
                                                 ec.message() +
                                                 " (a limit of the client machine; " +
                                                 "raise ulimit -n or lower the concurrency)"};
                last = ec;
                continue;
            }
            state.socket = &s;
            auto [cec] = co_await s.async_connect(ep, asio::as_tuple(asio::use_awaitable));
            state.socket = nullptr;
            if (auto a = aborted()) {
                s.close(ec);
                co_return *a;
            }
            if (!cec) {
                connected = true;
                break;
            }
            last = cec;
            s.close(ec);
            if (client_resource_error(cec)) // no local port or buffer left
                co_return connect_result{error::client_resources,
                                         "connect to " + where() + " failed on the client: " +
                                             cec.message() + " (a limit of the client machine)"};
        }
        if (!connected) {
            resolved_.clear(); // resolve again next time: the address may have changed
            co_return connect_result{error::connect_failed,
                                     "connect to " + where() + " failed: " + last.message()};
        }
        {
            boost::system::error_code ec;
            c.socket().set_option(asio::ip::tcp::no_delay(true), ec);
        }
        if (ssl_) {
            auto& tls = c.start_tls(*ssl_);
            boost::system::error_code ec;
            (void)asio::ip::make_address(url_.host, ec);
            if (ec) // a host name, not an IP literal
                // SNI; SSL_set_tlsext_host_name is this call behind an old-style cast.
                SSL_ctrl(tls.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                         TLSEXT_NAMETYPE_host_name, const_cast<char*>(url_.host.c_str()));
            if (opt_.tls.verify_peer)
                tls.set_verify_callback(asio::ssl::host_name_verification(url_.host), ec);
            state.socket = &c.socket();
            auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::client,
                                                      asio::as_tuple(asio::use_awaitable));
            state.socket = nullptr;
            if (auto a = aborted()) {
                c.close();
                co_return *a;
            }
            if (hec) {
                c.close();
                co_return connect_result{error::tls_failed, "TLS handshake with " + where() +
                                                                " failed: " + tls_message(hec)};
            }
        }
        c.set_ready();
        ++connections_made_;
        co_return connect_result{};
    }

private:
    [[nodiscard]] std::string where() const {
        return url_.host_header();
    }

    // Wakes the oldest request waiting for a connection.
    void notify() noexcept {
        if (!waiters_.empty()) {
            boost::asio::steady_timer* w = waiters_.front();
            waiters_.pop_front();
            w->cancel();
        }
    }

    boost::asio::any_io_executor ex_;
    const endpoint_url& url_;
    const endpoint_options& opt_;
    std::unique_ptr<boost::asio::ssl::context> ssl_;
    std::vector<boost::asio::ip::tcp::endpoint> resolved_;
    std::vector<std::unique_ptr<connection>> idle_;
    std::deque<boost::asio::steady_timer*> waiters_;
    std::size_t open_ = 0;
    std::uint64_t connections_made_ = 0;
};

} // namespace llmcap::client::detail
