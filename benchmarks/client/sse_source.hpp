#pragma once

// An SSE source for the client benchmarks: a small single-threaded Beast server that answers
// every POST with a vLLM-shaped chat completion stream, as fast as asked.
//
// The request body says what to send: `max_tokens` token events, at `source_rate` events/s
// per stream (0: as fast as the socket takes them). Paced events carry `"sent_ns"`, the
// steady_clock time just before the event's write (CLOCK_MONOTONIC on Linux, the clock of
// Python's time.perf_counter()), and the same stamp is recorded in a table shared with the
// benchmark process, indexed by the stream's number (the response `id` is `chatcmpl-<n>`) and
// the event's index, with the time the event was due by the schedule. Streams begin at a random
// phase of their period, as independent users do; with `"source_aligned": true` every stream
// sends on one shared grid instead, as one engine's batch emits a token for every running
// sequence at the end of the same step.

#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <atomic>  // atomic
#include <chrono>  // steady_clock
#include <cstdint> // int64_t, uint64_t
#include <cstdio>  // snprintf
#include <random>  // mt19937_64
#include <string>  // string

namespace llmcap::bench {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

/// State shared between the source process and the benchmark (placed in shared memory).
struct source_shared {
    static constexpr std::size_t max_streams = 1024;
    static constexpr std::size_t max_events = 1024;
    /// Streams started so far (the next stream's number).
    std::atomic<std::uint64_t> next_stream{0};
    /// Streams sending now, and the most at once.
    std::atomic<std::int64_t> active{0};
    std::atomic<std::int64_t> max_active{0};
    /// Send stamps of paced events, nanoseconds of steady_clock: [stream][event].
    std::int64_t sent_ns[max_streams][max_events];
    /// When each paced event was due by the source's schedule (same clock): sent_ns minus
    /// this is the source's own lateness, which is not the client's added delay.
    std::int64_t due_ns[max_streams][max_events];
    /// When the write of each paced event returned, or -1 when it did not go out in one
    /// non-blocking write. On loopback the kernel has queued the bytes on the client's socket
    /// (and woken the client) by then, so the client's own part of the delay starts here.
    std::int64_t written_ns[max_streams][max_events];
};

inline std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

inline std::string chunk_of(const std::string& data) {
    char size[24];
    const int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    std::string out(size, static_cast<std::size_t>(n));
    out += data;
    out += "\r\n";
    return out;
}

/// One vLLM-shaped chat chunk event; `sent_ns` < 0 leaves the stamp out.
inline std::string token_event(std::uint64_t stream, std::string_view delta, std::int64_t sent_ns,
                               std::string_view finish = "null") {
    std::string e = "data: {\"id\":\"chatcmpl-" + std::to_string(stream) +
                    "\",\"object\":\"chat.completion.chunk\",\"created\":1760000000,"
                    "\"model\":\"bench/model-7b\",\"choices\":[{\"index\":0,\"delta\":";
    e += delta;
    e += ",\"logprobs\":null,\"finish_reason\":";
    e += finish;
    e += "}]";
    if (sent_ns >= 0) {
        e += ",\"sent_ns\":";
        e += std::to_string(sent_ns);
    }
    e += "}\n\n";
    return e;
}

/// The source server; run() serves until stop() (or forever).
class sse_source {
public:
    sse_source(asio::io_context& io, source_shared& shared)
        : io_(io), acceptor_(io), shared_(shared) {
        acceptor_.open(tcp::v4());
        acceptor_.set_option(asio::socket_base::reuse_address(true));
        acceptor_.bind({asio::ip::address_v4::loopback(), 0});
        acceptor_.listen(asio::socket_base::max_listen_connections);
        asio::co_spawn(io_, accept_loop(), asio::detached);
    }

    [[nodiscard]] std::uint16_t port() const {
        return acceptor_.local_endpoint().port();
    }

private:
    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, s] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec) {
                if (ec == asio::error::operation_aborted)
                    co_return;
                continue; // EMFILE and the like: keep serving the others
            }
            s.set_option(tcp::no_delay(true));
            asio::co_spawn(io_, session(std::move(s)), asio::detached);
        }
    }

    static asio::awaitable<bool> write(tcp::socket& s, const std::string& bytes) {
        auto [ec, n] =
            co_await asio::async_write(s, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable));
        (void)n;
        co_return !ec;
    }

    asio::awaitable<void> session(tcp::socket s) {
        boost::beast::flat_buffer buffer;
        for (;;) {
            http::request<http::string_body> req;
            auto [ec, n] =
                co_await http::async_read(s, buffer, req, asio::as_tuple(asio::use_awaitable));
            (void)n;
            if (ec)
                co_return;
            std::uint64_t events = 16;
            double rate = 0;
            bool aligned = false;
            boost::system::error_code jec;
            const auto body = boost::json::parse(req.body(), jec);
            if (!jec && body.is_object()) {
                const auto& o = body.as_object();
                if (const auto* v = o.if_contains("max_tokens"))
                    events = v->to_number<std::uint64_t>(jec);
                if (const auto* v = o.if_contains("source_rate"))
                    rate = v->to_number<double>(jec);
                if (const auto* v = o.if_contains("source_aligned"))
                    aligned = v->is_bool() && v->get_bool();
            }
            if (!co_await stream(s, events, rate, aligned))
                co_return;
        }
    }

    asio::awaitable<bool> stream(tcp::socket& s, std::uint64_t events, double rate, bool aligned) {
        const std::uint64_t id = shared_.next_stream++;
        const auto active = ++shared_.active;
        for (auto m = shared_.max_active.load(); active > m;)
            if (shared_.max_active.compare_exchange_weak(m, active))
                break;
        struct leave {
            source_shared& sh;
            ~leave() {
                --sh.active;
            }
        } guard{shared_};

        std::string head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
                           "transfer-encoding: chunked\r\nserver: uvicorn\r\n\r\n";
        head += chunk_of(token_event(id, R"({"role":"assistant","content":""})", -1));
        if (!co_await write(s, head))
            co_return false;

        if (rate <= 0) {
            // As fast as possible: a prebuilt block of events, each its own chunk as vLLM
            // writes them, sent again and again.
            constexpr std::uint64_t block_events = 256;
            std::string block;
            for (std::uint64_t i = 0; i < block_events; ++i)
                block += chunk_of(token_event(id, R"({"content":" token"})", -1));
            std::uint64_t sent = 0;
            while (sent < events) {
                const std::uint64_t n = std::min(block_events, events - sent);
                if (n == block_events) {
                    if (!co_await write(s, block))
                        co_return false;
                } else {
                    std::string part;
                    for (std::uint64_t i = 0; i < n; ++i)
                        part += chunk_of(token_event(id, R"({"content":" token"})", -1));
                    if (!co_await write(s, part))
                        co_return false;
                }
                sent += n;
            }
        } else {
            const auto period = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / rate));
            const auto now = std::chrono::steady_clock::now();
            auto start = now;
            if (aligned) {
                // The next tick of one grid shared by every stream (one engine's step ends).
                const auto into = now.time_since_epoch() % period;
                start = now + (period - into);
            } else {
                std::mt19937_64 rng(id * 7919 + 1);
                start += std::chrono::nanoseconds(
                    static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(period.count())));
            }
            asio::steady_timer timer(io_);
            boost::system::error_code nbec;
            s.non_blocking(true, nbec); // a write that would block falls back to async_write
            for (std::uint64_t k = 0; k < events; ++k) {
                const auto due = start + period * static_cast<std::int64_t>(k);
                timer.expires_at(due);
                co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
                const std::int64_t t = now_ns();
                if (id < source_shared::max_streams && k < source_shared::max_events) {
                    shared_.sent_ns[id][k] = t;
                    shared_.due_ns[id][k] =
                        std::chrono::duration_cast<std::chrono::nanoseconds>(due.time_since_epoch())
                            .count();
                }
                const std::string ev = chunk_of(token_event(id, R"({"content":" token"})", t));
                boost::system::error_code wec;
                const std::size_t n = s.write_some(asio::buffer(ev), wec);
                const std::int64_t written = now_ns();
                if (wec && wec != asio::error::would_block)
                    co_return false;
                if (id < source_shared::max_streams && k < source_shared::max_events)
                    shared_.written_ns[id][k] = n == ev.size() ? written : -1;
                if (n < ev.size() && !co_await write(s, ev.substr(n)))
                    co_return false;
            }
        }
        std::string tail = chunk_of(token_event(id, "{}", -1, "\"length\""));
        tail += chunk_of("data: {\"id\":\"chatcmpl-" + std::to_string(id) +
                         "\",\"object\":\"chat.completion.chunk\",\"created\":1760000000,"
                         "\"model\":\"bench/model-7b\",\"choices\":[],\"usage\":{\"prompt_tokens\":"
                         "16,\"total_tokens\":" +
                         std::to_string(16 + events) +
                         ",\"completion_tokens\":" + std::to_string(events) + "}}\n\n");
        tail += chunk_of("data: [DONE]\n\n");
        tail += "0\r\n\r\n";
        co_return co_await write(s, tail);
    }

    asio::io_context& io_;
    tcp::acceptor acceptor_;
    source_shared& shared_;
};

} // namespace llmcap::bench
