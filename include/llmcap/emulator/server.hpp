#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/emulator/detail/server_format.hpp>
#include <llmcap/emulator/detail/server_lag.hpp>
#include <llmcap/emulator/detail/server_session.hpp>
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
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>   // error_code
#include <boost/system/system_error.hpp> // system_error

#include <algorithm>     // max, min, push_heap, pop_heap
#include <chrono>        // system_clock, milliseconds
#include <cmath>         // ceil, llround
#include <cstdint>       // uint16_t, uint32_t, uint64_t
#include <functional>    // function
#include <memory>        // shared_ptr, unique_ptr, weak_ptr
#include <optional>      // optional
#include <random>        // mt19937_64, exponential_distribution, uniform_real_distribution
#include <stdexcept>     // invalid_argument, runtime_error
#include <string>        // string
#include <string_view>   // string_view
#include <unordered_map> // unordered_map
#include <utility>       // move
#include <vector>        // vector

namespace llmcap::emulator {

namespace asio = boost::asio;

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
    server(asio::io_context& ioc, const profile& p, server_options options = {})
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
        models_created_ = unix_seconds();
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
        asio::co_spawn(ioc_, accept_loop(), asio::detached);
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
        dirty_.clear();
        flush_pos_ = 0;
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

    // What the choices of one response share (a completion request with a list of prompts
    // has one choice, and one engine request, per prompt, as in vLLM).
    struct response_group {
        std::uint32_t remaining = 0;     // choices not finished in the engine
        std::uint32_t open_streams = 0;  // streamed choices whose last token is not written
        bool ended = false;              // nothing more goes to the client
        std::uint64_t prompt_tokens = 0; // totals over the choices, for usage
        std::uint64_t output_tokens = 0;
        std::uint64_t reasoning_tokens = 0;
        std::vector<std::string> choices; // not streamed: each finished choice's JSON
    };

    struct active_request {
        session_ptr session;
        std::shared_ptr<response_group> group;
        std::uint32_t choice = 0; // the choice's index in the response
        server_api api = server_api::chat_completions;
        bool stream = false;
        bool include_usage = false;
        bool continuous_usage = false;
        bool lost = false; // the client did not get the whole response
        std::uint32_t prompt_tokens = 0;
        std::uint32_t output_tokens = 0;
        std::uint32_t reasoning_tokens = 0;
        std::string finish_reason;
        std::string response_id;
        std::string prefix; // a chunk up to and including `"choices":[`
        std::string text;
        std::string reasoning_text;
        std::uint64_t text_seed = 0;
        std::uint64_t created = 0;
        time_point received{};
        fault faults;
        std::string target;
    };

    struct pending_arrival {
        time_point at{};
        std::uint64_t seq = 0;
        std::unique_ptr<active_request> request;
    };

    static bool later(const pending_arrival& a, const pending_arrival& b) noexcept {
        return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }

    [[nodiscard]] static std::uint64_t unix_seconds() noexcept {
        return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
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

    asio::awaitable<void> accept_loop() {
        asio::steady_timer backoff(ioc_);
        while (!stopped_) {
            auto [ec, socket] =
                co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
            if (stopped_)
                co_return;
            if (ec) {
                if (ec == asio::error::operation_aborted)
                    co_return;
                // Out of descriptors or memory: wait instead of spinning.
                backoff.expires_after(std::chrono::milliseconds(10));
                auto [bec] = co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
                (void)bec;
                continue;
            }
            if (options_.faults.refuse && draw(options_.fault_probability)) {
                boost::system::error_code ignored;
                socket.set_option(asio::socket_base::linger(true, 0), ignored);
                socket.close(ignored);
                log("connection refused (fault refuse)");
                continue;
            }
            auto s = std::make_shared<detail::server_session>(std::move(socket),
                                                              options_.body_limit_bytes);
            sessions_.emplace(s.get(), s);
            asio::co_spawn(
                ioc_,
                s->run([this](const session_ptr& sp, detail::http_request& r) { handle(sp, r); },
                       [this](detail::server_session* sp) {
                           sessions_.erase(sp);
                           // abort_request() edits the list: go through a copy.
                           for (const std::uint64_t id :
                                std::vector<std::uint64_t>(sp->engine_requests))
                               abort_request(id);
                       }),
                asio::detached);
        }
    }

    void respond_error(const session_ptr& s, std::string_view target, int status,
                       std::string_view message) {
        std::string_view extra;
        if (status == 429 || status == 503)
            extra = "retry-after: 1\r\n";
        s->respond(status, "application/json", detail::error_body(status, message), false, extra);
        std::string line = "POST ";
        line += target;
        line += ' ';
        detail::append_uint(line, static_cast<std::uint64_t>(status));
        line += " error=\"";
        line += message;
        line += '"';
        log(line);
    }

    void handle(const session_ptr& s, detail::http_request& req) {
        std::string_view target(req.target().data(), req.target().size());
        if (const std::size_t q = target.find('?'); q != std::string_view::npos)
            target = target.substr(0, q);
        const bool get = req.method() == detail::http::verb::get;
        const bool post = req.method() == detail::http::verb::post;
        const auto method_not_allowed = [&] {
            s->respond(405, "application/json", "{\"detail\":\"Method Not Allowed\"}");
        };
        if (target == "/v1/chat/completions" || target == "/v1/completions") {
            if (!post)
                return method_not_allowed();
            return completion(s, req, target,
                              target == "/v1/completions" ? server_api::completions
                                                          : server_api::chat_completions);
        }
        if (target == "/tokenize") {
            if (!post)
                return method_not_allowed();
            return tokenize(s, req);
        }
        if (target == "/health") {
            if (!get)
                return method_not_allowed();
            return s->respond(200, "application/json", {});
        }
        if (target == "/v1/models") {
            if (!get)
                return method_not_allowed();
            return models(s);
        }
        if (target == "/metrics") {
            if (!get)
                return method_not_allowed();
            render_metrics(scratch_);
            return s->respond(200, "text/plain; version=0.0.4; charset=utf-8", scratch_);
        }
        s->respond(404, "application/json", "{\"detail\":\"Not Found\"}");
    }

    void models(const session_ptr& s) {
        std::string body = "{\"object\":\"list\",\"data\":[{\"id\":\"";
        detail::append_json_escaped(body, options_.served_model_name);
        body += "\",\"object\":\"model\",\"created\":";
        detail::append_uint(body, models_created_);
        body += ",\"owned_by\":\"vllm\",\"root\":\"";
        detail::append_json_escaped(body, options_.served_model_name);
        body += "\",\"parent\":null,\"max_model_len\":";
        detail::append_uint(body, profile_.model.max_context_tokens);
        body += ",\"permission\":[]}]}";
        s->respond(200, "application/json", body);
    }

    // Reads a non-negative integer field; false (with `error`) when present but not one.
    static bool read_count(const boost::json::object& o, std::string_view key,
                           std::optional<std::uint64_t>& out, std::string& error) {
        const boost::json::value* v = o.if_contains(key);
        if (v == nullptr || v->is_null())
            return true;
        if (v->is_uint64()) {
            out = v->get_uint64();
            return true;
        }
        if (v->is_int64() && v->get_int64() >= 0) {
            out = static_cast<std::uint64_t>(v->get_int64());
            return true;
        }
        error = std::string(key) + " must be a non-negative integer";
        return false;
    }

    static bool read_bool(const boost::json::object& o, std::string_view key, bool& out,
                          std::string& error) {
        const boost::json::value* v = o.if_contains(key);
        if (v == nullptr || v->is_null())
            return true;
        if (!v->is_bool()) {
            error = std::string(key) + " must be a boolean";
            return false;
        }
        out = v->get_bool();
        return true;
    }

    // Text of a message's `content`: a string or an array of text parts.
    static bool message_text(const boost::json::value& content, std::string& out) {
        if (content.is_null())
            return true;
        if (const auto* str = content.if_string()) {
            out.append(str->data(), str->size());
            return true;
        }
        const auto* parts = content.if_array();
        if (parts == nullptr)
            return false;
        for (const boost::json::value& part : *parts) {
            const auto* po = part.if_object();
            if (po == nullptr)
                return false;
            if (const auto* t = po->if_contains("text"); t != nullptr && t->is_string()) {
                if (!out.empty())
                    out += ' ';
                out.append(t->get_string().data(), t->get_string().size());
            }
        }
        return true;
    }

    // Prompt tokens of a chat request's `messages`, or of a completion's `prompt`; with
    // `ids`, appends the token ids (and, with `strs`, the pieces). A completion's `prompt` may
    // be a list of several prompts (strings or token-id lists) when `batch` is given: it
    // receives each one's tokens, as vLLM serves a batch (`tokens` is then their sum).
    bool prompt_of(const boost::json::object& o, server_api api, bool generation_prompt,
                   std::uint64_t& tokens, std::string& error, std::vector<std::uint32_t>* ids,
                   std::vector<std::string>* strs,
                   std::vector<std::uint64_t>* batch = nullptr) const {
        tokens = 0;
        if (api == server_api::chat_completions) {
            const boost::json::value* m = o.if_contains("messages");
            if (m == nullptr || !m->is_array() || m->get_array().empty()) {
                error = "messages must be a non-empty array";
                return false;
            }
            std::string text;
            for (const boost::json::value& msg : m->get_array()) {
                const auto* mo = msg.if_object();
                if (mo == nullptr) {
                    error = "each message must be an object";
                    return false;
                }
                text.clear();
                if (const auto* c = mo->if_contains("content"); c && !message_text(*c, text)) {
                    error = "message content must be a string or an array of text parts";
                    return false;
                }
                tokens += tokenizer::count(text) + tokenizer::message_overhead_tokens;
                if (ids != nullptr) {
                    ids->push_back(0);
                    tokenizer_.encode(text, *ids);
                    ids->push_back(1);
                }
                if (strs != nullptr) {
                    const auto* role = mo->if_contains("role");
                    strs->push_back("<|" +
                                    (role && role->is_string() ? std::string(role->get_string())
                                                               : std::string("user")) +
                                    "|>");
                    tokenizer::pieces(text, *strs);
                    strs->push_back("<|end|>");
                }
            }
            if (generation_prompt) {
                tokens += tokenizer::generation_prompt_tokens;
                if (ids != nullptr)
                    ids->push_back(2);
                if (strs != nullptr)
                    strs->push_back("<|assistant|>");
            }
            return true;
        }
        const boost::json::value* p = o.if_contains("prompt");
        if (p == nullptr) {
            error = "prompt is required";
            return false;
        }
        const boost::json::value* single = p;
        if (const auto* a = p->if_array()) {
            // A list of strings or of token-id lists: a batch of prompts.
            if (!a->empty() && ((*a)[0].is_string() || (*a)[0].is_array())) {
                if (a->size() != 1) {
                    if (batch == nullptr) {
                        error = "a batch of prompts is not accepted here: give one prompt";
                        return false;
                    }
                    for (const boost::json::value& one : *a) {
                        std::uint64_t n = 0;
                        if (!one.is_string() && !one.is_array()) {
                            error = "each prompt of a batch must be a string or a list of token "
                                    "ids";
                            return false;
                        }
                        if (!one_prompt(one, n, error, nullptr, nullptr))
                            return false;
                        batch->push_back(n);
                        tokens += n;
                    }
                    return true;
                }
                single = &(*a)[0];
            }
        }
        return one_prompt(*single, tokens, error, ids, strs);
    }

    // Tokens of one completion prompt: a string or a list of token ids.
    bool one_prompt(const boost::json::value& prompt, std::uint64_t& tokens, std::string& error,
                    std::vector<std::uint32_t>* ids, std::vector<std::string>* strs) const {
        const boost::json::value* single = &prompt;
        if (const auto* str = single->if_string()) {
            tokens = tokenizer::count(*str);
            if (ids != nullptr)
                tokenizer_.encode(*str, *ids);
            if (strs != nullptr)
                tokenizer::pieces(*str, *strs);
            return true;
        }
        if (const auto* arr = single->if_array()) {
            for (const boost::json::value& id : *arr) {
                if (!id.is_int64() && !id.is_uint64()) {
                    error = "prompt token ids must be integers";
                    return false;
                }
                if (ids != nullptr)
                    ids->push_back(static_cast<std::uint32_t>(id.to_number<std::uint64_t>()));
            }
            tokens = arr->size();
            return true;
        }
        error = "prompt must be a string, a list of token ids, or a list of one of them";
        return false;
    }

    void tokenize(const session_ptr& s, detail::http_request& req) {
        boost::system::error_code ec;
        const boost::json::value v = boost::json::parse(req.body(), ec);
        if (ec || !v.is_object())
            return respond_error(s, "/tokenize", 400, "request body must be a JSON object");
        const boost::json::object& o = v.get_object();
        const server_api api =
            o.contains("messages") ? server_api::chat_completions : server_api::completions;
        bool generation_prompt = true;
        bool want_strs = false;
        std::string error;
        if (!read_bool(o, "add_generation_prompt", generation_prompt, error) ||
            !read_bool(o, "return_token_strs", want_strs, error))
            return respond_error(s, "/tokenize", 400, error);
        std::vector<std::uint32_t> ids;
        std::vector<std::string> strs;
        std::uint64_t count = 0;
        if (!prompt_of(o, api, generation_prompt, count, error, &ids, want_strs ? &strs : nullptr))
            return respond_error(s, "/tokenize", 400, error);
        std::string body = "{\"count\":";
        detail::append_uint(body, count);
        body += ",\"max_model_len\":";
        detail::append_uint(body, profile_.model.max_context_tokens);
        body += ",\"tokens\":[";
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (i > 0)
                body += ',';
            detail::append_uint(body, ids[i]);
        }
        body += "],\"token_strs\":";
        if (want_strs) {
            body += '[';
            for (std::size_t i = 0; i < strs.size(); ++i) {
                if (i > 0)
                    body += ',';
                body += '"';
                detail::append_json_escaped(body, strs[i]);
                body += '"';
            }
            body += ']';
        } else {
            body += "null";
        }
        body += '}';
        s->respond(200, "application/json", body);
    }

    void completion(const session_ptr& s, detail::http_request& req, std::string_view target,
                    server_api api) {
        const time_point received = to_emulated(s->request_start());
        fault f;
        if (options_.faults.any() && draw(options_.fault_probability)) {
            f = options_.faults;
            f.refuse = false; // by option, refuse acts on connections
        }
        if (const auto h = req.find("x-llmcap-fault"); h != req.end()) {
            std::string error;
            const auto parsed =
                parse_fault(std::string_view(h->value().data(), h->value().size()), error);
            if (!parsed)
                return respond_error(s, target, 400, error);
            f.merge(*parsed);
        }
        if (f.refuse) {
            s->kill(true);
            std::string line = "POST ";
            line += target;
            line += " reset (fault refuse)";
            log(line);
            return;
        }
        if (f.status != 0)
            return respond_error(
                s, target, f.status,
                "emulated failure (x-llmcap-fault status=" + std::to_string(f.status) + ")");

        boost::system::error_code ec;
        const boost::json::value v = boost::json::parse(req.body(), ec);
        if (ec || !v.is_object())
            return respond_error(s, target, 400, "request body must be a JSON object");
        const boost::json::object& o = v.get_object();
        if (const boost::json::value* m = o.if_contains("model");
            options_.check_model && m != nullptr && m->is_string() &&
            m->get_string() != options_.served_model_name)
            return respond_error(
                s, target, 404, "The model `" + std::string(m->get_string()) + "` does not exist.");
        std::string error;
        bool stream = false;
        bool ignore_eos = false;
        bool include_usage = false;
        bool continuous_usage = false;
        std::optional<std::uint64_t> max_tokens;
        std::optional<std::uint64_t> min_tokens;
        if (!read_bool(o, "stream", stream, error) ||
            !read_bool(o, "ignore_eos", ignore_eos, error) ||
            !read_count(o, "max_completion_tokens", max_tokens, error) ||
            (!max_tokens && !read_count(o, "max_tokens", max_tokens, error)) ||
            !read_count(o, "min_tokens", min_tokens, error))
            return respond_error(s, target, 400, error);
        if (const auto* so = o.if_contains("stream_options"); so && !so->is_null()) {
            if (!so->is_object())
                return respond_error(s, target, 400, "stream_options must be an object");
            if (!read_bool(so->get_object(), "include_usage", include_usage, error) ||
                !read_bool(so->get_object(), "continuous_usage_stats", continuous_usage, error))
                return respond_error(s, target, 400, error);
        }
        std::uint64_t prompt_sum = 0;
        std::vector<std::uint64_t> prompts;
        if (!prompt_of(o, api, true, prompt_sum, error, nullptr, nullptr,
                       api == server_api::completions ? &prompts : nullptr))
            return respond_error(s, target, 400, error);
        if (prompts.empty())
            prompts.push_back(prompt_sum);
        const std::uint64_t context = profile_.model.max_context_tokens;
        if (max_tokens && *max_tokens < 1)
            return respond_error(s, target, 400,
                                 "max_tokens must be at least 1, got " +
                                     std::to_string(*max_tokens) + ".");
        for (const std::uint64_t prompt : prompts)
            if (prompt >= context || (max_tokens && prompt + *max_tokens > context))
                return respond_error(
                    s, target, 400,
                    "This model's maximum context length is " + std::to_string(context) +
                        " tokens. However, you requested " +
                        std::to_string(prompt + max_tokens.value_or(0)) + " tokens (" +
                        std::to_string(prompt) + " in the messages, " +
                        std::to_string(max_tokens.value_or(0)) +
                        " in the completion). Please reduce the length of the messages or "
                        "completion.");
        std::vector<request_spec> specs;
        std::vector<bool> stopped;
        for (const std::uint64_t prompt : prompts) {
            std::uint64_t cap = max_tokens.value_or(context - prompt);
            if (f.overlong != 0) // a server that does not honour max_tokens
                cap = std::min<std::uint64_t>(cap * f.overlong, context - prompt);
            std::uint64_t length = cap;
            if (!ignore_eos) {
                const double mean = std::max(1.0, options_.mean_output_tokens);
                const double drawn =
                    std::ceil(std::exponential_distribution<double>(1.0 / mean)(rng_));
                length = std::max<std::uint64_t>(
                    1, static_cast<std::uint64_t>(std::min(drawn, static_cast<double>(cap))));
                length = std::min(std::max(length, min_tokens.value_or(0)), cap);
            }
            const request_spec spec{static_cast<std::uint32_t>(prompt),
                                    static_cast<std::uint32_t>(length)};
            if (!engine_.fits(spec))
                return respond_error(s, target, 400,
                                     "request of " + std::to_string(prompt) + " prompt and " +
                                         std::to_string(length) +
                                         " output tokens does not fit the KV cache");
            specs.push_back(spec);
            stopped.push_back(length < cap);
        }

        auto group = std::make_shared<response_group>();
        group->remaining = static_cast<std::uint32_t>(specs.size());
        group->open_streams = stream ? group->remaining : 0;
        group->choices.resize(stream ? 0 : specs.size());
        std::string response_id = api == server_api::chat_completions ? "chatcmpl-" : "cmpl-";
        detail::append_uint(response_id, options_.seed);
        response_id += '-';
        detail::append_uint(response_id, ++request_seq_);
        const std::uint64_t created = unix_seconds();
        std::string prefix = "data: {\"id\":\"";
        prefix += response_id;
        prefix += api == server_api::chat_completions
                      ? "\",\"object\":\"chat.completion.chunk\",\"created\":"
                      : "\",\"object\":\"text_completion\",\"created\":";
        detail::append_uint(prefix, created);
        prefix += ",\"model\":\"";
        detail::append_json_escaped(prefix, options_.served_model_name);
        prefix += "\",\"choices\":[";

        if (stream) {
            std::string headers = "HTTP/1.1 200 OK\r\nserver: llmcap-emulator\r\n"
                                  "content-type: text/event-stream; charset=utf-8\r\n"
                                  "transfer-encoding: chunked\r\n";
            if (s->close_after())
                headers += "connection: close\r\n";
            headers += "\r\n";
            if (f.slow_headers != duration{}) {
                s->trickle(std::move(headers), f.slow_headers);
            } else {
                s->append(headers);
                s->flush();
            }
        }
        for (std::size_t i = 0; i < specs.size(); ++i) {
            const request_spec& spec = specs[i];
            auto a = std::make_unique<active_request>();
            a->session = s;
            a->group = group;
            a->choice = static_cast<std::uint32_t>(i);
            a->api = api;
            a->stream = stream;
            a->include_usage = stream && (include_usage || continuous_usage);
            a->continuous_usage = stream && continuous_usage;
            a->prompt_tokens = spec.prompt_tokens;
            a->output_tokens = spec.output_tokens;
            a->reasoning_tokens = api == server_api::chat_completions
                                      ? std::min(options_.reasoning_tokens, spec.output_tokens)
                                      : 0;
            a->finish_reason = stopped[i] ? "stop" : "length";
            a->response_id = response_id;
            a->text_seed = rng_();
            a->created = created;
            a->received = received;
            a->faults = f;
            a->target = target;
            a->prefix = prefix;
            group->prompt_tokens += a->prompt_tokens;
            group->output_tokens += a->output_tokens;
            group->reasoning_tokens += a->reasoning_tokens;
            const duration front = from_seconds(profile_.frontend.request_overhead_s +
                                                profile_.frontend.tokenize_s_per_token *
                                                    static_cast<double>(spec.prompt_tokens));
            // Never before now: a body that took long to arrive reaches the engine once it
            // is here.
            const time_point arrival =
                std::max(received + front + scaled(f.stall_first), to_emulated(trace_clock::now()));
            pending_.push_back({arrival, ++arrival_seq_, std::move(a)});
            std::push_heap(pending_.begin(), pending_.end(), later);
        }
        on_arrival(pending_.front().at);
    }

    // --- listening ---

    // Opens, binds and listens on options_.address:options_.port; throws listen_error.
    void listen() {
        boost::system::error_code ec;
        const asio::ip::address address = asio::ip::make_address(options_.address, ec);
        if (ec)
            throw listen_error(ec, options_.address, options_.port,
                               "\"" + options_.address + "\" is not an IP address");
        const asio::ip::tcp::endpoint ep(address, options_.port);
        acceptor_.open(ep.protocol(), ec);
        if (!ec)
            acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec)
            acceptor_.bind(ep, ec);
        if (!ec)
            acceptor_.listen(asio::socket_base::max_listen_connections, ec);
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
        const request_id id =
            engine_.add_request({p.request->prompt_tokens, p.request->output_tokens}, p.at);
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
    // rest goes on in a posted handler. The engine timer and new requests are served between
    // slices, so a step never waits for the previous steps' writes: when writing takes longer
    // than the engine's steps (thousands of streams at a high time scale), the engine keeps
    // its schedule, each session's later tokens join its unwritten output, and each write
    // carries several tokens. The emission lag records how long the tokens waited.
    void flush_dirty() {
        const time_point limit = trace_clock::now() + write_slice;
        if (flush_pos_ >= 256) { // drop the sessions written by earlier slices
            dirty_.erase(dirty_.begin(), dirty_.begin() + static_cast<std::ptrdiff_t>(flush_pos_));
            flush_pos_ = 0;
        }
        while (flush_pos_ < dirty_.size()) {
            detail::server_session& s = *dirty_[flush_pos_++];
            s.queued = false;
            s.flush();
            emit_lag_.record(trace_clock::now() - s.queued_since);
            if (flush_pos_ < dirty_.size() && trace_clock::now() >= limit) {
                if (!flush_posted_) {
                    flush_posted_ = true;
                    asio::post(ioc_, [this] {
                        flush_posted_ = false;
                        if (!stopped_)
                            flush_dirty();
                    });
                }
                return;
            }
        }
        dirty_.clear();
        flush_pos_ = 0;
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
        metrics_.on_step(prompt_tokens, r.tokens.size(), r.preempted.size());
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

    void emit(active_request& a, const token_emission& t) {
        detail::server_session& s = *a.session;
        if (a.group->ended || s.dead()) {
            a.lost = true;
            return;
        }
        const std::uint32_t k = t.index + 1; // tokens out, this one included
        const bool reasoning = t.index < a.reasoning_tokens;
        const std::string_view piece = tokenizer::output_piece(a.text_seed, t.index);
        if (!a.stream) {
            (reasoning ? a.reasoning_text : a.text) += piece;
            return;
        }
        std::string& ev = event_;
        std::string& out = s.output();
        const bool chat = a.api == server_api::chat_completions;
        if (t.index == 0 && chat) {
            ev = a.prefix;
            ev += "{\"index\":";
            detail::append_uint(ev, a.choice);
            ev += ",\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                  "\"logprobs\":null,\"finish_reason\":null}]";
            if (a.continuous_usage) {
                ev += ',';
                detail::append_usage(ev, a.prompt_tokens, 0, 0);
            }
            ev += "}\n\n";
            detail::append_http_chunk(out, ev);
        }
        ev = a.prefix;
        if (chat) {
            ev += "{\"index\":";
            detail::append_uint(ev, a.choice);
            ev += ",\"delta\":{\"";
            ev += reasoning ? field_name(options_.reasoning_as) : std::string_view("content");
            ev += "\":\"";
            ev += piece;
            ev += "\"},\"logprobs\":null,\"finish_reason\":";
        } else {
            ev += "{\"index\":";
            detail::append_uint(ev, a.choice);
            ev += ",\"text\":\"";
            ev += piece;
            ev += "\",\"logprobs\":null,\"finish_reason\":";
        }
        if (t.last) {
            ev += '"';
            ev += a.finish_reason;
            ev += '"';
        } else {
            ev += "null";
        }
        ev += ",\"stop_reason\":null}]";
        if (a.continuous_usage) {
            ev += ',';
            detail::append_usage(ev, a.prompt_tokens, k, std::min(k, a.reasoning_tokens));
        }
        ev += "}\n\n";
        detail::append_http_chunk(out, ev);
        ++token_events_;
        if (!s.queued) {
            s.queued = true;
            s.queued_since = deadline_;
            dirty_.push_back(a.session);
        }

        const fault& f = a.faults;
        if (f.malformed_after == k) {
            ev = a.prefix;
            ev += "{\"index\":";
            detail::append_uint(ev, a.choice);
            ev += ",\"delta\":{\"content\":\" trunc\n\n";
            detail::append_http_chunk(out, ev);
        }
        if (f.error_after == k) {
            detail::append_http_chunk(
                out, "data: {\"error\":{\"message\":\"emulated engine failure (x-llmcap-fault "
                     "error_event)\",\"type\":\"InternalServerError\",\"param\":null,"
                     "\"code\":500}}\n\n");
            detail::append_http_chunk(out, "data: [DONE]\n\n");
            out += "0\r\n\r\n";
            a.group->ended = true;
            a.lost = true;
            s.end_response();
            return;
        }
        if (f.cut_after == k) {
            s.flush();
            s.kill(false);
            a.group->ended = true;
            a.lost = true;
            return;
        }
        if (f.stall_mid_after == k) {
            s.flush(); // the K tokens go out before the stall
            s.hold_for(f.stall_mid);
            if (f.stall_mid == duration{})
                a.lost = true; // held until the client leaves
        }
        // The response ends with its last choice's last token.
        if (t.last && --a.group->open_streams == 0) {
            if (a.include_usage) {
                ev = a.prefix;
                ev += "],";
                detail::append_usage(ev, a.group->prompt_tokens, a.group->output_tokens,
                                     a.group->reasoning_tokens);
                ev += "}\n\n";
                detail::append_http_chunk(out, ev);
            }
            detail::append_http_chunk(out, "data: [DONE]\n\n");
            out += "0\r\n\r\n";
            a.group->ended = true;
            s.end_response();
        }
    }

    // The JSON of a finished choice of a response that is not streamed.
    [[nodiscard]] std::string choice_json(const active_request& a) const {
        std::string body = "{\"index\":";
        detail::append_uint(body, a.choice);
        body += ',';
        if (a.api == server_api::chat_completions) {
            body += "\"message\":{\"role\":\"assistant\",\"content\":\"";
            body += a.text;
            body += "\",\"";
            body += field_name(options_.reasoning_as);
            body += "\":";
            if (a.reasoning_tokens > 0) {
                body += '"';
                body += a.reasoning_text;
                body += '"';
            } else {
                body += "null";
            }
            body += ",\"tool_calls\":[]},";
        } else {
            body += "\"text\":\"";
            body += a.text;
            body += "\",";
        }
        body += "\"logprobs\":null,\"finish_reason\":\"";
        body += a.finish_reason;
        body += "\",\"stop_reason\":null}";
        return body;
    }

    // Sends a response that is not streamed, once its last choice finished (`a`, any choice).
    void respond_complete(const active_request& a) {
        std::string body = "{\"id\":\"";
        body += a.response_id;
        body += a.api == server_api::chat_completions ? "\",\"object\":\"chat.completion\""
                                                      : "\",\"object\":\"text_completion\"";
        body += ",\"created\":";
        detail::append_uint(body, a.created);
        body += ",\"model\":\"";
        detail::append_json_escaped(body, options_.served_model_name);
        body += "\",\"choices\":[";
        for (std::size_t i = 0; i < a.group->choices.size(); ++i) {
            if (i > 0)
                body += ',';
            body += a.group->choices[i];
        }
        body += "],";
        detail::append_usage(body, a.group->prompt_tokens, a.group->output_tokens,
                             a.group->reasoning_tokens);
        body += '}';
        a.session->respond(200, "application/json", body);
    }

    void finish(request_id id) {
        std::unique_ptr<active_request> a = std::move(active_[id]);
        --in_engine_;
        std::erase(a->session->engine_requests, id);
        request_record rec;
        rec.truth = engine_.take_truth(id);
        const bool last_choice = --a->group->remaining == 0;
        if (!a->stream && !a->session->dead()) {
            a->group->choices[a->choice] = choice_json(*a);
            if (last_choice)
                respond_complete(*a);
        } else if (!a->stream) {
            a->lost = true;
        }
        rec.response_id = std::move(a->response_id);
        rec.api = a->api;
        rec.stream = a->stream;
        rec.received = a->received;
        rec.finish_reason = a->finish_reason;
        rec.reasoning_tokens = a->reasoning_tokens;
        rec.fault = a->faults.any() ? to_string(a->faults) : std::string();
        rec.client_lost = a->lost || a->session->dead();
        metrics_.on_finished(rec.truth, rec.received, rec.finish_reason);
        if (options_.log) {
            std::string line = "POST ";
            line += a->target;
            line += " 200 id=";
            line += rec.response_id;
            line += " prompt=";
            detail::append_uint(line, rec.truth.prompt_tokens);
            line += " output=";
            detail::append_uint(line, rec.truth.tokens.size());
            line += " finish=";
            line += rec.finish_reason;
            if (!rec.truth.tokens.empty()) {
                line += " ttft_ms=";
                detail::append_double(
                    line,
                    std::round(to_milliseconds(rec.truth.tokens.front() - rec.received) * 1000.0) /
                        1000.0);
                line += " e2e_ms=";
                detail::append_double(
                    line,
                    std::round(to_milliseconds(rec.truth.tokens.back() - rec.received) * 1000.0) /
                        1000.0);
            }
            if (!rec.fault.empty()) {
                line += " fault=";
                line += rec.fault;
            }
            if (rec.client_lost)
                line += " client_lost";
            log(line);
        }
        if (on_request_)
            on_request_(rec);
    }

    asio::io_context& ioc_;
    profile profile_;
    server_options options_;
    engine engine_;
    metrics_exporter metrics_;
    tokenizer tokenizer_;
    asio::ip::tcp::acceptor acceptor_;
    asio::steady_timer timer_;
    std::mt19937_64 rng_;
    std::uint16_t port_ = 0;
    bool stopped_ = false;
    std::unordered_map<detail::server_session*, std::weak_ptr<detail::server_session>> sessions_;
    std::vector<pending_arrival> pending_;                // a min-heap on (at, seq)
    std::vector<std::unique_ptr<active_request>> active_; // by engine request id
    std::vector<session_ptr> dirty_;                      // sessions with output to write, in order
    std::size_t flush_pos_ = 0; // dirty_[flush_pos_...] are still to write
    bool flush_posted_ = false; // a handler writing the next slice is queued
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
