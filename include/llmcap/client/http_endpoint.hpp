#pragma once

#include <llmcap/client/detail/connect_errors.hpp>
#include <llmcap/client/detail/connection.hpp>
#include <llmcap/client/detail/exchange.hpp>
#include <llmcap/client/detail/request_state.hpp>
#include <llmcap/client/endpoint_url.hpp>
#include <llmcap/client/http_response.hpp>
#include <llmcap/client/options.hpp>
#include <llmcap/client/request_context.hpp>
#include <llmcap/client/stop_signal.hpp>
#include <llmcap/client/streaming_endpoint.hpp>
#include <llmcap/core/clock.hpp>
#include <llmcap/core/error.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/openai/request.hpp>
#include <llmcap/openai/trace_builder.hpp>
#include <llmcap/version.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include <openssl/ssl.h> // SSL_set_tlsext_host_name

#include <algorithm>   // find, max
#include <array>       // array
#include <cstddef>     // size_t
#include <cstdint>     // uint32_t, uint64_t
#include <cstdlib>     // getenv
#include <deque>       // deque
#include <memory>      // unique_ptr, make_unique, shared_ptr
#include <optional>    // optional
#include <stdexcept>   // invalid_argument
#include <string>      // string, to_string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

namespace llmcap::client {

namespace asio = boost::asio;

/**
 * A client of one OpenAI-compatible server (http or https), modelling streaming_endpoint.
 *
 * Sends completion requests over HTTP/1.1 keep-alive connections from its own pool and turns
 * each response into a request_trace (DESIGN.md §4): send time, headers time, one stamp per
 * read shared by the events it completed, usage, finish reason, the server's timings, and a
 * classified failure when something went wrong. Also offers plain GET/POST helpers for
 * `/v1/models`, `/tokenize`, `/metrics` and the like.
 *
 * The pool keeps idle connections for reuse and never lets a stale one fail a request: an
 * idle connection is checked before use, and a request whose reused connection turns out to
 * be closed before any response byte arrived is retried once on a new connection. The number
 * of open connections is capped; requests beyond the cap wait for a free one (the wait counts
 * against the total timeout only).
 *
 * Not thread-safe: use one endpoint from one thread (the one running its executor). Must
 * outlive every request made on it. Costs per stream: one connection (socket, a read buffer of
 * 4 KiB growing while reads fill it, the event-stream parser) and the trace's events.
 */
class http_endpoint {
public:
    /// An endpoint for a parsed URL. Throws std::invalid_argument when the TLS settings
    /// cannot be applied (an unreadable `ca_pem`).
    http_endpoint(asio::any_io_executor ex, endpoint_url url, endpoint_options options = {})
        : ex_(std::move(ex)), url_(std::move(url)), opt_(std::move(options)) {
        if (opt_.api_key.empty() && !opt_.api_key_env.empty())
            if (const char* key = std::getenv(opt_.api_key_env.c_str()); key != nullptr)
                opt_.api_key = key;
        fixed_headers_ = "Host: " + url_.host_header() + "\r\n";
        fixed_headers_ += "User-Agent: llmcap/";
        fixed_headers_ += version_string;
        fixed_headers_ += "\r\n";
        if (!opt_.api_key.empty())
            fixed_headers_ += "Authorization: Bearer " + opt_.api_key + "\r\n";
        for (const auto& [name, value] : opt_.headers)
            fixed_headers_ += name + ": " + value + "\r\n";
        if (url_.tls) {
            ssl_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
            boost::system::error_code ec;
            ssl_->set_default_verify_paths(ec); // a system without a CA store still works
            if (!opt_.tls.ca_pem.empty()) {
                ssl_->add_certificate_authority(asio::buffer(opt_.tls.ca_pem), ec);
                if (ec)
                    throw std::invalid_argument("tls.ca_pem: " + ec.message());
            }
            ssl_->set_verify_mode(opt_.tls.verify_peer ? asio::ssl::verify_peer
                                                       : asio::ssl::verify_none);
        }
        if (opt_.max_read_bytes == 0 || opt_.read_buffer_bytes == 0)
            throw std::invalid_argument("read sizes must be at least 1 byte");
        if (opt_.pool.max_connections == 0)
            throw std::invalid_argument("pool.max_connections must be at least 1");
    }

    /// An endpoint for a URL such as `http://127.0.0.1:8000` or `https://host/prefix/v1`.
    /// Throws std::invalid_argument naming the URL when it cannot be parsed.
    http_endpoint(asio::any_io_executor ex, std::string_view url, endpoint_options options = {})
        : http_endpoint(std::move(ex), parse_or_throw(url), std::move(options)) {}

    http_endpoint(const http_endpoint&) = delete;
    http_endpoint& operator=(const http_endpoint&) = delete;
    ~http_endpoint() = default;

    /// The endpoint's URL.
    [[nodiscard]] const endpoint_url& url() const noexcept {
        return url_;
    }
    /// The endpoint's options (the API key as resolved at construction).
    [[nodiscard]] const endpoint_options& options() const noexcept {
        return opt_;
    }
    /// Connections open now (in use plus idle).
    [[nodiscard]] std::size_t open_connections() const noexcept {
        return open_;
    }
    /// Idle connections in the pool now.
    [[nodiscard]] std::size_t idle_connections() const noexcept {
        return idle_.size();
    }
    /// Connections made since construction (a measure of keep-alive reuse).
    [[nodiscard]] std::uint64_t connections_made() const noexcept {
        return connections_made_;
    }
    /// Requests retried on a new connection after a reused one turned out closed.
    [[nodiscard]] std::uint64_t retries() const noexcept {
        return retries_;
    }

    /**
     * Sends one completion request and returns its trace; never throws for anything a server
     * or the network does (failures are on the trace). Streams when `request.stream` is set;
     * otherwise reads one JSON body (TTFT undefined, E2E defined).
     *
     * The request is serialized at the call, so the returned awaitable may outlive `request`
     * (as it does when handed to `co_spawn`).
     */
    asio::awaitable<request_trace> stream(const openai::completion_request& request,
                                          request_context context = {}) {
        request_trace t;
        t.index = context.index;
        t.intended_start =
            context.intended_start == time_point{} ? stamp() : context.intended_start;
        t.prompt_tokens_target = context.prompt_tokens_target;
        t.max_tokens = request.max_tokens.value_or(0);
        t.fixed_output = request.ignore_eos.value_or(false) && t.max_tokens > 0;
        std::string target = url_.base_path;
        target += openai::path(request.kind);
        return run_stream(std::move(t), std::move(target), openai::serialize(request),
                          request.stream, context.stop);
    }

    /// GET `path` (below the URL's prefix), e.g. `/v1/models`, `/metrics`, `/version`.
    /// Arguments are copied at the call.
    asio::awaitable<http_response> get(std::string_view path, stop_signal* stop = nullptr) {
        return run_plain("GET", url_.base_path + std::string(path), {}, stop);
    }

    /// POST a JSON body to `path` (below the URL's prefix), e.g. `/tokenize`. Arguments are
    /// copied at the call.
    asio::awaitable<http_response> post(std::string_view path, std::string_view json_body,
                                        stop_signal* stop = nullptr) {
        return run_plain("POST", url_.base_path + std::string(path), std::string(json_body), stop);
    }

    /**
     * Opens up to `n` connections ahead of the requests (a warm pool), so that connection
     * set-up is not timed by accident. Returns how many are idle in the pool afterwards.
     * Connections that fail to open are not retried.
     */
    asio::awaitable<std::size_t> warm_up(std::size_t n) {
        co_await asio::this_coro::throw_if_cancelled(false);
        while (idle_.size() < n && open_ < opt_.pool.max_connections) {
            auto state = std::make_shared<detail::request_state>(ex_);
            state->set_total(after(trace_clock::now(), opt_.timeouts.connect));
            auto c = std::make_unique<detail::connection>(ex_);
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

private:
    struct connect_result {
        std::optional<error> failure;
        std::string message;
    };
    struct lease {
        std::unique_ptr<detail::connection> conn;
        bool reused = false;
    };
    enum class outcome { keep, close, retry };

    asio::awaitable<request_trace> run_stream(request_trace t, std::string target, std::string body,
                                              bool streaming, stop_signal* stop) {
        co_await asio::this_coro::throw_if_cancelled(false);
        openai::trace_builder builder(opt_.stream);
        detail::trace_handler handler(t, builder, streaming, opt_.body_limit_bytes,
                                      opt_.error_body_limit_bytes);
        co_await exchange("POST", target, body,
                          streaming ? "text/event-stream" : "application/json", handler, stop);
        co_return t;
    }

    asio::awaitable<http_response> run_plain(std::string_view method, std::string target,
                                             std::string body, stop_signal* stop) {
        co_await asio::this_coro::throw_if_cancelled(false);
        http_response r;
        detail::plain_handler handler(r, opt_.body_limit_bytes);
        co_await exchange(method, target, body, "*/*", handler, stop);
        co_return r;
    }

    static endpoint_url parse_or_throw(std::string_view url) {
        std::string why;
        auto r = parse_endpoint_url(url, why);
        if (!r)
            throw std::invalid_argument("invalid endpoint URL '" + std::string(url) + "': " + why);
        return *r;
    }

    /// `t + d`, saturating at time_point::max() (the limits may be "forever").
    [[nodiscard]] static time_point after(time_point t, duration d) noexcept {
        return d >= time_point::max() - t ? time_point::max() : t + d;
    }

    [[nodiscard]] std::string where() const {
        return url_.host_header();
    }

    void notify() noexcept {
        if (!waiters_.empty()) {
            asio::steady_timer* w = waiters_.front();
            waiters_.pop_front();
            w->cancel();
        }
    }

    void release(std::unique_ptr<detail::connection> c, bool reusable) {
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
    asio::awaitable<lease> acquire(detail::request_state& state, bool fresh) {
        co_await asio::this_coro::throw_if_cancelled(false);
        for (;;) {
            if (state.aborted())
                co_return lease{};
            while (!fresh && !idle_.empty()) {
                std::unique_ptr<detail::connection> c = std::move(idle_.back());
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
                co_return lease{std::make_unique<detail::connection>(ex_), false};
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
    asio::awaitable<connect_result> connect(detail::connection& c, detail::request_state& state) {
        co_await asio::this_coro::throw_if_cancelled(false);
        state.set_deadline(after(trace_clock::now(), opt_.timeouts.connect),
                           error::connect_timeout);
        const auto cs = co_await asio::this_coro::cancellation_state;
        const auto aborted = [&]() -> std::optional<connect_result> {
            if (cs.cancelled() != asio::cancellation_type::none)
                state.abort(error::cancelled);
            if (state.aborted())
                return connect_result{state.aborted(), abort_message(*state.aborted())};
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
                if (detail::client_resource_error(ec))
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
            if (detail::client_resource_error(cec)) // no local port or buffer left
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
                co_return connect_result{error::tls_failed,
                                         "TLS handshake with " + where() +
                                             " failed: " + detail::tls_message(hec)};
            }
        }
        c.set_ready();
        ++connections_made_;
        co_return connect_result{};
    }

    [[nodiscard]] std::string abort_message(error kind) const {
        const auto ms = [](duration d) {
            return std::to_string(
                       std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) +
                   " ms";
        };
        const timeouts& to = opt_.timeouts;
        switch (kind) {
        case error::connect_timeout:
            return "no connection to " + where() + " within " + ms(to.connect);
        case error::headers_timeout:
            return "no response headers within " + ms(to.headers) + " of send";
        case error::first_token_timeout:
            return "no token event within " + ms(to.first_token) + " of send";
        case error::idle_timeout:
            return "no data for " + ms(to.idle);
        case error::total_timeout:
            return "request exceeded its total limit of " + ms(to.total);
        case error::cancelled:
            return "cancelled";
        default:
            return std::string(error_name(kind));
        }
    }

    /// One request/response exchange, with pool, connect, timeouts, cancellation and the
    /// stale-connection retry; the handler records the result.
    asio::awaitable<void> exchange(std::string_view method, std::string_view target,
                                   std::string_view body, std::string_view accept,
                                   detail::response_handler& handler, stop_signal* stop) {
        co_await asio::this_coro::throw_if_cancelled(false);
        const time_point start = trace_clock::now();
        auto state = std::make_shared<detail::request_state>(ex_);
        state->set_total(after(start, opt_.timeouts.total));
        if (stop != nullptr) {
            if (stop->stop_requested()) {
                handler.on_failure(trace_clock::now(), error::cancelled, "cancelled");
                co_return;
            }
            stop->add(*state);
        }
        std::string head;
        head.reserve(256 + fixed_headers_.size());
        head.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
        head += fixed_headers_;
        head.append("Accept: ").append(accept).append("\r\n");
        if (method == "POST") {
            head += "Content-Type: application/json\r\nContent-Length: ";
            head += std::to_string(body.size());
            head += "\r\n";
        }
        head += "\r\n";
        const std::array<asio::const_buffer, 2> request{asio::buffer(head), asio::buffer(body)};

        for (int attempt = 0;; ++attempt) {
            state->set_deadline(after(start, opt_.timeouts.total), error::total_timeout);
            lease l = co_await acquire(*state, attempt > 0); // a retry gets a new connection
            if (!l.conn) {
                const error why = state->aborted().value_or(error::cancelled);
                handler.on_failure(trace_clock::now(), why, abort_message(why));
                break;
            }
            if (!l.conn->is_open()) {
                l.conn->buffer.clear();
                const connect_result r = co_await connect(*l.conn, *state);
                if (r.failure) {
                    release(std::move(l.conn), false);
                    handler.on_failure(trace_clock::now(), *r.failure, r.message);
                    break;
                }
            }
            const outcome o =
                co_await transact(*l.conn, *state, request, handler, l.reused && attempt == 0);
            if (o == outcome::retry) {
                ++retries_;
                release(std::move(l.conn), false);
                continue;
            }
            release(std::move(l.conn), o == outcome::keep && !state->aborted());
            break;
        }
        state->finish();
        if (stop != nullptr)
            stop->remove(*state);
    }

    /// Writes the request on `c` and reads the response into the handler.
    asio::awaitable<outcome> transact(detail::connection& c, detail::request_state& state,
                                      const std::array<asio::const_buffer, 2>& request,
                                      detail::response_handler& handler, bool may_retry) {
        namespace http = boost::beast::http;
        co_await asio::this_coro::throw_if_cancelled(false);
        const auto cs = co_await asio::this_coro::cancellation_state;
        const timeouts& to = opt_.timeouts;
        state.socket = &c.socket();

        // Returns the abort reason, if any: a deadline, the stop signal, or Asio cancellation.
        const auto abort_reason = [&]() -> std::optional<error> {
            if (state.aborted())
                return state.aborted();
            if (cs.cancelled() != asio::cancellation_type::none) {
                state.abort(error::cancelled);
                return error::cancelled;
            }
            return std::nullopt;
        };

        const time_point send = trace_clock::now();
        handler.on_send(send);
        state.set_deadline(after(send, to.headers), error::headers_timeout);
        {
            auto [wec, n] = co_await c.write(request);
            (void)n;
            if (wec) {
                if (auto why = abort_reason()) {
                    handler.on_failure(trace_clock::now(), *why, abort_message(*why));
                    co_return outcome::close;
                }
                if (may_retry)
                    co_return outcome::retry;
                handler.on_failure(trace_clock::now(), error::connect_failed,
                                   "sending the request to " + where() +
                                       " failed: " + wec.message());
                co_return outcome::close;
            }
        }

        http::response_parser<detail::sink_body> parser;
        parser.eager(true);
        parser.header_limit(static_cast<std::uint32_t>(
            std::min<std::size_t>(opt_.header_limit_bytes, 0xffffffffu)));
        parser.body_limit(boost::none);
        parser.get().body() = &handler;

        bool got_bytes = false;
        bool headers_done = false;
        bool draining = false;
        bool token_stage = false;
        time_point read_time = send;
        parser.eager(false); // stop after the header: on_headers() must see it before any body
        for (;;) {
            // Parse what the buffer holds.
            for (std::string_view data = c.buffer.data(); !data.empty(); data = c.buffer.data()) {
                handler.set_read_time(read_time);
                boost::system::error_code pec;
                const std::size_t used = parser.put(asio::buffer(data.data(), data.size()), pec);
                c.buffer.consume(used);
                const bool need_more = pec == http::error::need_more;
                if (need_more)
                    pec = {};
                if (pec) {
                    const std::string what =
                        "invalid HTTP response from " + where() + ": " + pec.message();
                    if (!headers_done)
                        handler.on_failure(read_time, error::bad_response, what);
                    else
                        handler.on_broken(read_time, error::bad_response, what);
                    co_return outcome::close;
                }
                if (!headers_done && parser.is_header_done()) {
                    headers_done = true;
                    parser.eager(true);
                    if (!handler.on_headers(parser.get().base(), read_time))
                        co_return outcome::close;
                    if (handler.is_token_stream())
                        state.set_deadline(after(send, to.first_token), error::first_token_timeout);
                    else
                        state.set_deadline(after(read_time, to.idle), error::idle_timeout);
                }
                if (handler.action() == detail::body_action::close)
                    co_return outcome::close;
                if (handler.action() == detail::body_action::drain && !draining) {
                    draining = true;
                    state.set_deadline(after(read_time, opt_.drain), error::idle_timeout);
                }
                if (parser.is_done()) {
                    handler.on_complete(read_time); // after a drain: checks the output length
                    co_return parser.keep_alive() ? outcome::keep : outcome::close;
                }
                if (!token_stage && headers_done && handler.first_token_seen() && !draining) {
                    token_stage = true;
                    state.set_deadline(after(read_time, to.idle), error::idle_timeout);
                }
                if (need_more || used == 0)
                    break;
            }
            if (auto why = abort_reason()) {
                if (draining) // the stream had ended; only the rest of the message is lost
                    handler.on_broken(read_time, error::truncated_stream, abort_message(*why));
                else
                    handler.on_failure(trace_clock::now(), *why, abort_message(*why));
                co_return outcome::close;
            }

            // Read more.
            const asio::mutable_buffer space =
                c.buffer.prepare(opt_.read_buffer_bytes, opt_.max_read_bytes, opt_.max_read_bytes);
            auto [rec, n] = co_await c.read_some(space);
            read_time = stamp();
            c.buffer.commit(n);
            if (n > 0) {
                got_bytes = true;
                if (token_stage && !draining)
                    state.extend(after(read_time, to.idle));
                else if (headers_done && !handler.is_token_stream())
                    state.extend(after(read_time, to.idle));
            }
            if (!rec)
                continue;
            if (draining) {
                handler.on_broken(read_time, error::truncated_stream, rec.message());
                co_return outcome::close;
            }
            if (auto why = abort_reason()) {
                handler.on_failure(read_time, *why, abort_message(*why));
                co_return outcome::close;
            }
            const bool eof = rec == asio::error::eof || rec == asio::ssl::error::stream_truncated;
            if (!got_bytes && may_retry && (eof || rec == asio::error::connection_reset))
                co_return outcome::retry;
            if (eof && headers_done) {
                boost::system::error_code pec;
                handler.set_read_time(read_time);
                parser.put_eof(pec);
                if (!pec && parser.is_done()) {
                    handler.on_complete(read_time); // body delimited by the close
                    co_return outcome::close;
                }
            }
            if (!headers_done)
                handler.on_failure(
                    read_time, error::bad_response,
                    (eof ? "connection closed by " + where()
                         : "connection to " + where() + " failed (" + rec.message() + ")") +
                        " before the response headers");
            else
                handler.on_broken(
                    read_time, error::truncated_stream,
                    (eof ? "connection closed by " + where()
                         : "connection to " + where() + " failed (" + rec.message() + ")") +
                        " before the end of the response");
            co_return outcome::close;
        }
    }

    asio::any_io_executor ex_;
    endpoint_url url_;
    endpoint_options opt_;
    std::string fixed_headers_;
    std::unique_ptr<asio::ssl::context> ssl_;
    std::vector<asio::ip::tcp::endpoint> resolved_;
    std::vector<std::unique_ptr<detail::connection>> idle_;
    std::deque<asio::steady_timer*> waiters_;
    std::size_t open_ = 0;
    std::uint64_t connections_made_ = 0;
    std::uint64_t retries_ = 0;
};

static_assert(streaming_endpoint<http_endpoint>);

} // namespace llmcap::client
