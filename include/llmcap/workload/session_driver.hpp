#pragma once

#include <llmcap/client/request_context.hpp>
#include <llmcap/client/stop_signal.hpp>
#include <llmcap/client/streaming_endpoint.hpp>
#include <llmcap/client/timeline.hpp>
#include <llmcap/core/clock.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/workload/load_driver.hpp>
#include <llmcap/workload/session.hpp>
#include <llmcap/workload/stop_reason.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>   // max, min
#include <cstddef>     // size_t
#include <cstdint>     // uint32_t, uint64_t
#include <exception>   // exception_ptr, rethrow_exception
#include <list>        // list
#include <optional>    // optional
#include <string>      // string
#include <type_traits> // remove_cvref_t
#include <utility>     // move

namespace llmcap::workload {

/// What drive_sessions() did: the requests (as drive() counts them) and the conversations.
struct session_result {
    /// The requests: warm-up and measured turns started, measured successes, why the cell
    /// stopped, the next request index.
    driver_result requests;
    /// Conversations started.
    std::uint64_t conversations_started = 0;
    /// Conversations that reached their last turn with every turn answered.
    std::uint64_t conversations_completed = 0;
    /// Conversations ended early because their next turn would not fit the model's context
    /// (never truncated: a new user took the slot).
    std::uint64_t ended_by_context = 0;
    /// Conversations ended early by a failed turn (a chat client cannot go on without the
    /// answer).
    std::uint64_t ended_by_failure = 0;
    /// Conversations still going when the cell stopped.
    std::uint64_t in_progress_at_stop = 0;
    /// The id the next conversation of the run should take.
    std::uint64_t next_conversation = 1;
};

namespace detail {

/// A timer built in place from a maker's result (a virtual timer does not move).
template <class Timer>
struct in_place_timer {
    template <class Make>
    explicit in_place_timer(Make make) : timer(make()) {}
    Timer timer;
};

/// Registered with the run's stop signal while a session cell runs: Ctrl-C wakes the users in
/// a pause at once (the requests in flight are cancelled by the client itself).
template <class Wake>
class pause_breaker final : public client::detail::abortable {
public:
    pause_breaker(client::stop_signal* signal, Wake wake)
        : signal_(signal), wake_(std::move(wake)) {
        if (signal_ != nullptr)
            signal_->add(*this);
    }
    pause_breaker(const pause_breaker&) = delete;
    pause_breaker& operator=(const pause_breaker&) = delete;
    ~pause_breaker() override {
        if (signal_ != nullptr)
            signal_->remove(*this);
    }
    void abort(error) noexcept override {
        wake_();
    }

private:
    client::stop_signal* signal_;
    Wake wake_;
};

} // namespace detail

/// Options of drive_sessions() besides the driver's.
struct session_driver_options {
    /// Warm-up, stop rule, first index, stop signal: as for drive(). Warm-up counts turns.
    driver_options driver;
    /// Id of the run's first conversation of this cell (request_trace::conversation).
    std::uint64_t first_conversation = 1;
};

/**
 * Runs a session workload (DESIGN.md §9) on `endpoint`: `source.spec().users` users, each in
 * its own coroutine on the calling coroutine's executor, holding conversations turn after turn.
 * A turn is sent when its user means to send it — the previous answer's end plus a think time,
 * or, for a user's first turn, the cell's start plus a stagger — and its latencies count from
 * that moment (no coordinated omission). The answer's text (client::request_context::
 * answer_text) goes back into the history: the one feedback edge from trace to workload.
 *
 * Every finished turn reaches `on_trace(t, warmup)` with t.conversation and t.turn set. A user
 * whose conversation ends (all turns done, a failed turn, or a next turn that would not fit the
 * context) is replaced by a new user after a think time. The stop rule is drive()'s, counting
 * turns; once it holds no turn starts, users in a pause leave at once, and turns in flight are
 * drained. Time is read and waited for on the endpoint's timeline (client::timeline_of).
 */
template <client::streaming_endpoint Endpoint, trace_observer OnTrace>
boost::asio::awaitable<session_result> drive_sessions(Endpoint& endpoint, session_source& source,
                                                      OnTrace on_trace,
                                                      session_driver_options options) {
    namespace asio = boost::asio;
    const auto ex = co_await asio::this_coro::executor;
    auto&& clock = client::timeline_of(endpoint);
    using timer_type = std::remove_cvref_t<decltype(clock.make_timer(ex))>;
    const driver_options& dopt = options.driver;
    const stop_rule& rule = dopt.stop;
    session_result result;
    result.next_conversation = options.first_conversation;
    driver_result& req = result.requests;
    std::uint64_t started = 0;
    std::optional<time_point> first_measured;
    detail::confidence_tracker measured;
    std::exception_ptr failure;
    bool ci_met = false;
    bool stopping = false;
    std::size_t users_live = 0;
    using user_timer = detail::in_place_timer<timer_type>;
    std::list<user_timer> timers; // one per user: stable addresses
    auto done = clock.make_timer(ex);
    const time_point cell_start = clock.now();

    // Decides whether a new turn may start now; sets the stop reason once it may not.
    const auto may_start = [&](time_point now) {
        if (stopping)
            return false;
        if (failure) {
            stopping = true;
        } else if (const std::optional<stop_reason> why = detail::stop_due(
                       rule, dopt.stop_signal, req.measured_started, ci_met, first_measured, now)) {
            req.stop_reason = *why;
            stopping = true;
        }
        if (stopping)
            for (user_timer& u : timers)
                u.timer.cancel(); // users in a pause leave now
        return !stopping;
    };

    // Waits until `at` (or the stop); false when the cell stopped meanwhile.
    const auto pause_until = [&](timer_type& t, time_point at) -> asio::awaitable<bool> {
        while (!stopping && clock.now() < at) {
            std::optional<time_point> until = at;
            if (rule.max_duration && first_measured)
                until = std::min(at, *first_measured + *rule.max_duration);
            t.expires_at(*until);
            co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
            if (!may_start(clock.now()))
                co_return false;
        }
        co_return may_start(clock.now());
    };

    const auto user = [&](timer_type& t, duration first_delay) -> asio::awaitable<void> {
        time_point next = cell_start + first_delay;
        std::optional<conversation> c; // empty between one user's leaving and the next's turn
        std::string answer;
        for (;;) {
            if (!co_await pause_until(t, next)) {
                if (c)
                    ++result.in_progress_at_stop;
                co_return;
            }
            if (!c) {
                c = source.start(result.next_conversation++);
                ++result.conversations_started;
            }
            if (!source.next_turn_fits(*c)) {
                ++result.ended_by_context;
                c.reset(); // the next user sends at once, at the moment this one would have
                continue;
            }
            const bool warmup = started < dopt.warmup_requests;
            const std::uint64_t index = dopt.first_index + started;
            ++started;
            if (warmup) {
                ++req.warmup_started;
            } else {
                ++req.measured_started;
                if (!first_measured)
                    first_measured = next;
            }
            (void)may_start(next); // the count reached now: users in a pause leave at once
            prepared_request p = source.next_turn(*c, index);
            answer.clear();
            client::request_context ctx;
            ctx.intended_start = next;
            ctx.index = index;
            ctx.stop = dopt.stop_signal;
            ctx.prompt_tokens_target = p.prompt_tokens_target;
            ctx.answer_text = &answer;
            request_trace tr = co_await endpoint.stream(p.request, ctx);
            tr.conversation = c->id;
            tr.turn = c->turns_sent;
            if (!warmup) {
                ci_met = measured.record(tr, rule) || ci_met;
                req.measured_succeeded = measured.succeeded;
            }
            on_trace(tr, warmup);
            (void)may_start(clock.now()); // the confidence rule may hold now
            next = std::max(tr.end, next) + source.think();
            if (!tr.ok()) {
                ++result.ended_by_failure; // a new user takes the slot after the pause
                c.reset();
                continue;
            }
            source.answered(*c, std::move(answer), tr);
            answer = std::string();
            if (c->turns_sent == source.spec().turns) {
                ++result.conversations_completed;
                c.reset();
            }
        }
    };

    const detail::pause_breaker breaker(dopt.stop_signal, [&timers]() noexcept {
        for (user_timer& u : timers)
            u.timer.cancel();
    });
    const std::uint32_t users = source.spec().users;
    for (std::uint32_t u = 0; u < users; ++u) {
        timer_type& t = timers.emplace_back([&] { return clock.make_timer(ex); }).timer;
        const duration delay = source.stagger();
        ++users_live;
        asio::co_spawn(ex, user(t, delay), [&](std::exception_ptr e) {
            if (e && !failure) {
                failure = e;
                stopping = true;
                for (user_timer& other : timers)
                    other.timer.cancel();
            }
            --users_live;
            done.cancel();
        });
    }
    while (users_live > 0) {
        done.expires_at(time_point::max());
        co_await done.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (failure)
        std::rethrow_exception(failure);
    req.next_index = dopt.first_index + started;
    co_return result;
}

} // namespace llmcap::workload
