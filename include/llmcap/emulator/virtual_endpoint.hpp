#pragma once

#include <llmcap/client/http_response.hpp>
#include <llmcap/client/request_context.hpp>
#include <llmcap/client/stop_signal.hpp>
#include <llmcap/client/streaming_endpoint.hpp>
#include <llmcap/client/virtual_timeline.hpp>
#include <llmcap/core/clock.hpp>
#include <llmcap/core/error.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/emulator/detail/server_request.hpp>
#include <llmcap/emulator/energy_model.hpp>
#include <llmcap/emulator/engine.hpp>
#include <llmcap/emulator/ground_truth.hpp>
#include <llmcap/emulator/metrics_exporter.hpp>
#include <llmcap/emulator/prefix_cache.hpp>
#include <llmcap/emulator/profile.hpp>
#include <llmcap/emulator/tokenizer.hpp>
#include <llmcap/openai/request.hpp>
#include <llmcap/telemetry/energy_reading.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>     // max, min
#include <cmath>         // ceil
#include <cstdint>       // uint32_t, uint64_t
#include <exception>     // exception_ptr, rethrow_exception
#include <functional>    // function, greater
#include <optional>      // optional
#include <queue>         // priority_queue
#include <random>        // mt19937_64, exponential_distribution
#include <stdexcept>     // logic_error
#include <string>        // string, to_string
#include <string_view>   // string_view
#include <system_error>  // error_code
#include <unordered_map> // unordered_map
#include <utility>       // move
#include <vector>        // vector

namespace llmcap::emulator {

/// How a virtual_endpoint behaves besides its profile.
struct virtual_endpoint_options {
    /// The modelled GPU's power draw (energy_meter(), `/metrics`).
    power_model power;
    /// The model name `/v1/models` lists and responses carry; empty: the profile's model name.
    std::string served_model_name;
    /// Mean output length of a request that may stop early (no `ignore_eos`), drawn from an
    /// exponential distribution as the real-time server does; requests with `ignore_eos`
    /// produce exactly `max_tokens`.
    double mean_output_tokens = 256.0;
    /// Seed of those draws.
    std::uint64_t seed = 1;
    /// Called with every finished request's trace and ground truth (tests compare them).
    std::function<void(const request_trace&, const request_truth&)> on_truth;
    /// Called when each engine step starts, with what it will do and its power in watts.
    std::function<void(const step_result&, double)> on_step;
};

// GCC 12 at -O2 pairs the coroutine frames' operator delete (Asio's recycling allocator) with
// the global operator new when it inlines a frame's destruction, and warns wrongly
// (-Wmismatched-new-delete); the frames are allocated and freed by the same class.
#if defined(__GNUC__) && !defined(__clang__)
#    pragma GCC diagnostic push
#    pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

/**
 * The emulator's in-process endpoint on virtual time (DESIGN.md §3): a streaming_endpoint and
 * control_endpoint whose requests are served by an engine modelled on a profile, on a
 * client::virtual_timeline. `run`'s whole pipeline — prompt calibration through `/tokenize`,
 * workload::drive, the cell recorder, the `/metrics` scrape, the energy meter — runs over it
 * unchanged, so `simulate` measures what `run` would measure, in a fraction of the time. The
 * endpoint supplies time and ground truth, never metrics of its own.
 *
 * What a request sees: the front end takes `request_overhead_s` plus `tokenize_s_per_token`
 * per prompt token before the request reaches the engine; response headers come
 * `header_delay_s` after that; each engine step's tokens are stamped at the step's end, one
 * token per event, with the final usage chunk and per-request queue, prefill and decode times
 * as vLLM reports them. The client has no lag: its stamps are the engine's emission times.
 * A prompt and output that exceed the model's context or the KV cache get HTTP 400, as vLLM
 * answers. Requests given a stop_signal end cancelled at request_stop().
 *
 * Prefix caching (when the profile enables it): each request's prompt is tokenized (the chat
 * template, or the completions prompt) and the words of its answer are chosen before it
 * reaches the engine, so that later requests find the blocks it computed; `cache_salt` and
 * llama.cpp's `cache_prompt: false` act as on the HTTP server, and the usage carries
 * `prompt_tokens_details.cached_tokens` (usage_info::cached_tokens), the ground truth's
 * cached_tokens. When request_context::answer_text is set, the answer's text is appended to it:
 * one word per token, as the HTTP server streams it in `delta.content` or `text`.
 *
 * Control calls: `GET /v1/models` (vLLM's shape), `GET /metrics` (metrics_exporter's vLLM
 * names, counting in virtual time), `GET /health`, `POST /tokenize` (vLLM's shape, the
 * emulator tokenizer); anything else is 404.
 *
 * Not thread-safe: everything runs on one io_context, which the timeline runs (one thread),
 * for the endpoint's whole life: the engine loop stays suspended there between requests. The
 * timeline must outlive the endpoint, and the endpoint its requests.
 */
class virtual_endpoint {
public:
    /// An idle endpoint serving `p` on `timeline`.
    virtual_endpoint(client::virtual_timeline& timeline, profile p,
                     virtual_endpoint_options options = {})
        : timeline_(&timeline), profile_(std::move(p)), options_(std::move(options)),
          engine_(profile_),
          metrics_(options_.served_model_name.empty() ? profile_.model.name
                                                      : options_.served_model_name),
          rng_(options_.seed), energy_mark_(timeline.now()) {
        if (options_.served_model_name.empty())
            options_.served_model_name = profile_.model.name;
        tokenizer_.vocab_size = std::max<std::uint32_t>(profile_.model.vocab_size, 4);
    }
    virtual_endpoint(const virtual_endpoint&) = delete;
    virtual_endpoint& operator=(const virtual_endpoint&) = delete;

    /// The timeline the endpoint runs on (client::timeline_of finds it).
    [[nodiscard]] client::virtual_timeline& timeline() noexcept {
        return *timeline_;
    }

    /// The profile served.
    [[nodiscard]] const profile& served_profile() const noexcept {
        return profile_;
    }

    /// Engine steps executed so far.
    [[nodiscard]] std::uint64_t steps() const noexcept {
        return steps_;
    }

    /// Modelled GPU energy from the endpoint's creation to now, joules: idle power between
    /// steps, each step's power during it (power_model).
    [[nodiscard]] double energy_j() const noexcept {
        const time_point now = timeline_->now();
        if (step_) {
            const time_point until = std::min(now, step_->end);
            return energy_j_ + step_->power_w * to_seconds(until - step_->start);
        }
        return energy_j_ + options_.power.idle_w * to_seconds(now - energy_mark_);
    }

    /**
     * An energy meter (telemetry::energy_meter) reading the modelled GPU: joules between
     * start() and stop() in virtual time, mean and peak power; source `emulator`, method
     * `power_model`. The endpoint must outlive it.
     */
    class meter {
    public:
        /// A meter on `e`.
        explicit meter(virtual_endpoint& e) noexcept : endpoint_(&e) {}
        /// Reads the energy counter and resets the peak.
        std::error_code start() {
            start_j_ = endpoint_->energy_j();
            start_ = endpoint_->timeline_->now();
            endpoint_->peak_power_w_ =
                endpoint_->step_ ? endpoint_->step_->power_w : endpoint_->options_.power.idle_w;
            return {};
        }
        /// The energy since start().
        telemetry::energy_result stop() {
            telemetry::energy_reading r;
            r.elapsed = endpoint_->timeline_->now() - start_;
            r.energy_j = endpoint_->energy_j() - start_j_;
            const double s = to_seconds(r.elapsed);
            r.mean_power_w = s > 0.0 ? r.energy_j / s : 0.0;
            r.peak_power_w = endpoint_->peak_power_w_;
            r.source = telemetry::energy_source::emulator;
            r.method = telemetry::energy_method::power_model;
            r.gpu_count = 1;
            telemetry::energy_result out;
            out.reading = r;
            return out;
        }

    private:
        virtual_endpoint* endpoint_;
        double start_j_ = 0.0;
        time_point start_{};
    };

    /// Streams one completion request in virtual time and returns its trace (failures on the
    /// trace, never thrown).
    boost::asio::awaitable<request_trace> stream(const openai::completion_request& request,
                                                 client::request_context context) {
        const time_point now = timeline_->now();
        request_trace t;
        t.index = context.index;
        t.prompt_tokens_target = context.prompt_tokens_target;
        t.max_tokens = request.max_tokens.value_or(0);
        t.fixed_output = request.ignore_eos.value_or(false) && t.max_tokens > 0;
        t.intended_start = context.intended_start == time_point{} ? now : context.intended_start;
        if (context.stop != nullptr && context.stop->stop_requested()) {
            t.end = now;
            t.fail(error::cancelled, "cancelled");
            co_return t;
        }
        t.send = now;
        request_spec spec;
        const bool caching = engine_.prefix_caching();
        if (caching) {
            std::string error;
            if (!read_cache_fields(request, spec, error))
                co_return refuse(std::move(t), std::move(error));
            prompt_ids(request, spec.prompt_ids);
        }
        const std::uint64_t prompt = caching ? spec.prompt_ids.size() : prompt_tokens(request);
        const std::uint64_t context_tokens = profile_.model.max_context_tokens;
        if (prompt >= context_tokens ||
            (request.max_tokens && prompt + *request.max_tokens > context_tokens)) {
            co_return refuse(
                std::move(t),
                "This model's maximum context length is " + std::to_string(context_tokens) +
                    " tokens. However, you requested " +
                    std::to_string(prompt + request.max_tokens.value_or(0)) + " tokens (" +
                    std::to_string(prompt) + " in the messages, " +
                    std::to_string(request.max_tokens.value_or(0)) + " in the completion).");
        }
        const std::uint64_t cap = request.max_tokens.value_or(context_tokens - prompt);
        std::uint64_t length = cap;
        if (!request.ignore_eos.value_or(false)) {
            const double mean = std::max(1.0, options_.mean_output_tokens);
            const double drawn = std::ceil(std::exponential_distribution<double>(1.0 / mean)(rng_));
            length = std::max<std::uint64_t>(
                1, static_cast<std::uint64_t>(std::min(drawn, static_cast<double>(cap))));
            length = std::min(std::max<std::uint64_t>(length, request.min_tokens.value_or(0)), cap);
        }
        spec.prompt_tokens = static_cast<std::uint32_t>(prompt);
        spec.output_tokens = static_cast<std::uint32_t>(length);
        if (!engine_.fits(spec))
            co_return refuse(std::move(t), "request of " + std::to_string(prompt) + " prompt and " +
                                               std::to_string(length) +
                                               " output tokens does not fit the KV cache");

        const auto ex = co_await boost::asio::this_coro::executor;
        if (engine_running_ && ex != engine_executor_)
            throw std::logic_error("virtual_endpoint: every request must run on the io_context "
                                   "its engine loop runs on");
        if (!engine_running_) {
            engine_running_ = true;
            engine_executor_ = ex;
            boost::asio::co_spawn(ex, run_engine(), [](std::exception_ptr e) {
                if (e) // a broken engine invariant: let it reach whoever runs the io_context
                    std::rethrow_exception(e);
            });
        }
        auto waiter = timeline_->make_timer(ex);
        in_flight r(*this, waiter);
        r.ticket = next_ticket_++;
        r.text_seed = mix64(options_.seed ^ mix64(r.ticket)); // its answer's words
        if (caching)
            tokenizer_.output_ids(r.text_seed, length, spec.output_ids);
        r.spec = std::move(spec);
        r.received = now;
        r.arrival = now + from_seconds(profile_.frontend.request_overhead_s +
                                       profile_.frontend.tokenize_s_per_token *
                                           static_cast<double>(prompt));
        arriving_.emplace(r.ticket, &r);
        arrivals_.push({r.arrival, r.ticket});
        if (context.stop != nullptr)
            context.stop->add(r);
        wake_engine();
        while (!r.truth && !r.cancelled) {
            waiter.expires_at(time_point::max());
            co_await waiter.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        }
        if (context.stop != nullptr)
            context.stop->remove(r);
        if (r.cancelled) {
            arriving_.erase(r.ticket);
            if (r.id) {
                admitted_.erase(*r.id);
                // A request the engine already finished is taken by the step loop.
                if (engine_.abort(*r.id, timeline_->now()))
                    (void)engine_.take_truth(*r.id);
            }
            t.end = timeline_->now();
            t.fail(error::cancelled, "cancelled");
            co_return t;
        }
        build_trace(t, r, cap);
        if (context.answer_text != nullptr) // what its HTTP twin streams as delta.content
            for (std::size_t i = 0; i < r.truth->tokens.size(); ++i)
                *context.answer_text += tokenizer::output_piece(r.text_seed, i);
        if (options_.on_truth)
            options_.on_truth(t, *r.truth);
        co_return t;
    }

    /// Answers `GET path`: `/v1/models`, `/metrics`, `/health`; 404 otherwise.
    boost::asio::awaitable<client::http_response> get(std::string_view path) {
        client::http_response r;
        if (path == "/v1/models") {
            boost::json::object model{{"id", options_.served_model_name},
                                      {"object", "model"},
                                      {"owned_by", "vllm"},
                                      {"root", options_.served_model_name},
                                      {"max_model_len", profile_.model.max_context_tokens}};
            boost::json::object list{{"object", "list"},
                                     {"data", boost::json::array{std::move(model)}}};
            co_return ok(boost::json::serialize(list), "application/json");
        }
        if (path == "/metrics") {
            metrics_gauges g;
            g.running = engine_.running();
            g.waiting = engine_.waiting() + arriving_.size() - admitted_count();
            const double capacity = static_cast<double>(engine_.kv_capacity_tokens());
            g.kv_cache_usage = capacity > 0.0
                                   ? 1.0 - static_cast<double>(engine_.kv_free_tokens()) / capacity
                                   : 0.0;
            g.power_w = step_ ? step_->power_w : options_.power.idle_w;
            g.energy_j = energy_j();
            g.emulated_s = to_seconds(timeline_->now() - virtual_epoch());
            g.time_scale = 0.0; // virtual time: no wall clock to scale
            std::string body;
            metrics_.render(body, g);
            co_return ok(std::move(body), "text/plain; version=0.0.4");
        }
        if (path == "/health")
            co_return ok({}, "text/plain");
        co_return not_found();
    }

    /// Answers `POST path`: `/tokenize` (`prompt` or `messages`, vLLM's answer); 404
    /// otherwise, 400 for a body that is not a request.
    boost::asio::awaitable<client::http_response> post(std::string_view path,
                                                       std::string_view body) {
        if (path != "/tokenize")
            co_return not_found();
        boost::system::error_code ec;
        const boost::json::value v = boost::json::parse(body, ec);
        const boost::json::object* o = ec ? nullptr : v.if_object();
        if (o == nullptr)
            co_return bad_request("request body must be a JSON object");
        // Read as the HTTP server reads it (detail/server_request.hpp): `prompt` (a string or
        // token ids) or `messages` with the chat template, `add_generation_prompt`.
        const server_api api =
            o->contains("messages") ? server_api::chat_completions : server_api::completions;
        bool generation_prompt = true;
        std::string error;
        std::uint64_t count = 0;
        if (!detail::read_bool(*o, "add_generation_prompt", generation_prompt, error) ||
            !detail::prompt_of(tokenizer{}, *o, api, generation_prompt, count, error, nullptr,
                               nullptr))
            co_return bad_request(error);
        boost::json::object answer{{"count", count},
                                   {"max_model_len", profile_.model.max_context_tokens}};
        co_return ok(boost::json::serialize(answer), "application/json");
    }

private:
    // One request between stream()'s start and its end: an abort point for the stop signal.
    struct in_flight final : client::detail::abortable {
        in_flight(virtual_endpoint& e, client::virtual_timeline::timer& w) noexcept
            : endpoint(&e), waiter(&w) {}
        void abort(error) noexcept override {
            if (cancelled || truth)
                return;
            cancelled = true;
            waiter->cancel();
        }
        virtual_endpoint* endpoint;
        client::virtual_timeline::timer* waiter;
        request_spec spec{};
        std::uint64_t text_seed = 0;
        time_point received{};
        time_point arrival{};
        std::uint64_t ticket = 0;
        std::optional<request_id> id;
        std::optional<request_truth> truth;
        bool cancelled = false;
    };

    struct arrival {
        time_point at;
        std::uint64_t ticket;
        bool operator>(const arrival& o) const noexcept {
            return at != o.at ? at > o.at : ticket > o.ticket;
        }
    };

    struct running_step {
        time_point start;
        time_point end;
        double power_w;
    };

    [[nodiscard]] std::size_t admitted_count() const noexcept {
        std::size_t n = 0;
        for (const auto& [ticket, r] : arriving_)
            if (r->id)
                ++n;
        return n;
    }

    // The token ids the emulator's chat template (or, for completions, its tokenizer) gives
    // the request, appended to `out`.
    void prompt_ids(const openai::completion_request& r, std::vector<std::uint32_t>& out) const {
        if (r.kind == openai::api::completions)
            return tokenizer_.encode(r.prompt, out);
        for (const openai::chat_message& m : r.messages)
            tokenizer_.encode_message(m.role, m.content, out);
        out.push_back(tokenizer::assistant_start_id);
    }

    // The request's `cache_salt` (hashed into spec.cache_salt) and llama.cpp's `cache_prompt`,
    // checked as the HTTP server checks them; false with `error` when malformed.
    static bool read_cache_fields(const openai::completion_request& r, request_spec& spec,
                                  std::string& error) {
        std::optional<std::string_view> salt;
        if (r.cache_salt)
            salt = *r.cache_salt;
        if (const boost::json::value* v = r.extra.if_contains("cache_salt"))
            salt = v->is_string() ? std::optional<std::string_view>(v->get_string())
                   : v->is_null() ? std::nullopt
                                  : std::optional<std::string_view>(std::string_view());
        if (salt && salt->empty()) {
            error = "Parameter 'cache_salt' must be a non-empty string if provided.";
            return false;
        }
        spec.cache_salt = salt ? cache_salt_hash(*salt) : 0;
        if (const boost::json::value* v = r.extra.if_contains("cache_prompt");
            v != nullptr && !v->is_null()) {
            if (!v->is_bool()) {
                error = "cache_prompt must be a boolean";
                return false;
            }
            spec.prefix_cache_lookup = v->get_bool();
        }
        return true;
    }

    // Prompt tokens the emulator's chat template gives the request.
    [[nodiscard]] static std::uint64_t prompt_tokens(const openai::completion_request& r) {
        if (r.kind == openai::api::completions)
            return tokenizer::count(r.prompt);
        std::uint64_t n = tokenizer::generation_prompt_tokens;
        for (const openai::chat_message& m : r.messages)
            n += tokenizer::count(m.content) + tokenizer::message_overhead_tokens;
        return n;
    }

    request_trace refuse(request_trace t, std::string message) const {
        t.headers = t.send;
        t.end = *t.send;
        t.http_status = 400;
        t.fail(error::http_status, "HTTP 400: " + message);
        return t;
    }

    static client::http_response ok(std::string body, std::string type) {
        client::http_response r;
        r.status = 200;
        r.content_type = std::move(type);
        r.body = std::move(body);
        return r;
    }

    static client::http_response not_found() {
        client::http_response r;
        r.status = 404;
        r.content_type = "application/json";
        r.body = "{\"detail\":\"Not Found\"}";
        r.failure = error::http_status;
        r.error_message = "HTTP 404: Not Found";
        return r;
    }

    static client::http_response bad_request(std::string message) {
        client::http_response r;
        r.status = 400;
        r.content_type = "application/json";
        r.body = boost::json::serialize(boost::json::object{{"error", message}});
        r.failure = error::http_status;
        r.error_message = "HTTP 400: " + message;
        return r;
    }

    // What a streaming client records for a request the engine finished: the role chunk, one
    // event per token, the finish and usage chunks, then [DONE].
    void build_trace(request_trace& t, const in_flight& r, std::uint64_t cap) const {
        const request_truth& truth = *r.truth;
        t.headers = r.arrival + from_seconds(profile_.frontend.header_delay_s);
        t.events.reserve(truth.tokens.size());
        for (const time_point at : truth.tokens)
            t.events.push_back({at, 1, token_kind::content});
        t.exact_event_tokens = true;
        t.sse_events = truth.tokens.size() + 3;
        t.http_status = 200;
        t.response_id = "chatcmpl-emulator-" + std::to_string(t.index);
        t.server_model = options_.served_model_name;
        t.finish_reason = truth.tokens.size() >= cap ? "length" : "stop";
        t.done_marker = true;
        usage_info u;
        u.prompt_tokens = truth.prompt_tokens;
        u.completion_tokens = truth.tokens.size();
        u.total_tokens = u.prompt_tokens + u.completion_tokens;
        if (engine_.prefix_caching()) // usage.prompt_tokens_details.cached_tokens
            u.cached_tokens = truth.cached_tokens;
        t.usage = u;
        server_timings st;
        if (auto q = truth.queue_wait())
            st.queue_s = to_seconds(*q);
        if (auto pf = truth.prefill_time())
            st.prefill_s = to_seconds(*pf);
        if (!truth.tokens.empty())
            st.decode_s = to_seconds(truth.tokens.back() - truth.tokens.front());
        t.timings = st;
        t.end = truth.finish.value_or(truth.tokens.empty() ? *t.send : truth.tokens.back());
    }

    void wake_engine() {
        if (engine_idle_ != nullptr)
            engine_idle_->cancel();
    }

    void admit_until(time_point now) {
        while (!arrivals_.empty() && arrivals_.top().at <= now) {
            const arrival a = arrivals_.top();
            arrivals_.pop();
            const auto it = arriving_.find(a.ticket);
            if (it == arriving_.end())
                continue; // cancelled before it arrived
            in_flight& r = *it->second;
            r.id = engine_.add_request(r.spec, a.at);
            r.spec = {}; // the engine keeps what it needs of the ids
            admitted_.emplace(*r.id, &r);
        }
    }

    // The engine's step loop, in virtual time: one step after another while there is work,
    // idle until the next arrival otherwise; it ends when no request is left (stream() starts
    // it again), so nothing of it outlives the io_context's work.
    boost::asio::awaitable<void> run_engine() {
        const auto ex = co_await boost::asio::this_coro::executor;
        auto timer = timeline_->make_timer(ex);
        const auto wait_until = [&](time_point at) -> boost::asio::awaitable<void> {
            timer.expires_at(at);
            co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        };
        std::vector<request_id> finished;
        for (;;) {
            // Everything due now happens first: requests sent at a step's end (closed loop)
            // reach the engine before it plans the next step.
            co_await wait_until(timeline_->now());
            time_point now = timeline_->now();
            admit_until(now);
            if (!engine_.has_work()) {
                if (arrivals_.empty()) { // nothing to do until stream() starts the loop again
                    engine_running_ = false;
                    co_return;
                }
                engine_idle_ = &timer;
                co_await wait_until(arrivals_.top().at);
                engine_idle_ = nullptr;
                continue;
            }
            const step_result& s = engine_.step(now);
            ++steps_;
            const double power = options_.power.step_power_w(s.cost, profile_.gpu);
            energy_j_ += options_.power.idle_w * to_seconds(s.start - energy_mark_);
            step_ = running_step{s.start, s.end, power};
            peak_power_w_ = std::max(peak_power_w_, power);
            std::uint64_t prompt = s.prefix_cache.hits; // vLLM counts cached tokens too
            for (const chunk_record& c : s.prefill_chunks)
                if (!c.recompute)
                    prompt += c.tokens;
            metrics_.on_step(prompt, s.tokens.size(), s.preempted.size());
            metrics_.on_prefix_cache(s.prefix_cache);
            if (options_.on_step)
                options_.on_step(s, power);
            finished.assign(s.finished.begin(), s.finished.end());
            const time_point end = s.end;
            co_await wait_until(end);
            energy_j_ += power * to_seconds(end - step_->start);
            energy_mark_ = end;
            step_.reset();
            for (const request_id id : finished) {
                const auto it = admitted_.find(id);
                request_truth truth = engine_.take_truth(id);
                if (it == admitted_.end())
                    continue; // its client went away
                in_flight& r = *it->second;
                metrics_.on_finished(truth, r.received,
                                     truth.tokens.size() >= truth.output_tokens ? "length"
                                                                                : "stop");
                r.truth = std::move(truth);
                admitted_.erase(it);
                arriving_.erase(r.ticket);
                r.waiter->cancel();
            }
        }
    }

    client::virtual_timeline* timeline_;
    profile profile_;
    virtual_endpoint_options options_;
    engine engine_;
    metrics_exporter metrics_;
    tokenizer tokenizer_;
    std::mt19937_64 rng_;
    bool engine_running_ = false;
    boost::asio::any_io_executor engine_executor_; // where the engine loop runs
    client::virtual_timeline::timer* engine_idle_ = nullptr;
    std::uint64_t next_ticket_ = 1;
    std::priority_queue<arrival, std::vector<arrival>, std::greater<>> arrivals_;
    std::unordered_map<std::uint64_t, in_flight*> arriving_; // sent, not finished, by ticket
    std::unordered_map<request_id, in_flight*> admitted_;    // in the engine, by engine id
    std::uint64_t steps_ = 0;
    double energy_j_ = 0.0;  // modelled energy up to energy_mark_
    time_point energy_mark_; // end of the last step (or creation)
    std::optional<running_step> step_;
    double peak_power_w_ = 0.0;
};

#if defined(__GNUC__) && !defined(__clang__)
#    pragma GCC diagnostic pop
#endif

static_assert(client::streaming_endpoint<virtual_endpoint>);

} // namespace llmcap::emulator
