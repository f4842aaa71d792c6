#pragma once

#include <llmcap/client/detail/exchange.hpp>
#include <llmcap/client/detail/pool.hpp>
#include <llmcap/client/detail/request_state.hpp>
#include <llmcap/client/detail/transact.hpp>
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

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/this_coro.hpp>

#include <array>       // array
#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <cstdlib>     // getenv
#include <memory>      // make_unique, make_shared
#include <stdexcept>   // invalid_argument
#include <string>      // string, to_string
#include <string_view> // string_view
#include <utility>     // move

namespace llmcap::client {

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
    http_endpoint(boost::asio::any_io_executor ex, endpoint_url url, endpoint_options options = {})
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
            auto ssl =
                std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_client);
            boost::system::error_code ec;
            ssl->set_default_verify_paths(ec); // a system without a CA store still works
            if (!opt_.tls.ca_pem.empty()) {
                ssl->add_certificate_authority(boost::asio::buffer(opt_.tls.ca_pem), ec);
                if (ec)
                    throw std::invalid_argument("tls.ca_pem: " + ec.message());
            }
            ssl->set_verify_mode(opt_.tls.verify_peer ? boost::asio::ssl::verify_peer
                                                      : boost::asio::ssl::verify_none);
            pool_.use_tls(std::move(ssl));
        }
        if (opt_.max_read_bytes == 0 || opt_.read_buffer_bytes == 0)
            throw std::invalid_argument("read sizes must be at least 1 byte");
        if (opt_.pool.max_connections == 0)
            throw std::invalid_argument("pool.max_connections must be at least 1");
    }

    /// An endpoint for a URL such as `http://127.0.0.1:8000` or `https://host/prefix/v1`.
    /// Throws std::invalid_argument naming the URL when it cannot be parsed.
    http_endpoint(boost::asio::any_io_executor ex, std::string_view url,
                  endpoint_options options = {})
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
        return pool_.open();
    }
    /// Idle connections in the pool now.
    [[nodiscard]] std::size_t idle_connections() const noexcept {
        return pool_.idle();
    }
    /// Connections made since construction (a measure of keep-alive reuse).
    [[nodiscard]] std::uint64_t connections_made() const noexcept {
        return pool_.connections_made();
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
     * (as it does when handed to `co_spawn`). When `context.answer_text` is set, the answer's
     * text is appended to it as it arrives (a failed request keeps what came before the
     * failure); it must outlive the awaitable.
     */
    boost::asio::awaitable<request_trace> stream(const openai::completion_request& request,
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
                          request.stream, context.stop, context.answer_text);
    }

    /// GET `path` (below the URL's prefix), e.g. `/v1/models`, `/metrics`, `/version`.
    /// Arguments are copied at the call.
    boost::asio::awaitable<http_response> get(std::string_view path, stop_signal* stop = nullptr) {
        return run_plain("GET", url_.base_path + std::string(path), {}, stop);
    }

    /// POST a JSON body to `path` (below the URL's prefix), e.g. `/tokenize`. Arguments are
    /// copied at the call.
    boost::asio::awaitable<http_response> post(std::string_view path, std::string_view json_body,
                                               stop_signal* stop = nullptr) {
        return run_plain("POST", url_.base_path + std::string(path), std::string(json_body), stop);
    }

    /**
     * Opens up to `n` connections ahead of the requests (a warm pool), so that connection
     * set-up is not timed by accident. Returns how many are idle in the pool afterwards.
     * Connections that fail to open are not retried.
     */
    boost::asio::awaitable<std::size_t> warm_up(std::size_t n) {
        return pool_.warm_up(n);
    }

    /// Closes every idle connection (in-use ones close when their request ends).
    void close_idle() noexcept {
        pool_.close_idle();
    }

private:
    boost::asio::awaitable<request_trace> run_stream(request_trace t, std::string target,
                                                     std::string body, bool streaming,
                                                     stop_signal* stop, std::string* answer_text) {
        co_await boost::asio::this_coro::throw_if_cancelled(false);
        openai::trace_builder builder(opt_.stream);
        detail::trace_handler handler(t, builder, streaming, opt_.body_limit_bytes,
                                      opt_.error_body_limit_bytes, answer_text);
        co_await exchange("POST", target, body,
                          streaming ? "text/event-stream" : "application/json", handler, stop);
        co_return t;
    }

    boost::asio::awaitable<http_response> run_plain(std::string_view method, std::string target,
                                                    std::string body, stop_signal* stop) {
        co_await boost::asio::this_coro::throw_if_cancelled(false);
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

    /// One request/response exchange, with pool, connect, timeouts, cancellation and the
    /// stale-connection retry; the handler records the result.
    boost::asio::awaitable<void> exchange(std::string_view method, std::string_view target,
                                          std::string_view body, std::string_view accept,
                                          detail::response_handler& handler, stop_signal* stop) {
        namespace asio = boost::asio;
        co_await asio::this_coro::throw_if_cancelled(false);
        const time_point start = trace_clock::now();
        auto state = std::make_shared<detail::request_state>(ex_);
        state->set_total(detail::after(start, opt_.timeouts.total));
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
            state->set_deadline(detail::after(start, opt_.timeouts.total), error::total_timeout);
            // A retry gets a new connection.
            detail::connection_pool::lease l = co_await pool_.acquire(*state, attempt > 0);
            if (!l.conn) {
                const error why = state->aborted().value_or(error::cancelled);
                handler.on_failure(trace_clock::now(), why,
                                   detail::abort_message(why, opt_.timeouts, url_.host_header()));
                break;
            }
            if (!l.conn->is_open()) {
                l.conn->buffer.clear();
                const detail::connect_result r = co_await pool_.connect(*l.conn, *state);
                if (r.failure) {
                    pool_.release(std::move(l.conn), false);
                    handler.on_failure(trace_clock::now(), *r.failure, r.message);
                    break;
                }
            }
            const detail::outcome o = co_await detail::transact(
                *l.conn, *state, request, handler, l.reused && attempt == 0, opt_, url_);
            if (o == detail::outcome::retry) {
                ++retries_;
                pool_.release(std::move(l.conn), false);
                continue;
            }
            pool_.release(std::move(l.conn), o == detail::outcome::keep && !state->aborted());
            break;
        }
        state->finish();
        if (stop != nullptr)
            stop->remove(*state);
    }

    boost::asio::any_io_executor ex_;
    endpoint_url url_;
    endpoint_options opt_;
    std::string fixed_headers_;
    detail::connection_pool pool_{ex_, url_, opt_}; // after the URL and options it refers to
    std::uint64_t retries_ = 0;
};

static_assert(streaming_endpoint<http_endpoint>);

} // namespace llmcap::client
