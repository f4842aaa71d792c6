#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/emulator/detail/server_format.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#if defined(__linux__)
#    include <sys/socket.h> // recvmsg, setsockopt, SO_TIMESTAMPNS, SCM_TIMESTAMPNS
#    include <sys/uio.h>    // iovec
#    include <time.h>       // timespec
#endif

#include <chrono>      // system_clock, seconds, nanoseconds, minutes
#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <cstring>     // memcpy
#include <functional>  // function
#include <memory>      // enable_shared_from_this, shared_ptr
#include <string>      // string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

namespace llmcap::emulator::detail {

/// A parsed request.
using http_request = boost::beast::http::request<boost::beast::http::string_body>;

/**
 * One client connection of the emulator: reads requests one at a time (HTTP/1.1 keep-alive,
 * no pipelining) and writes responses from an output buffer that the engine loop appends to.
 *
 * Writing: bytes are appended to `out_`; flush() first tries a non-blocking write (on loopback
 * the kernel takes it at once, so a token costs one system call and no completion handler),
 * and hands what is left to an asynchronous write. While `held` (a stall fault or slowly
 * trickled headers) nothing is written and bytes accumulate.
 */
class server_session : public std::enable_shared_from_this<server_session> {
public:
    /// Called with each request read; the handler answers through the session.
    using request_handler =
        std::function<void(const std::shared_ptr<server_session>&, http_request&)>;
    /// Called once when the session ends.
    using close_handler = std::function<void(server_session*)>;

    server_session(boost::asio::ip::tcp::socket socket, std::size_t body_limit)
        : sock_(std::move(socket)), signal_(sock_.get_executor()),
          fault_timer_(sock_.get_executor()), body_limit_(body_limit) {
        boost::system::error_code ec;
        sock_.set_option(boost::asio::ip::tcp::no_delay(true), ec);
        sock_.non_blocking(true, ec);
#if defined(__linux__)
        // The kernel stamps each received segment; arrival_time() reads the stamp.
        const int on = 1;
        timestamps_ =
            ::setsockopt(sock_.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0;
#endif
    }

    /// Reads and serves requests until the connection ends or kill() is called.
    boost::asio::awaitable<void> run(request_handler on_request, close_handler on_close) {
        const auto self = shared_from_this();
        while (!dead_) {
            boost::beast::http::request_parser<boost::beast::http::string_body> parser;
            parser.header_limit(64 * 1024);
            parser.body_limit(body_limit_);
            // The receipt time is when the request's first bytes arrived, not when it is
            // parsed: a burst of requests is parsed one after another, and the later ones
            // would otherwise carry that queueing as if the client had sent them late.
            if (buf_.size() == 0) {
                auto [wec] =
                    co_await sock_.async_wait(boost::asio::socket_base::wait_read,
                                              boost::asio::as_tuple(boost::asio::use_awaitable));
                if (wec || dead_)
                    break;
            }
            request_start_ = arrival_time();
            auto [ec, n] = co_await boost::beast::http::async_read(
                sock_, buf_, parser, boost::asio::as_tuple(boost::asio::use_awaitable));
            (void)n;
            if (ec == boost::beast::http::error::body_limit) {
                respond(413, "application/json",
                        "{\"error\":{\"message\":\"request body too large\",\"type\":"
                        "\"BadRequestError\",\"param\":null,\"code\":413}}",
                        true);
                co_await drained();
                break;
            }
            if (ec || dead_)
                break;
            http_request req = parser.release();
            response_open_ = true;
            close_after_ = !req.keep_alive();
            on_request(self, req);
            if (response_open_ && !watching_)
                watch_disconnect();
            co_await drained();
            if (close_after_)
                break;
        }
        if (!dead_) {
            boost::system::error_code ignored;
            sock_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
            sock_.close(ignored);
            dead_ = true;
        }
        fault_timer_.cancel();
        on_close(this);
    }

    /// When the request being served started to arrive (its first bytes reached this host), on
    /// trace_clock.
    [[nodiscard]] time_point request_start() const noexcept {
        return request_start_;
    }

    /// The engine requests of this connection's response while they are in the engine (one
    /// per prompt; set and cleared by the server): when the connection goes away, the server
    /// aborts them.
    std::vector<std::uint64_t> engine_requests;

    /// Set by the engine loop while the session is on its list of outputs to flush.
    bool queued = false;
    /// The deadline (wall time) of the step whose tokens put the session on that list.
    time_point queued_since{};

    /// True once the connection is closed (by either side or by a fault).
    [[nodiscard]] bool dead() const noexcept {
        return dead_;
    }

    /// Appends bytes to the output.
    void append(std::string_view bytes) {
        out_ += bytes;
    }

    /// The output buffer, to format into directly.
    [[nodiscard]] std::string& output() noexcept {
        return out_;
    }

    /// Writes what the output holds, unless held or already writing.
    void flush() {
        if (dead_ || held_ || writing_ || out_.empty())
            return;
        boost::system::error_code ec;
        const std::size_t n = sock_.write_some(boost::asio::buffer(out_), ec);
        if (ec && ec != boost::asio::error::would_block && ec != boost::asio::error::try_again) {
            kill(false);
            return;
        }
        out_.erase(0, ec ? 0 : n);
        if (out_.empty()) {
            if (!response_open_)
                notify();
            return;
        }
        writing_ = true;
        in_flight_.swap(out_);
        out_.clear();
        boost::asio::async_write(
            sock_, boost::asio::buffer(in_flight_),
            [self = shared_from_this()](boost::system::error_code wec, std::size_t) {
                self->writing_ = false;
                self->in_flight_.clear();
                if (wec) {
                    self->kill(false);
                    return;
                }
                self->flush();
                self->notify();
            });
    }

    /// Writes a complete response with a body of `content_type`; `close` adds
    /// `connection: close` and ends the connection after it.
    void respond(int status, std::string_view content_type, std::string_view body,
                 bool close = false, std::string_view extra_headers = {});

    /// Marks the current response complete (its bytes may still be in the output).
    void end_response() {
        response_open_ = false;
        notify();
    }

    /// True when the client asked to close after this response.
    [[nodiscard]] bool close_after() const noexcept {
        return close_after_;
    }

    /// Closes the connection now: with `reset`, abortively (TCP RST).
    void kill(bool reset) {
        if (dead_)
            return;
        dead_ = true;
        boost::system::error_code ignored;
        if (reset)
            sock_.set_option(boost::asio::socket_base::linger(true, 0), ignored);
        else
            sock_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
        sock_.close(ignored);
        fault_timer_.cancel();
        notify();
    }

    /// Stops writing for `d` (wall time); zero holds until the client disconnects.
    void hold_for(duration d) {
        held_ = true;
        if (d == duration{}) {
            sock_.async_wait(
                boost::asio::socket_base::wait_read,
                [self = shared_from_this()](boost::system::error_code) { self->kill(false); });
            return;
        }
        fault_timer_.expires_after(d);
        fault_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec)
                return;
            self->held_ = false;
            self->flush();
            self->notify();
        });
    }

    /// Writes `headers` one byte at a time spread over `total` (wall time), then the rest of
    /// the output.
    void trickle(std::string headers, duration total) {
        held_ = true;
        boost::asio::co_spawn(sock_.get_executor(), trickle_bytes(std::move(headers), total),
                              boost::asio::detached);
    }

private:
    boost::asio::awaitable<void> trickle_bytes(std::string headers, duration total) {
        const auto self = shared_from_this();
        const duration gap =
            headers.empty() ? duration{} : total / static_cast<duration::rep>(headers.size());
        for (std::size_t i = 0; i < headers.size() && !dead_; ++i) {
            auto [ec, n] = co_await boost::asio::async_write(
                sock_, boost::asio::buffer(&headers[i], 1),
                boost::asio::as_tuple(boost::asio::use_awaitable));
            (void)n;
            if (ec) {
                kill(false);
                co_return;
            }
            fault_timer_.expires_after(gap);
            auto [tec] =
                co_await fault_timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
            if (tec)
                co_return;
        }
        held_ = false;
        flush();
        notify();
    }

    // While a response is being produced, waits for the client to close or reset the
    // connection (readable with nothing to read, or an error) and then kills the session, so
    // that the server learns of it at once rather than at its next failed write (a request
    // that is not streamed writes nothing until its end). Bytes the client sends meanwhile
    // (a pipelined request) end the watch: the client is still there.
    void watch_disconnect() {
        watching_ = true;
        sock_.async_wait(boost::asio::socket_base::wait_read, [self = shared_from_this()](
                                                                  boost::system::error_code ec) {
            if (ec || self->dead_ || !self->response_open_) {
                self->watching_ = false;
                return;
            }
            char byte = 0;
            boost::system::error_code rec;
            (void)self->sock_.receive(boost::asio::buffer(&byte, 1),
                                      boost::asio::socket_base::message_peek, rec);
            if (rec == boost::asio::error::would_block || rec == boost::asio::error::try_again)
                return self->watch_disconnect();
            self->watching_ = false;
            if (rec) // end of stream or an error: the client is gone
                self->kill(false);
        });
    }

    // When the first unread bytes reached this host: the kernel's receive stamp of the segment
    // that carried them (Linux, read without consuming them), else now. A single-threaded
    // server notices a burst of requests one round of handlers after another; the kernel's
    // stamp does not carry that queueing.
    [[nodiscard]] time_point arrival_time() {
        const time_point now = trace_clock::now();
#if defined(__linux__)
        if (!timestamps_)
            return now;
        char byte = 0;
        ::iovec iov{&byte, 1};
        alignas(::cmsghdr) char control[CMSG_SPACE(sizeof(::timespec))] = {};
        ::msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        if (::recvmsg(sock_.native_handle(), &msg, MSG_PEEK | MSG_DONTWAIT) <= 0)
            return now;
        for (::cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
                continue;
            ::timespec ts{};
            std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
            // The stamp is on the system clock: carry it over by the clocks' offset now.
            const auto stamped =
                std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
            const auto ago = std::chrono::system_clock::now().time_since_epoch() - stamped;
            const auto delay = std::chrono::duration_cast<duration>(ago);
            // Only a plausible stamp (not in the future, not older than a minute) is used.
            if (delay >= duration{} && delay < std::chrono::minutes(1))
                return now - delay;
        }
#endif
        return now;
    }

    // Waits until the response is complete and written (or the connection died).
    boost::asio::awaitable<void> drained() {
        while (!dead_ && (response_open_ || writing_ || held_ || !out_.empty())) {
            signal_.expires_at(time_point::max());
            auto [ec] =
                co_await signal_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
            (void)ec;
        }
    }

    void notify() {
        signal_.cancel();
    }

    boost::asio::ip::tcp::socket sock_;
    boost::asio::steady_timer signal_;
    boost::asio::steady_timer fault_timer_;
    boost::beast::flat_buffer buf_;
    std::string out_;
    std::string in_flight_;
    std::size_t body_limit_;
    time_point request_start_{};
    bool timestamps_ = false;
    bool watching_ = false;
    bool writing_ = false;
    bool held_ = false;
    bool dead_ = false;
    bool response_open_ = false;
    bool close_after_ = false;
};

inline void server_session::respond(int status, std::string_view content_type,
                                    std::string_view body, bool close,
                                    std::string_view extra_headers) {
    out_ += "HTTP/1.1 ";
    append_uint(out_, static_cast<std::uint64_t>(status));
    out_ += ' ';
    out_ += http_reason(status);
    out_ += "\r\nserver: llmcap-emulator\r\ncontent-type: ";
    out_ += content_type;
    out_ += "\r\ncontent-length: ";
    append_uint(out_, body.size());
    out_ += "\r\n";
    out_ += extra_headers;
    if (close || close_after_) {
        close_after_ = true;
        out_ += "connection: close\r\n";
    }
    out_ += "\r\n";
    out_ += body;
    flush();
    end_response();
}

} // namespace llmcap::emulator::detail
