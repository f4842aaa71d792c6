#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/emulator/energy_model.hpp>
#include <llmcap/emulator/engine.hpp>
#include <llmcap/emulator/ground_truth.hpp>
#include <llmcap/emulator/load_shape.hpp>
#include <llmcap/emulator/profile.hpp>

#include <algorithm>  // max, min, sort
#include <chrono>     // hours
#include <cstdint>    // uint32_t, uint64_t
#include <deque>      // deque
#include <functional> // greater
#include <limits>     // numeric_limits
#include <optional>   // optional
#include <queue>      // priority_queue
#include <random>     // mt19937_64, exponential_distribution
#include <stdexcept>  // invalid_argument
#include <string>     // string, to_string
#include <utility>    // move, pair
#include <variant>    // visit, holds_alternative
#include <vector>     // vector

namespace llmcap::emulator {

/// Where virtual time starts: one hour after the clock's epoch, so no simulated time is
/// mistaken for a default-constructed time_point.
[[nodiscard]] constexpr time_point virtual_epoch() noexcept {
    return time_point{} + std::chrono::hours(1);
}

/// The requests of one simulated cell: every request has the same shape.
struct workload {
    /// Prompt tokens per request.
    std::uint32_t prompt_tokens = 1024;
    /// Output tokens per request (all produced, as with `ignore_eos`).
    std::uint32_t output_tokens = 1024;
    /// The first this many output tokens of each request are streamed as reasoning.
    std::uint32_t reasoning_tokens = 0;
};

/// One reported request of a simulation: what a client would have recorded, and the truth.
struct simulated_request {
    /// The trace a streaming client would record against a vLLM-like server.
    request_trace trace;
    /// What happened in the engine.
    request_truth truth;
    /// Modelled GPU energy attributed to the request, joules: each engine step's energy shared
    /// among the requests in it by tokens processed (prefill tokens plus emitted tokens).
    /// Idle power between steps belongs to no request.
    double energy_j = 0.0;
};

/// The outcome of simulate().
struct simulation_result {
    /// The reported (measured) requests, in the order they were started.
    std::vector<simulated_request> requests;
    /// Requests started, warm-up and unreported ones included.
    std::uint64_t requests_started = 0;
    /// Engine steps executed.
    std::uint64_t steps = 0;
    /// Virtual time from the epoch to the end of the last reported request.
    duration elapsed{};

    /// One engine step's power: the modelled GPU drew `power_w` from `start` to `end`.
    struct step_power {
        /// When the step started.
        time_point start{};
        /// When it ended.
        time_point end{};
        /// Power during the step, watts (power_model::step_power_w).
        double power_w = 0.0;
    };
    /// Every engine step's power, in time order, warm-up included. Between steps the GPU draws
    /// `idle_power_w`.
    std::vector<step_power> step_powers;
    /// Power with no step running, watts (power_model::idle_w).
    double idle_power_w = 0.0;

    /**
     * Modelled GPU energy from `from` to `to` (virtual time), joules: idle power over the whole
     * span plus, for each step, the part above idle over its overlap with the span. 0 when
     * `to` is not after `from`.
     */
    [[nodiscard]] double energy_j(time_point from, time_point to) const noexcept {
        if (!(to > from))
            return 0.0;
        double j = idle_power_w * to_seconds(to - from);
        for (const step_power& s : step_powers) {
            const time_point a = std::max(s.start, from);
            const time_point b = std::min(s.end, to);
            if (b > a)
                j += (s.power_w - idle_power_w) * to_seconds(b - a);
        }
        return j;
    }

    /// Highest power drawn between `from` and `to`, watts: the largest power of a step that
    /// overlaps the span, or idle power when none does.
    [[nodiscard]] double peak_power_w(time_point from, time_point to) const noexcept {
        double peak = idle_power_w;
        for (const step_power& s : step_powers)
            if (s.end > from && s.start < to)
                peak = std::max(peak, s.power_w);
        return peak;
    }

    /// The traces alone, in order (copies).
    [[nodiscard]] std::vector<request_trace> traces() const {
        std::vector<request_trace> out;
        out.reserve(requests.size());
        for (const simulated_request& r : requests)
            out.push_back(r.trace);
        return out;
    }
};

/**
 * Builds the trace a streaming client records for a request that a vLLM-like server answered
 * with one token per event and a final usage chunk: the role chunk, one content (or reasoning)
 * event per token, the finish chunk and the usage chunk, then `[DONE]`. The client has no lag:
 * its stamps are the engine's emission times. `send` is when the request was sent; the truth
 * gives the rest. Queue wait and prefill time go in `timings` as vLLM's per-request metrics.
 */
[[nodiscard]] inline request_trace make_trace(const profile& p, const workload& w,
                                              const request_truth& t, std::uint64_t index,
                                              time_point intended_start, time_point send) {
    request_trace r;
    r.index = index;
    r.prompt_tokens_target = t.prompt_tokens;
    r.max_tokens = t.output_tokens;
    r.fixed_output = true;
    r.intended_start = intended_start;
    r.send = send;
    r.headers = t.arrival + from_seconds(p.frontend.header_delay_s);
    r.events.reserve(t.tokens.size());
    for (std::size_t i = 0; i < t.tokens.size(); ++i)
        r.events.push_back(
            {t.tokens[i], 1, i < w.reasoning_tokens ? token_kind::reasoning : token_kind::content});
    r.exact_event_tokens = true;
    r.sse_events = t.tokens.size() + 3;
    r.http_status = 200;
    r.response_id = "chatcmpl-emulator-" + std::to_string(index);
    r.server_model = p.model.name;
    r.finish_reason = "length";
    r.done_marker = true;
    usage_info u;
    u.prompt_tokens = t.prompt_tokens;
    u.completion_tokens = t.tokens.size();
    u.total_tokens = u.prompt_tokens + u.completion_tokens;
    if (w.reasoning_tokens > 0)
        u.reasoning_tokens = std::min<std::uint64_t>(w.reasoning_tokens, t.tokens.size());
    r.usage = u;
    server_timings st;
    if (auto q = t.queue_wait())
        st.queue_s = to_seconds(*q);
    if (auto pf = t.prefill_time())
        st.prefill_s = to_seconds(*pf);
    if (!t.tokens.empty())
        st.decode_s = to_seconds(t.tokens.back() - t.tokens.front());
    r.timings = st;
    r.end = t.finish.value_or(t.tokens.empty() ? send : t.tokens.back());
    return r;
}

namespace detail {

class simulation {
public:
    simulation(const profile& p, const workload& w, const power_model& power)
        : profile_(p), workload_(w), power_(power), engine_(p) {
        if (w.output_tokens == 0)
            throw std::invalid_argument("emulator::simulate: output_tokens must be positive");
        if (!engine_.fits({w.prompt_tokens, w.output_tokens}))
            throw std::invalid_argument("emulator::simulate: " + std::to_string(w.prompt_tokens) +
                                        " + " + std::to_string(w.output_tokens) +
                                        " tokens do not fit profile " + p.name);
        frontend_delay_ = from_seconds(p.frontend.request_overhead_s +
                                       p.frontend.tokenize_s_per_token * w.prompt_tokens);
    }

    simulation_result run(const closed_loop& shape) {
        if (shape.concurrency == 0)
            throw std::invalid_argument("emulator::simulate: concurrency must be positive");
        first_measured_ = shape.warmup_requests;
        end_measured_ = std::uint64_t{shape.warmup_requests} + shape.measured_requests;
        const auto start_next = [&](time_point at) {
            const bool in_window =
                !shape.start_window || at - virtual_epoch() <= *shape.start_window;
            if (clients_.size() < end_measured_ && in_window) {
                send(at, at);
                return;
            }
            // The window closed: the requests started so far are all there will be.
            end_measured_ =
                std::max(first_measured_, std::min<std::uint64_t>(end_measured_, clients_.size()));
            if (shape.hold_concurrency && measured_left() > 0)
                send(at, at);
        };
        for (std::uint32_t i = 0; i < shape.concurrency; ++i)
            start_next(now_);
        loop([&](time_point at) { start_next(at); }, [](time_point) {});
        return finish();
    }

    simulation_result run(const poisson_arrivals& shape, std::mt19937_64& rng) {
        if (!(shape.rate_per_s > 0.0))
            throw std::invalid_argument("emulator::simulate: rate_per_s must be positive");
        first_measured_ = shape.warmup_requests;
        end_measured_ = std::uint64_t{shape.warmup_requests} + shape.measured_requests;
        std::exponential_distribution<double> gap(shape.rate_per_s);
        std::uint64_t arrived = 0;
        time_point next_arrival = now_ + from_seconds(gap(rng));
        std::deque<time_point> backlog; // intended starts waiting for a free slot
        const auto capped = [&] {
            return shape.max_concurrency > 0 && in_flight_ >= shape.max_concurrency;
        };
        // Arrivals strictly before `until`, in order, each sent or queued client-side.
        const auto arrivals_before = [&](time_point until) {
            while (arrived < end_measured_ && next_arrival < until) {
                if (capped())
                    backlog.push_back(next_arrival);
                else
                    send(next_arrival, next_arrival);
                ++arrived;
                next_arrival += from_seconds(gap(rng));
            }
        };
        const auto on_end = [&](time_point at) {
            if (!backlog.empty()) {
                send(backlog.front(), at);
                backlog.pop_front();
            }
        };
        const auto next_external = [&]() -> std::optional<time_point> {
            if (arrived < end_measured_)
                return next_arrival;
            return std::nullopt;
        };
        loop(on_end, arrivals_before, next_external);
        return finish();
    }

private:
    struct client {
        time_point intended{};
        time_point send{};
        time_point arrival{};
        std::optional<request_id> id;
    };
    struct arrival_event {
        time_point at;
        std::uint64_t client;
        bool operator>(const arrival_event& o) const noexcept {
            return at != o.at ? at > o.at : client > o.client;
        }
    };

    [[nodiscard]] std::uint64_t measured_left() const noexcept {
        return end_measured_ - first_measured_ - measured_done_;
    }

    /// Shares a step's energy among its requests by tokens processed.
    void attribute_energy(const step_result& r, const simulation_result::step_power& p) {
        std::uint64_t tokens = r.tokens.size();
        for (const chunk_record& c : r.prefill_chunks)
            tokens += c.tokens;
        if (tokens == 0)
            return;
        const double per_token_j =
            p.power_w * to_seconds(p.end - p.start) / static_cast<double>(tokens);
        for (const chunk_record& c : r.prefill_chunks)
            energy_[by_engine_id_[c.id]] += per_token_j * static_cast<double>(c.tokens);
        for (const token_emission& e : r.tokens)
            energy_[by_engine_id_[e.id]] += per_token_j;
    }

    void send(time_point intended, time_point at) {
        const std::uint64_t index = clients_.size();
        clients_.push_back({intended, at, at + frontend_delay_, std::nullopt});
        energy_.push_back(0.0);
        arrivals_.push({at + frontend_delay_, index});
        ++in_flight_;
    }

    void admit_until(time_point now) {
        while (!arrivals_.empty() && arrivals_.top().at <= now) {
            const arrival_event a = arrivals_.top();
            arrivals_.pop();
            const request_id id =
                engine_.add_request({workload_.prompt_tokens, workload_.output_tokens}, a.at);
            clients_[a.client].id = id;
            if (id >= by_engine_id_.size())
                by_engine_id_.resize(id + 1);
            by_engine_id_[id] = a.client;
        }
    }

    template <class OnEnd, class Before>
    void loop(OnEnd on_end, Before before) {
        loop(on_end, before, []() -> std::optional<time_point> { return std::nullopt; });
    }

    template <class OnEnd, class Before, class NextExternal>
    void loop(OnEnd on_end, Before before, NextExternal next_external) {
        while (measured_left() > 0) {
            admit_until(now_);
            if (!engine_.has_work()) {
                std::optional<time_point> next = next_external();
                if (!arrivals_.empty() && (!next || arrivals_.top().at < *next))
                    next = arrivals_.top().at;
                if (!next)
                    break; // nothing left that could run
                before(*next + duration(1));
                now_ = *next;
                continue;
            }
            (void)engine_.next_step_duration();
            const step_result& r = engine_.step(now_);
            ++steps_;
            step_powers_.push_back({r.start, r.end, power_.step_power_w(r.cost, profile_.gpu)});
            attribute_energy(r, step_powers_.back());
            now_ = r.end;
            before(now_);
            for (request_id id : r.finished) {
                const std::uint64_t c = by_engine_id_[id];
                --in_flight_;
                request_truth t = engine_.take_truth(id);
                if (c >= first_measured_ && c < end_measured_) {
                    const client& cl = clients_[c];
                    done_.push_back({make_trace(profile_, workload_, t, c, cl.intended, cl.send),
                                     std::move(t), energy_[c]});
                    ++measured_done_;
                    last_end_ = now_;
                }
                on_end(now_);
            }
        }
    }

    simulation_result finish() {
        simulation_result out;
        std::sort(done_.begin(), done_.end(),
                  [](const simulated_request& a, const simulated_request& b) {
                      return a.trace.index < b.trace.index;
                  });
        out.requests = std::move(done_);
        out.requests_started = clients_.size();
        out.steps = steps_;
        out.elapsed = last_end_ - virtual_epoch();
        out.step_powers = std::move(step_powers_);
        out.idle_power_w = power_.idle_w;
        return out;
    }

    const profile& profile_;
    workload workload_;
    power_model power_;
    engine engine_;
    duration frontend_delay_{};
    time_point now_ = virtual_epoch();
    time_point last_end_ = virtual_epoch();
    std::vector<client> clients_;
    std::vector<std::uint64_t> by_engine_id_;
    std::priority_queue<arrival_event, std::vector<arrival_event>, std::greater<>> arrivals_;
    std::vector<simulated_request> done_;
    std::vector<simulation_result::step_power> step_powers_;
    std::vector<double> energy_; // attributed joules, by client
    std::uint64_t first_measured_ = 0;
    std::uint64_t end_measured_ = 0;
    std::uint64_t measured_done_ = 0;
    std::uint64_t in_flight_ = 0;
    std::uint64_t steps_ = 0;
};

} // namespace detail

/**
 * Runs one cell in virtual time: requests shaped by `w` under load shape `shape`, served by an
 * engine modelled on profile `p`, from virtual_epoch() until the last reported request ends.
 * Returns the reported requests' traces, as a streaming client would record them, with their
 * ground truth, and every step's power under `power` (so simulation_result::energy_j gives
 * the modelled GPU energy over any span, as the real-time server's energy counter does).
 * Deterministic: the same inputs and the same `rng` state give identical results (only
 * Poisson arrivals draw from `rng`). Throws std::invalid_argument for a concurrency or rate
 * of 0 and for requests that cannot fit the profile.
 */
[[nodiscard]] inline simulation_result simulate(const profile& p, const workload& w,
                                                const load_shape& shape, std::mt19937_64& rng,
                                                const power_model& power = {}) {
    detail::simulation sim(p, w, power);
    if (const auto* closed = std::get_if<closed_loop>(&shape))
        return sim.run(*closed);
    return sim.run(std::get<poisson_arrivals>(shape), rng);
}

} // namespace llmcap::emulator
