#pragma once

#include <llmcap/client/timeline.hpp>
#include <llmcap/core/clock.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>       // uint64_t
#include <functional>    // greater
#include <queue>         // priority_queue
#include <unordered_map> // unordered_map
#include <utility>       // forward
#include <vector>        // vector

namespace llmcap::client {

/**
 * A virtual clock for discrete-event simulation on an Asio io_context (a model of timeline).
 *
 * Time stands still while handlers are ready to run; when none is, run() moves the clock to the
 * earliest timer expiry and fires that timer. Code written for the wall clock (a load driver,
 * an endpoint's coroutines) thus runs unchanged in virtual time, as fast as the CPU allows, and
 * deterministically: timers due at the same time fire one at a time, in the order their expiry
 * was set, each after everything their predecessor made ready.
 *
 * Not thread-safe: one thread runs the io_context and owns the timeline. Timers must not
 * outlive it.
 */
class virtual_timeline {
public:
    /// A steady_timer-like timer on virtual time. Waits end with operation_aborted both when
    /// the expiry comes and on cancel() (callers decide from their own state, as a load driver
    /// does); a wait must be preceded by expires_at().
    class timer {
    public:
        /// A timer on `ex`, expiring never until set.
        timer(const boost::asio::any_io_executor& ex, virtual_timeline& t)
            : inner_(ex, time_point::max()), timeline_(&t) {}
        timer(const timer&) = delete;
        timer& operator=(const timer&) = delete;
        ~timer() {
            timeline_->forget(*this);
        }

        /// Sets the expiry (a time not after now() fires once nothing else is ready;
        /// time_point::max() never fires: the wait lasts until cancel()) and cancels a pending
        /// wait.
        void expires_at(time_point at) {
            inner_.cancel();
            timeline_->schedule(*this, at);
        }

        /// Waits for the expiry or cancel(); `token` as for steady_timer::async_wait.
        template <class Token>
        auto async_wait(Token&& token) {
            return inner_.async_wait(std::forward<Token>(token));
        }

        /// Ends a pending wait and forgets the expiry. Returns the waits ended (0 or 1).
        std::size_t cancel() {
            timeline_->forget(*this);
            return inner_.cancel();
        }

    private:
        friend class virtual_timeline;
        boost::asio::steady_timer inner_; // never expires by itself: cancel() ends its wait
        virtual_timeline* timeline_;
        std::uint64_t ticket_ = 0; // the pending expiry's ticket; 0: none
    };

    /// A timeline whose clock reads `start`.
    explicit virtual_timeline(time_point start = virtual_epoch()) noexcept : now_(start) {}
    virtual_timeline(const virtual_timeline&) = delete;
    virtual_timeline& operator=(const virtual_timeline&) = delete;

    /// The virtual time.
    [[nodiscard]] time_point now() const noexcept {
        return now_;
    }

    /// A timer on `ex` driven by this timeline.
    [[nodiscard]] timer make_timer(const boost::asio::any_io_executor& ex) {
        return timer(ex, *this);
    }

    /// Timer expiries pending.
    [[nodiscard]] std::size_t pending() const noexcept {
        return live_.size();
    }

    /**
     * Runs `io`'s handlers, moving virtual time forward whenever none is ready, until `done()`
     * is true (checked whenever no handler is ready) or no timer is left to fire. Returns
     * `done()`: false means the work on `io` waits for something virtual time cannot bring.
     */
    template <class Done>
    bool run(boost::asio::io_context& io, Done done) {
        for (;;) {
            if (io.stopped())
                io.restart();
            io.poll();
            if (done())
                return true;
            if (!fire_next())
                return done();
        }
    }

private:
    struct entry {
        time_point at;
        std::uint64_t ticket;
        bool operator>(const entry& o) const noexcept {
            return at != o.at ? at > o.at : ticket > o.ticket;
        }
    };

    void schedule(timer& t, time_point at) {
        forget(t);
        t.ticket_ = next_ticket_++;
        queue_.push({at < now_ ? now_ : at, t.ticket_});
        live_.emplace(t.ticket_, &t);
    }

    void forget(timer& t) noexcept {
        if (t.ticket_ != 0) {
            live_.erase(t.ticket_);
            t.ticket_ = 0;
        }
    }

    // Moves the clock to the earliest live expiry and fires it; false when none is left.
    bool fire_next() {
        while (!queue_.empty()) {
            const entry e = queue_.top();
            queue_.pop();
            const auto it = live_.find(e.ticket);
            if (it == live_.end())
                continue; // cancelled or reset
            if (e.at == time_point::max()) {
                queue_.push(e); // "until cancelled": never reached by moving the clock
                return false;
            }
            timer& t = *it->second;
            live_.erase(it);
            t.ticket_ = 0;
            if (e.at > now_)
                now_ = e.at;
            t.inner_.cancel();
            return true;
        }
        return false;
    }

    time_point now_;
    std::uint64_t next_ticket_ = 1;
    std::priority_queue<entry, std::vector<entry>, std::greater<>> queue_;
    std::unordered_map<std::uint64_t, timer*> live_;
};

static_assert(timeline<virtual_timeline>);

} // namespace llmcap::client
