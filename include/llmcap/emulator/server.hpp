#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/emulator/detail/server_completion.hpp>
#include <llmcap/emulator/detail/server_lag.hpp>
#include <llmcap/emulator/detail/server_routes.hpp>
#include <llmcap/emulator/detail/server_session.hpp>
#include <llmcap/emulator/detail/server_stream.hpp>
#include <llmcap/emulator/energy_model.hpp>
#include <llmcap/emulator/engine.hpp>
#include <llmcap/emulator/fault.hpp>
#include <llmcap/emulator/ground_truth.hpp>
#include <llmcap/emulator/metrics_exporter.hpp>
#include <llmcap/emulator/profile.hpp>
#include <llmcap/emulator/server_options.hpp>
#include <llmcap/emulator/server_records.hpp>
#include <llmcap/emulator/tokenizer.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>   // error_code
#include <boost/system/system_error.hpp> // system_error

#include <algorithm>     // max, min, push_heap, pop_heap
#include <chrono>        // microseconds, milliseconds
#include <cmath>         // llround
#include <cstdint>       // uint16_t, uint32_t, uint64_t
#include <functional>    // function
#include <memory>        // make_shared, shared_ptr, unique_ptr, weak_ptr
#include <optional>      // optional
#include <random>        // mt19937_64, uniform_real_distribution
#include <stdexcept>     // invalid_argument, runtime_error
#include <string>        // string, to_string
#include <string_view>   // string_view
#include <unordered_map> // unordered_map
#include <utility>       // move
#include <vector>        // vector

namespace llmcap::emulator {

/**
 * Thrown by server's constructor when it cannot listen on the address it was given. what()
 * names the address and the reason, without Boost's source locations:
 * `cannot listen on 127.0.0.1:8000: Address already in use`,
 * `cannot listen on [::1]:80: Permission denied`,
 * `cannot listen on foo:8000: "foo" is not an IP address`.
 * code() is the system's error (`errc::address_in_use`, `errc::permission_denied`,
 * `errc::address_not_available`, `errc::invalid_argument` for text that is not an address).
 */
class listen_error : public boost::system::system_error {
public:
    /// The error `ec` listening on `address`:`port`, with `reason` in words.
    listen_error(const boost::system::error_code& ec, std::string_view address, std::uint16_t port,
                 std::string_view reason)
        : boost::system::system_error(ec), message_(compose(address, port, reason)) {}

    /// "cannot listen on ADDRESS:PORT: REASON" (an IPv6 address in brackets).
    [[nodiscard]] const char* what() const noexcept override {
        return message_.what();
    }

private:
    static std::string compose(std::string_view address, std::uint16_t port,
                               std::string_view reason) {
        std::string m = "cannot listen on ";
        const bool ipv6 = address.find(':') != std::string_view::npos;
        if (ipv6)
            m += '[';
        m.append(address);
        if (ipv6)
            m += ']';
        m += ':';
        m += std::to_string(port);
        m += ": ";
        m.append(reason);
        return m;
    }

    // A std::runtime_error holds the text: copying it cannot throw.
    std::runtime_error message_;
};

/**
 * A real-time OpenAI-compatible server in front of the emulated engine: what a benchmark,
 * a dashboard or a reliability test talks to when no GPU is at hand (DESIGN.md §6).
 *
 * One engine, advanced by one steady_timer on the given io_context: each step is planned
 * (engine::next_step_duration()), the timer waits until the step's end on the emulated
 * schedule, then the step's tokens are written to their streams as vLLM would send them.
 * Steps run back to back on the emulated clock, so a late timer does not shift the schedule;
 * how late each timer fired is the schedule lag (`llmcap_emulator_schedule_lag_seconds`).
 *
 * Endpoints: `POST /v1/chat/completions`, `POST /v1/completions` (streaming and not),
 * `GET /v1/models`, `POST /tokenize`, `GET /health`, `GET /metrics`; see
 * docs/emulator-server.md. Faults per request come from the `x-llmcap-fault` header and from
 * server_options::faults (see fault).
 *
 * Time: emulated time runs `time_scale` times faster than the wall clock and equals it at the
 * server's construction (epoch()); to_wall() and to_emulated() convert. At time scale 1 the
 * ground truth is directly comparable with a client's trace_clock stamps.
 *
 * Threads: none. Everything runs on the io_context's thread(s); run it from one thread. The
 * server must outlive the io_context's run(): call stop(), let run() return, then destroy it.
 */
class server {
public:
    /// A server for profile `p`, bound to options.address:options.port (listening, not yet
    /// accepting). Throws listen_error (a boost::system::system_error) naming the address when
    /// it cannot listen there, and std::invalid_argument for a time scale that is not positive.
    server(boost::asio::io_context& ioc, const profile& p, server_options options = {})
        : ioc_(ioc), profile_(p), options_(std::move(options)), engine_(profile_),
          metrics_(options_.served_model_name.empty() ? profile_.model.name
                                                      : options_.served_model_name),
          acceptor_(ioc), timer_(ioc), rng_(options_.seed) {
        if (!(options_.time_scale > 0.0))
            throw std::invalid_argument("emulator::server: time_scale must be positive");
        if (options_.served_model_name.empty())
            options_.served_model_name = profile_.model.name;
        tokenizer_.vocab_size = std::max<std::uint32_t>(profile_.model.vocab_size, 4);
        listen();
        epoch_ = trace_clock::now();
        cursor_ = epoch_;
        last_end_ = epoch_;
        models_created_ = detail::unix_seconds();
    }

    server(const server&) = delete;
    server& operator=(const server&) = delete;
    ~server() = default;

    /// The port the server listens on (the ephemeral one when options.port was 0).
    [[nodiscard]] std::uint16_t port() const noexcept {
        return port_;
    }

    /// The options in force (served_model_name filled in).
    [[nodiscard]] const server_options& options() const noexcept {
        return options_;
    }

    /// The profile the engine models.
    [[nodiscard]] const profile& engine_profile() const noexcept {
        return profile_;
    }

    /// Starts accepting connections.
    void start() {
        boost::asio::co_spawn(ioc_, accept_loop(), boost::asio::detached);
    }

    /// Stops: closes the listening socket and every connection, and stops the engine. Requests
    /// in flight end without their last bytes. The io_context's run() returns once the
    /// handlers in flight finish.
    void stop() {
        if (stopped_)
            return;
        stopped_ = true;
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        timer_.cancel();
        for (auto& [ptr, weak] : sessions_)
            if (auto s = weak.lock())
                s->kill(false);
        pending_.clear();
        active_.clear();
        writes_.clear();
    }

    /// True once stop() was called.
    [[nodiscard]] bool stopped() const noexcept {
        return stopped_;
    }

    /// Sets the function receiving each finished request's ground truth (called on the
    /// io_context's thread).
    void on_request(std::function<void(const request_record&)> f) {
        on_request_ = std::move(f);
    }

    /// Sets the function receiving each engine step's ground truth.
    void on_step(std::function<void(const step_record&)> f) {
        on_step_ = std::move(f);
    }

    /// Replaces the faults injected by option (the `x-llmcap-fault` header still applies).
    void set_faults(const fault& f, double probability = 1.0) {
        options_.faults = f;
        options_.fault_probability = probability;
    }

    /// The moment at which emulated and wall time coincide (the server's construction).
    [[nodiscard]] time_point epoch() const noexcept {
        return epoch_;
    }

    /// The wall-clock (trace_clock) time at which emulated time `emulated` happens.
    [[nodiscard]] time_point to_wall(time_point emulated) const noexcept {
        if (options_.time_scale == 1.0)
            return emulated;
        return epoch_ +
               duration(static_cast<duration::rep>(std::llround(
                   static_cast<double>((emulated - epoch_).count()) / options_.time_scale)));
    }

    /// The emulated time at wall-clock time `wall`.
    [[nodiscard]] time_point to_emulated(time_point wall) const noexcept {
        if (options_.time_scale == 1.0)
            return wall;
        return epoch_ + duration(static_cast<duration::rep>(std::llround(
                            static_cast<double>((wall - epoch_).count()) * options_.time_scale)));
    }

    /// Emulated GPU energy from the epoch to emulated time `t`, joules: every completed step,
    /// plus idle power between steps (a step in progress counts once it completes).
    [[nodiscard]] double energy_j(time_point t) const noexcept {
        const time_point idle_until = stepping_ ? std::min(t, step_start_) : t;
        return energy_done_j_ +
               options_.power.idle_w * std::max(0.0, to_seconds(idle_until - last_end_));
    }

    /// Renders the /metrics page as of now into `out`.
    void render_metrics(std::string& out) const {
        const time_point now = to_emulated(trace_clock::now());
        metrics_gauges g;
        g.running = engine_.running();
        g.waiting = engine_.waiting() + pending_.size();
        const auto capacity = engine_.kv_capacity_tokens();
        g.kv_cache_usage = capacity == 0 ? 0.0
                                         : 1.0 - static_cast<double>(engine_.kv_free_tokens()) /
                                                     static_cast<double>(capacity);
        g.power_w = stepping_ || engine_.has_work() ? last_power_w_ : options_.power.idle_w;
        g.energy_j = energy_j(now);
        g.emulated_s = to_seconds(now - epoch_);
        g.time_scale = options_.time_scale;
        metrics_.render(out, g);
    }

    /// How late (wall time) the engine's timer fired against its deadline, every step and
    /// idle wake-up since the start.
    [[nodiscard]] const detail::server_lag_recorder& schedule_lag() const noexcept {
        return lag_;
    }

    /// Wall time from a step's deadline to the moment its tokens were handed to the kernel,
    /// one value per connection written (schedule lag plus the wait for the write); when a
    /// write carries the tokens of several steps, from the oldest of those steps.
    [[nodiscard]] const detail::server_lag_recorder& emit_lag() const noexcept {
        return emit_lag_;
    }

    /// Forgets the schedule and emission lags recorded so far (to measure a steady state).
    void reset_lag_statistics() noexcept {
        lag_.reset();
        emit_lag_.reset();
    }

    /// Token events written to clients since the start.
    [[nodiscard]] std::uint64_t token_events() const noexcept {
        return token_events_;
    }

    /// Engine steps executed since the start.
    [[nodiscard]] std::uint64_t steps() const noexcept {
        return steps_;
    }

    /// Connections open now.
    [[nodiscard]] std::size_t connections() const noexcept {
        return sessions_.size();
    }

    /// Requests received and not finished (waiting in the front end or in the engine).
    [[nodiscard]] std::size_t requests_in_flight() const noexcept {
        return pending_.size() + in_engine_;
    }

private:
    using session_ptr = std::shared_ptr<detail::server_session>;

    struct pending_arrival {
        time_point at{};
        std::uint64_t seq = 0;
        std::unique_ptr<detail::active_request> request;
    };

    static bool later(const pending_arrival& a, const pending_arrival& b) noexcept {
        return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }

    [[nodiscard]] duration scaled(duration wall) const noexcept {
        return duration(static_cast<duration::rep>(
            std::llround(static_cast<double>(wall.count()) * options_.time_scale)));
    }

    [[nodiscard]] bool draw(double probability) {
        if (probability >= 1.0)
            return true;
        if (probability <= 0.0)
            return false;
        return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < probability;
    }

    void log(std::string_view line) const {
        if (options_.log)
            options_.log(line);
    }

    // --- connections ---

    boost::asio::awaitable<void> accept_loop() {
        boost::asio::steady_timer backoff(ioc_);
        while (!stopped_) {
            auto [ec, socket] =
                co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
            if (stopped_)
                co_return;
            if (ec) {
                if (ec == boost::asio::error::operation_aborted)
                    co_return;
                // Out of descriptors or memory: wait instead of spinning.
                backoff.expires_after(std::chrono::milliseconds(10));
                auto [bec] =
                    co_await backoff.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
                (void)bec;
                continue;
            }
            if (options_.faults.refuse && draw(options_.fault_probability)) {
                boost::system::error_code ignored;
                socket.set_option(boost::asio::socket_base::linger(true, 0), ignored);
                socket.close(ignored);
                log("connection refused (fault refuse)");
                continue;
            }
            auto s = std::make_shared<detail::server_session>(std::move(socket),
                                                              options_.body_limit_bytes);
            sessions_.emplace(s.get(), s);
            boost::asio::co_spawn(
                ioc_,
                s->run([this](const session_ptr& sp, detail::http_request& r) { handle(sp, r); },
                       [this](detail::server_session* sp) {
                           sessions_.erase(sp);
                           // abort_request() edits the list: go through a copy.
                           for (const std::uint64_t id :
                                std::vector<std::uint64_t>(sp->engine_requests))
                               abort_request(id);
                       }),
                boost::asio::detached);
        }
    }

    void handle(const session_ptr& s, detail::http_request& req) {
        switch (detail::route_of(req)) {
        case detail::server_route::chat_completions:
            return completion(s, req, detail::request_path(req), server_api::chat_completions);
        case detail::server_route::completions:
            return completion(s, req, detail::request_path(req), server_api::completions);
        case detail::server_route::tokenize:
            return detail::respond_tokenize(*s, req.body(), tokenizer_,
                                            profile_.model.max_context_tokens, options_.log);
        case detail::server_route::health:
            return s->respond(200, "application/json", {});
        case detail::server_route::models:
            return detail::respond_models(*s, options_.served_model_name, models_created_,
                                          profile_.model.max_context_tokens);
        case detail::server_route::metrics:
            render_metrics(scratch_);
            return s->respond(200, "text/plain; version=0.0.4; charset=utf-8", scratch_);
        case detail::server_route::method_not_allowed:
            return s->respond(405, "application/json", "{\"detail\":\"Method Not Allowed\"}");
        case detail::server_route::not_found:
            break;
        }
        s->respond(404, "application/json", "{\"detail\":\"Not Found\"}");
    }

    // A completion request: its route takes it up to the engine; its choices reach the engine
    // after the front end's delay (the request's overhead and tokenization).
    void completion(const session_ptr& s, detail::http_request& req, std::string_view target,
                    server_api api) {
        const time_point received = to_emulated(s->request_start());
        const bool fault_drawn = options_.faults.any() && draw(options_.fault_probability);
        auto choices =
            detail::accept_completion({options_, profile_, tokenizer_, engine_, rng_, request_seq_},
                                      s, req, target, api, received, fault_drawn);
        if (choices.empty())
            return;
        for (auto& a : choices) {
            const duration front = from_seconds(profile_.frontend.request_overhead_s +
                                                profile_.frontend.tokenize_s_per_token *
                                                    static_cast<double>(a->prompt_tokens));
            // Never before now: a body that took long to arrive reaches the engine once it
            // is here.
            const time_point arrival = std::max(received + front + scaled(a->faults.stall_first),
                                                to_emulated(trace_clock::now()));
            pending_.push_back({arrival, ++arrival_seq_, std::move(a)});
            std::push_heap(pending_.begin(), pending_.end(), later);
        }
        on_arrival(pending_.front().at);
    }

    // --- listening ---

    // Opens, binds and listens on options_.address:options_.port; throws listen_error.
    void listen() {
        boost::system::error_code ec;
        const boost::asio::ip::address address =
            boost::asio::ip::make_address(options_.address, ec);
        if (ec)
            throw listen_error(ec, options_.address, options_.port,
                               "\"" + options_.address + "\" is not an IP address");
        const boost::asio::ip::tcp::endpoint ep(address, options_.port);
        acceptor_.open(ep.protocol(), ec);
        if (!ec)
            acceptor_.set_option(boost::asio::socket_base::reuse_address(true), ec);
        if (!ec)
            acceptor_.bind(ep, ec);
        if (!ec)
            acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
        if (!ec)
            port_ = acceptor_.local_endpoint(ec).port();
        if (ec) {
            boost::system::error_code ignored;
            acceptor_.close(ignored);
            throw listen_error(ec, options_.address, options_.port, ec.message());
        }
    }

    // --- the engine loop ---

    // Re-arms the engine timer. A handler already queued when the timer is re-armed cannot
    // be cancelled, so each wait carries a generation and only the latest one acts.
    // The timer fires `early` before the deadline; on_timer() waits out the rest actively.
    void arm(time_point wall_deadline, duration early = {}) {
        deadline_ = wall_deadline;
        const std::uint64_t generation = ++timer_generation_;
        timer_.expires_at(wall_deadline - early);
        timer_.async_wait([this, generation](boost::system::error_code ec) {
            if (ec || stopped_ || generation != timer_generation_)
                return;
            on_timer();
        });
    }

    void on_arrival(time_point first_arrival) {
        if (stopped_ || stepping_)
            return;
        const time_point wake = to_wall(first_arrival) + options_.idle_gather;
        if (waking_ && wake >= deadline_)
            return;
        waking_ = true;
        arm(wake);
    }

    void admit(pending_arrival& p) {
        const request_id id = engine_.add_request(p.request->engine_request, p.at);
        p.request->engine_request = {}; // the engine keeps what it needs of the ids
        if (id >= active_.size())
            active_.resize(id + 1);
        ++in_engine_;
        const bool gone = p.request->session->dead();
        p.request->session->engine_requests.push_back(id);
        active_[id] = std::move(p.request);
        if (gone) // the client left while the request was in the front end
            abort_request(id, p.at);
    }

    // The client of request `id` went away: the engine drops the request (as vLLM aborts a
    // request whose client disconnected), and its record is written at once.
    void abort_request(request_id id, std::optional<time_point> at = std::nullopt) {
        if (stopped_ || id >= active_.size() || !active_[id])
            return;
        if (!engine_.abort(id, at.value_or(to_emulated(trace_clock::now()))))
            return;
        active_[id]->finish_reason = "abort";
        active_[id]->lost = true;
        finish(id);
    }

    void admit_until(time_point t) {
        while (!pending_.empty() && pending_.front().at <= t) {
            std::pop_heap(pending_.begin(), pending_.end(), later);
            admit(pending_.back());
            pending_.pop_back();
        }
    }

    void plan_step(time_point start) {
        const duration d = engine_.next_step_duration();
        step_start_ = start;
        stepping_ = true;
        waking_ = false;
        const time_point wall_end = to_wall(start + d);
        arm(wall_end, std::min(options_.timer_spin, (wall_end - to_wall(start)) / 8));
    }

    void schedule() {
        admit_until(cursor_);
        if (engine_.has_work())
            return plan_step(cursor_);
        if (!pending_.empty()) {
            waking_ = true;
            arm(to_wall(pending_.front().at) + options_.idle_gather);
        }
    }

    void on_timer() {
        time_point now = trace_clock::now();
        if (stepping_)
            while (now < deadline_) // armed early by at most options_.timer_spin
                now = trace_clock::now();
        const duration lag = now - deadline_;
        lag_.record(lag);
        metrics_.on_schedule_lag(lag);
        if (waking_ && !stepping_) {
            waking_ = false;
            // Every request that has arrived by now joins the first step, which starts at the
            // latest of their arrivals (never before the engine's last step ended).
            const time_point now_e = to_emulated(now);
            time_point start = cursor_;
            bool first = true;
            while (!pending_.empty() && (first || pending_.front().at <= now_e)) {
                first = false;
                std::pop_heap(pending_.begin(), pending_.end(), later);
                start = std::max(start, pending_.back().at);
                admit(pending_.back());
                pending_.pop_back();
            }
            cursor_ = start;
            if (engine_.has_work())
                plan_step(cursor_);
            return;
        }
        stepping_ = false;
        execute_step(lag);
        // Behind schedule: run the steps already due before writing, so that each write
        // carries several tokens instead of falling further behind one token at a time; for
        // at most one write slice, so that no handler holds the loop for long (the timer
        // fires again at once for the steps still due).
        for (int caught_up = 0; caught_up < max_catch_up_steps; ++caught_up) {
            admit_until(cursor_);
            if (!engine_.has_work())
                break;
            const duration d = engine_.next_step_duration();
            const time_point due = to_wall(cursor_ + d);
            const time_point t = trace_clock::now();
            if (due > t || t - now > write_slice)
                break;
            step_start_ = cursor_;
            lag_.record(t - due);
            metrics_.on_schedule_lag(t - due);
            execute_step(t - due);
        }
        flush_dirty();
        for (request_id id : finished_)
            if (id < active_.size() && active_[id])
                finish(id);
        finished_.clear();
        schedule();
    }

    // Writes the sessions that have new output, for at most write_slice of wall time; the
    // rest goes on in a posted handler (see detail::session_write_queue). The emission lag
    // records how long the tokens waited.
    void flush_dirty() {
        if (writes_.flush(write_slice, emit_lag_) || flush_posted_)
            return;
        flush_posted_ = true;
        boost::asio::post(ioc_, [this] {
            flush_posted_ = false;
            if (!stopped_)
                flush_dirty();
        });
    }

    void execute_step(duration lag) {
        const step_result& r = engine_.step(step_start_);
        ++steps_;
        std::uint64_t prompt_tokens = 0;
        std::uint64_t prefill_tokens = 0;
        for (const chunk_record& c : r.prefill_chunks) {
            prefill_tokens += c.tokens;
            if (!c.recompute)
                prompt_tokens += c.tokens;
        }
        // vLLM counts whole prompts, their cached tokens too.
        metrics_.on_step(prompt_tokens + r.prefix_cache.hits, r.tokens.size(), r.preempted.size());
        metrics_.on_prefix_cache(r.prefix_cache);
        for (const request_id id : r.first_scheduled)
            if (id < active_.size() && active_[id])
                active_[id]->group->cached_tokens += engine_.truth(id).cached_tokens;
        const double utilisation = power_model::utilisation(r.cost, profile_.gpu);
        last_power_w_ = options_.power.step_power_w(r.cost, profile_.gpu);
        const double step_j = last_power_w_ * r.cost.duration_s;
        energy_done_j_ +=
            options_.power.idle_w * std::max(0.0, to_seconds(r.start - last_end_)) + step_j;
        last_end_ = r.end;
        cursor_ = r.end;
        if (on_step_) {
            step_record rec;
            rec.index = steps_ - 1;
            rec.start = r.start;
            rec.end = r.end;
            rec.sequences = r.work.sequences;
            rec.output_tokens = r.tokens.size();
            rec.prefill_tokens = prefill_tokens;
            rec.utilisation = utilisation;
            rec.power_w = last_power_w_;
            rec.energy_j = step_j;
            rec.lag = lag;
            on_step_(rec);
        }
        for (const token_emission& t : r.tokens)
            if (t.id < active_.size() && active_[t.id])
                emit(*active_[t.id], t);
        finished_.insert(finished_.end(), r.finished.begin(), r.finished.end());
    }

    // Writes token `t` of `a` to its client (see detail::write_token_event()).
    void emit(detail::active_request& a, const token_emission& t) {
        if (!detail::write_token_event(a, t, event_, options_.reasoning_as))
            return;
        ++token_events_;
        writes_.add(a.session, deadline_);
        detail::end_token_event(a, t, event_);
    }

    void finish(request_id id) {
        std::unique_ptr<detail::active_request> a = std::move(active_[id]);
        --in_engine_;
        std::erase(a->session->engine_requests, id);
        request_record rec;
        rec.truth = engine_.take_truth(id);
        detail::finish_choice(*a, rec, options_.reasoning_as, options_.served_model_name);
        metrics_.on_finished(rec.truth, rec.received, rec.finish_reason);
        if (options_.log)
            log(detail::finished_log_line(a->target, rec));
        if (on_request_)
            on_request_(rec);
    }

    boost::asio::io_context& ioc_;
    profile profile_;
    server_options options_;
    engine engine_;
    metrics_exporter metrics_;
    tokenizer tokenizer_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer timer_;
    std::mt19937_64 rng_;
    std::uint16_t port_ = 0;
    bool stopped_ = false;
    std::unordered_map<detail::server_session*, std::weak_ptr<detail::server_session>> sessions_;
    std::vector<pending_arrival> pending_;                        // a min-heap on (at, seq)
    std::vector<std::unique_ptr<detail::active_request>> active_; // by engine request id
    detail::session_write_queue writes_; // sessions with output to write, in order
    bool flush_posted_ = false;          // a handler writing the next slice is queued
    static constexpr duration write_slice = std::chrono::microseconds(250);
    std::vector<request_id> finished_; // requests finished by the steps just run
    static constexpr int max_catch_up_steps = 32;
    std::size_t in_engine_ = 0;
    std::uint64_t arrival_seq_ = 0;
    std::uint64_t request_seq_ = 0;
    std::uint64_t models_created_ = 0;
    // Engine schedule (emulated times, wall deadline).
    time_point epoch_{};
    time_point cursor_{};
    time_point step_start_{};
    time_point deadline_{};
    bool stepping_ = false;
    bool waking_ = false;
    std::uint64_t timer_generation_ = 0;
    // Energy.
    time_point last_end_{};
    double energy_done_j_ = 0.0;
    double last_power_w_ = 0.0;
    // Statistics.
    detail::server_lag_recorder lag_;
    detail::server_lag_recorder emit_lag_;
    std::uint64_t token_events_ = 0;
    std::uint64_t steps_ = 0;
    std::string scratch_;
    std::string event_;
    std::function<void(const request_record&)> on_request_;
    std::function<void(const step_record&)> on_step_;
};

} // namespace llmcap::emulator
