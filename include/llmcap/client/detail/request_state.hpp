#pragma once

#include <llmcap/client/options.hpp>
#include <llmcap/client/stop_signal.hpp>
#include <llmcap/core/clock.hpp>
#include <llmcap/core/error.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>      // duration_cast, milliseconds
#include <memory>      // enable_shared_from_this
#include <optional>    // optional
#include <string>      // string, to_string
#include <string_view> // string_view

namespace llmcap::client::detail {

/// `t + d`, saturating at time_point::max() (the limits may be "forever").
[[nodiscard]] inline time_point after(time_point t, duration d) noexcept {
    return d >= time_point::max() - t ? time_point::max() : t + d;
}

/// Why a request was aborted, in words: the limit of `to` that passed (for a connection to
/// `where`, the server's host and port) or the cancellation.
[[nodiscard]] inline std::string abort_message(error kind, const timeouts& to,
                                               std::string_view where) {
    const auto ms = [](duration d) {
        return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) +
               " ms";
    };
    switch (kind) {
    case error::connect_timeout:
        return "no connection to " + std::string(where) + " within " + ms(to.connect);
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

/**
 * The watchdog and abort point of one request in flight.
 *
 * Deadlines are lazy: set_deadline() only stores the new deadline when it is later than the
 * one the timer waits for (the common case, once per read), so a stream costs no timer
 * operation per read; the timer re-arms itself when it wakes early. An earlier deadline
 * re-arms at once. When a deadline passes, or the run is stopped, abort() cancels whatever
 * the request waits on (socket, resolver, pool wait), and the request ends with the recorded
 * reason.
 *
 * Held by shared_ptr so that a timer handler still queued after the request ended finds it
 * alive; the request clears every pointer before it ends.
 */
class request_state final : public abortable, public std::enable_shared_from_this<request_state> {
public:
    explicit request_state(const boost::asio::any_io_executor& ex) : timer_(ex) {}

    /// The request's overall limit (error::total_timeout).
    void set_total(time_point at) noexcept {
        total_ = at;
    }
    /// Sets the deadline of the current stage, capped by the total limit.
    void set_deadline(time_point at, error kind) {
        if (at >= total_) {
            at = total_;
            kind = error::total_timeout;
        }
        deadline_ = at;
        kind_ = kind;
        if (!waiting_ || at < armed_for_)
            arm();
    }
    /// Moves the current stage's deadline later (one store, no timer operation).
    void extend(time_point at) noexcept {
        deadline_ = at < total_ ? at : total_;
        if (at >= total_)
            kind_ = error::total_timeout;
    }
    /// True once a deadline passed or the request was stopped.
    [[nodiscard]] const std::optional<error>& aborted() const noexcept {
        return aborted_;
    }
    /// Ends the request's current wait; it ends with `why`.
    void abort(error why) noexcept override {
        if (aborted_ || finished_)
            return;
        aborted_ = why;
        boost::system::error_code ec;
        if (socket != nullptr)
            socket->cancel(ec);
        if (resolver != nullptr)
            resolver->cancel();
        if (wait_timer != nullptr)
            wait_timer->cancel();
    }
    /// Clears an abort caused by the drain deadline (the request itself already ended).
    void clear_abort() noexcept {
        aborted_.reset();
    }
    /// The request ended: no more aborts, and the timer is released.
    void finish() noexcept {
        finished_ = true;
        socket = nullptr;
        resolver = nullptr;
        wait_timer = nullptr;
        timer_.cancel();
        waiting_ = false;
    }

    /// What an abort must cancel now (each null when not in use).
    boost::asio::ip::tcp::socket* socket = nullptr;
    boost::asio::ip::tcp::resolver* resolver = nullptr;
    boost::asio::steady_timer* wait_timer = nullptr;

private:
    void arm() {
        armed_for_ = deadline_;
        waiting_ = true;
        timer_.expires_at(deadline_);
        timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            if (!ec)
                self->on_timer();
        });
    }
    void on_timer() {
        waiting_ = false;
        if (finished_ || aborted_)
            return;
        if (trace_clock::now() >= deadline_)
            abort(kind_);
        else
            arm();
    }

    boost::asio::steady_timer timer_;
    time_point total_ = time_point::max();
    time_point deadline_ = time_point::max();
    time_point armed_for_ = time_point::max();
    error kind_ = error::total_timeout;
    std::optional<error> aborted_;
    bool waiting_ = false;
    bool finished_ = false;
};

} // namespace llmcap::client::detail
