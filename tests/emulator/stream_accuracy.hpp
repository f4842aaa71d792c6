#pragma once
// Shared by tests/emulator/server.cpp (sanitized, functional checks) and
// tests/timing/emulator_accuracy.cpp (optimised, the 1 ms timing bound): requests for the
// emulator, a client driving many streams at once, and the comparison of what the client
// measured with the emulator's ground truth.

#include <llmcap/client/http_endpoint.hpp>
#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/emulator/server.hpp>
#include <llmcap/openai/request.hpp>

#include <doctest/doctest.h>

#include <boost/asio.hpp>

#if defined(__linux__)
#    include <pthread.h> // pthread_setaffinity_np, pthread_getaffinity_np
#    include <sched.h>   // cpu_set_t, CPU_SET
#endif

#include <algorithm> // sort, min, min_element
#include <chrono>    // seconds, milliseconds
#include <cmath>     // abs
#include <cstdint>   // uint32_t
#include <map>       // map
#include <string>    // string
#include <thread>    // thread
#include <vector>    // vector

namespace llmcap_test {

namespace emu_asio = boost::asio;

/// A prompt text of exactly `tokens` emulator tokens (one 4-letter word each).
inline std::string words(std::uint32_t tokens) {
    std::string s;
    s.reserve(tokens * 5);
    for (std::uint32_t i = 0; i < tokens; ++i)
        s += "abcd ";
    return s;
}

/// A chat request whose prompt is exactly `prompt_tokens` tokens (one message: its content,
/// 2 marker tokens and 1 generation-prompt token).
inline llmcap::openai::completion_request chat(std::uint32_t prompt_tokens,
                                               std::uint32_t max_tokens, bool ignore_eos = true) {
    llmcap::openai::completion_request r;
    r.model = "glm";
    r.messages = {{"user", words(prompt_tokens - 3)}};
    r.max_tokens = max_tokens;
    if (ignore_eos)
        r.ignore_eos = true;
    return r;
}

/// Client options with short timeouts and, optionally, an `x-llmcap-fault` header.
inline llmcap::client::endpoint_options quick(std::string fault = {}) {
    using namespace std::chrono_literals;
    llmcap::client::endpoint_options o;
    o.api_key_env.clear();
    o.timeouts.connect = 2s;
    o.timeouts.headers = 5s;
    o.timeouts.first_token = 5s;
    o.timeouts.idle = 5s;
    o.timeouts.total = 20s;
    o.drain = 200ms;
    if (!fault.empty())
        o.headers = {{"x-llmcap-fault", fault}};
    return o;
}

/// Sends every request at once and returns their traces in order.
inline emu_asio::awaitable<std::vector<llmcap::request_trace>>
stream_all(llmcap::client::http_endpoint& ep,
           std::vector<llmcap::openai::completion_request> reqs) {
    const auto ex = co_await emu_asio::this_coro::executor;
    std::vector<llmcap::request_trace> out(reqs.size());
    std::size_t left = reqs.size();
    emu_asio::steady_timer done(ex, llmcap::time_point::max());
    for (std::size_t i = 0; i < reqs.size(); ++i)
        emu_asio::co_spawn(
            ex,
            [&, i]() -> emu_asio::awaitable<void> {
                llmcap::client::request_context ctx;
                ctx.index = i;
                out[i] = co_await ep.stream(reqs[i], ctx);
                if (--left == 0)
                    done.cancel();
            },
            emu_asio::detached);
    if (left > 0)
        co_await done.async_wait(emu_asio::as_tuple(emu_asio::use_awaitable));
    co_return out;
}

/// The q-quantile of `v` (nearest rank).
inline double quantile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

/**
 * Keeps the server's thread and the client's on two different CPUs while it lives (Linux, when
 * the process may use two or more): left to itself, the scheduler tends to wake the client's
 * thread on the CPU of the server's thread that woke it (the two exchange data), and the
 * client then reads a step's tokens only once the server has written them all, as if the
 * machine had one CPU. A client in a process of its own on a machine with spare CPUs runs
 * beside the server. The calling thread's affinity is restored at the end.
 */
class separate_cpus {
public:
    separate_cpus() {
#if defined(__linux__)
        if (pthread_getaffinity_np(pthread_self(), sizeof saved_, &saved_) != 0)
            return;
        for (std::size_t cpu = 0; cpu < CPU_SETSIZE && count_ < 2; ++cpu)
            if (CPU_ISSET(cpu, &saved_))
                cpus_[count_++] = cpu;
#endif
    }
    separate_cpus(const separate_cpus&) = delete;
    separate_cpus& operator=(const separate_cpus&) = delete;
    ~separate_cpus() {
#if defined(__linux__)
        if (pinned_)
            pthread_setaffinity_np(pthread_self(), sizeof saved_, &saved_);
#endif
    }

    /// Pins the calling thread to the first CPU (`which` 0) or the second (1).
    void pin(int which) {
#if defined(__linux__)
        if (count_ < 2)
            return;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpus_[which == 0 ? 0 : 1], &one);
        if (pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0 && which == 1)
            pinned_ = true;
#else
        (void)which;
#endif
    }

private:
#if defined(__linux__)
    cpu_set_t saved_{};
    std::size_t cpus_[2] = {0, 0};
    int count_ = 0;
    bool pinned_ = false;
#endif
};

/// How closely the client's timestamps follow the emulator's ground truth.
struct stream_accuracy {
    std::size_t tokens = 0;          // token events compared
    double token_p99_ms = 0.0;       // client stamp - truth, every token
    double first_token_p99_ms = 0.0; // the same, first tokens only
    double ttft_p99_ms = 0.0;        // |client TTFT from send - server TTFT from receipt|
    double min_token_ms = 0.0;       // smallest client stamp - truth (negative: too early)
    double min_ttft_ms = 0.0;        // smallest client TTFT - server TTFT (signed)
    double lag_p99_ms = 0.0;         // the server's own schedule lag
    double emit_p99_ms = 0.0;        // truth to the step's last token handed to the kernel
};

/**
 * `streams` concurrent streams of `output_tokens` tokens each against an emulator at time
 * scale 1 on its own thread and CPU (as a separate process would be), sent at once; compares every
 * token's client stamp with the engine's emission time, and the client's TTFT (first token
 * - send) with the server's (first token - receipt).
 */
inline stream_accuracy measure_stream_accuracy(std::size_t streams, std::uint32_t output_tokens) {
    using namespace std::chrono_literals;
    namespace emu = llmcap::emulator;
    emu_asio::io_context server_io;
    std::vector<emu::request_record> records;
    emu::server srv(server_io, emu::builtin_profile(), emu::server_options{});
    srv.on_request([&](const emu::request_record& r) { records.push_back(r); });
    srv.start();
    separate_cpus cpus;
    std::thread server_thread([&] {
        cpus.pin(0);
        server_io.run();
    });
    cpus.pin(1); // the client: this thread

    emu_asio::io_context io;
    std::vector<llmcap::request_trace> traces;
    emu_asio::co_spawn(
        io,
        [&]() -> emu_asio::awaitable<void> {
            llmcap::client::http_endpoint ep(
                io.get_executor(), "http://127.0.0.1:" + std::to_string(srv.port()), quick());
            co_await ep.warm_up(streams);
            traces = co_await stream_all(ep, std::vector<llmcap::openai::completion_request>(
                                                 streams, chat(200, output_tokens)));
        },
        emu_asio::detached);
    io.run_for(60s);
    emu_asio::post(server_io, [&] { srv.stop(); });
    server_thread.join();

    REQUIRE(traces.size() == streams);
    std::map<std::string, const emu::request_record*> by_id;
    for (const emu::request_record& r : records)
        by_id[r.response_id] = &r;
    std::vector<double> token_diff_ms;
    std::vector<double> first_diff_ms;
    std::vector<double> ttft_diff_ms;
    stream_accuracy a;
    a.min_ttft_ms = 1e9;
    for (const llmcap::request_trace& t : traces) {
        REQUIRE_MESSAGE(t.ok(), t.error_message);
        REQUIRE(by_id.count(t.response_id) == 1);
        const emu::request_record& r = *by_id[t.response_id];
        REQUIRE(t.events.size() == r.truth.tokens.size());
        REQUIRE(t.send.has_value());
        for (std::size_t k = 0; k < t.events.size(); ++k)
            token_diff_ms.push_back(
                llmcap::to_milliseconds(t.events[k].at - srv.to_wall(r.truth.tokens[k])));
        first_diff_ms.push_back(token_diff_ms[token_diff_ms.size() - t.events.size()]);
        const double ttft_diff = llmcap::to_milliseconds((t.events.front().at - *t.send) -
                                                         (r.truth.tokens.front() - r.received));
        ttft_diff_ms.push_back(std::abs(ttft_diff));
        a.min_ttft_ms = std::min(a.min_ttft_ms, ttft_diff);
    }
    a.tokens = token_diff_ms.size();
    a.token_p99_ms = quantile(token_diff_ms, 0.99);
    a.first_token_p99_ms = quantile(first_diff_ms, 0.99);
    a.ttft_p99_ms = quantile(ttft_diff_ms, 0.99);
    a.min_token_ms = *std::min_element(token_diff_ms.begin(), token_diff_ms.end());
    a.lag_p99_ms = llmcap::to_milliseconds(srv.schedule_lag().quantile(0.99));
    a.emit_p99_ms = llmcap::to_milliseconds(srv.emit_lag().quantile(0.99));
    return a;
}

} // namespace llmcap_test
