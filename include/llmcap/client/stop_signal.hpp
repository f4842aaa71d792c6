#pragma once

#include <llmcap/core/error.hpp>

#include <cstddef> // size_t

namespace llmcap::client {

class stop_signal;

namespace detail {

/// A request in flight that a stop_signal can abort (an intrusive list node).
class abortable {
public:
    abortable() = default;
    abortable(const abortable&) = delete;
    abortable& operator=(const abortable&) = delete;

    /// Ends whatever the request is waiting for; the request then ends with `why`.
    virtual void abort(error why) noexcept = 0;

protected:
    virtual ~abortable() = default;

private:
    friend class client::stop_signal;
    abortable* prev_ = nullptr;
    abortable* next_ = nullptr;
};

} // namespace detail

/**
 * Stops a whole run: every request in flight that was given this signal ends at once with
 * error::cancelled, and requests started after request_stop() end with it before sending.
 *
 * Not thread-safe: use it from the thread running the requests (for Ctrl-C, an
 * `asio::signal_set` on the same `io_context` calls request_stop()). Must outlive the requests
 * that were given it.
 */
class stop_signal {
public:
    stop_signal() = default;
    stop_signal(const stop_signal&) = delete;
    stop_signal& operator=(const stop_signal&) = delete;
    ~stop_signal() {
        while (head_ != nullptr)
            remove(*head_);
    }

    /// Cancels every registered request; later requests are cancelled before they start.
    void request_stop() noexcept {
        stopped_ = true;
        // abort() unlinks nothing itself; walk a snapshot of the links.
        for (detail::abortable* a = head_; a != nullptr;) {
            detail::abortable* next = a->next_;
            a->abort(error::cancelled);
            a = next;
        }
    }

    /// True once request_stop() was called.
    [[nodiscard]] bool stop_requested() const noexcept {
        return stopped_;
    }

    /// Requests currently registered (in flight).
    [[nodiscard]] std::size_t in_flight() const noexcept {
        return count_;
    }

    /// Registers a request in flight (done by the client).
    void add(detail::abortable& a) noexcept {
        a.prev_ = nullptr;
        a.next_ = head_;
        if (head_ != nullptr)
            head_->prev_ = &a;
        head_ = &a;
        ++count_;
    }

    /// Unregisters a request (done by the client when it ends).
    void remove(detail::abortable& a) noexcept {
        if (a.prev_ != nullptr)
            a.prev_->next_ = a.next_;
        else if (head_ == &a)
            head_ = a.next_;
        else
            return; // not registered
        if (a.next_ != nullptr)
            a.next_->prev_ = a.prev_;
        a.prev_ = a.next_ = nullptr;
        --count_;
    }

private:
    detail::abortable* head_ = nullptr;
    std::size_t count_ = 0;
    bool stopped_ = false;
};

} // namespace llmcap::client
