// Throughput and schedule lag of the real-time emulator server (docs/emulator-server.md).
//
// The server runs on one thread and a minimal load generator on another: N keep-alive
// connections, each streaming one chat request after another (closed loop), read with 64 KiB
// reads and no parsing beyond finding the end of each response, so that the server is what is
// measured. Output lengths are drawn by the server (no ignore_eos) from an exponential
// distribution of the given mean, capped at 4 x the mean, so that requests end and new ones
// arrive spread over time as in a real load; a mean of 0 asks for exactly 512 tokens
// (ignore_eos), so that every stream ends in the same step. For each time scale it reports
// the token events the server wrote per wall second beside the schedule lag P99 (how late the
// engine timer fired) and whether both meet the goal (>= 200,000 events/s, lag P99 <= 1 ms),
// then the lag's P50 and maximum, the emission lag (a step's deadline to its tokens handed to
// the kernel, per connection written) at P50/P99/max, and the server thread's CPU time per
// token event (which does not depend on how crowded the machine is). Lags of 100001 us mean
// "100 ms or more" (the recorder's last bucket).
//
// Usage: llmcap_bench_emulator_server [streams=2000] [seconds=3] [max_num_seqs=2048]
//                                      [scales=1,2,4,8] [mean_output_tokens=512]

#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/emulator/server.hpp>

#include <boost/asio.hpp>

#include <sys/resource.h> // getrusage

#include <algorithm> // max
#include <atomic>    // atomic
#include <chrono>    // seconds
#include <cstdio>    // printf
#include <cstdlib>   // strtoul, strtod
#include <future>    // promise
#include <sstream>   // istringstream
#include <string>    // string
#include <thread>    // thread
#include <vector>    // vector

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// One closed-loop stream: send a request, read until the end of the chunked body, repeat.
asio::awaitable<void> stream_loop(tcp::endpoint server, std::string request, const bool& stop,
                                  std::atomic<std::uint64_t>& responses) {
    tcp::socket s(co_await asio::this_coro::executor);
    auto [cec] = co_await s.async_connect(server, asio::as_tuple(asio::use_awaitable));
    if (cec)
        co_return;
    s.set_option(tcp::no_delay(true));
    std::vector<char> buf(64 * 1024);
    constexpr std::string_view end_marker = "\r\n0\r\n\r\n";
    std::string tail;
    while (!stop) {
        auto [wec, wn] = co_await asio::async_write(s, asio::buffer(request),
                                                    asio::as_tuple(asio::use_awaitable));
        (void)wn;
        if (wec)
            co_return;
        tail.clear();
        for (;;) {
            auto [rec, n] =
                co_await s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
            if (rec)
                co_return;
            // Keep the last bytes so the end marker is found across reads.
            tail.append(buf.data(), n);
            if (tail.size() > end_marker.size())
                tail.erase(0, tail.size() - end_marker.size());
            if (tail == end_marker)
                break;
        }
        ++responses;
    }
}

struct result {
    double events_per_s = 0.0;
    double responses_per_s = 0.0;
    std::uint64_t steps = 0;
    double lag_p50_us = 0.0, lag_p99_us = 0.0, lag_max_us = 0.0;
    double emit_p50_us = 0.0, emit_p99_us = 0.0, emit_max_us = 0.0;
    std::size_t connections = 0;
    double cpu_us_per_event = 0.0; // server thread CPU time (user + system) per token event
};

// CPU time of the calling thread, seconds.
double thread_cpu_s() {
    rusage u{};
    getrusage(RUSAGE_THREAD, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double us(llmcap::duration d) {
    return llmcap::to_seconds(d) * 1e6;
}

result run(std::size_t streams, double seconds, std::uint32_t max_num_seqs, double scale,
           double mean_output_tokens) {
    llmcap::emulator::profile p = llmcap::emulator::builtin_profile();
    p.engine.max_num_seqs = max_num_seqs;
    llmcap::emulator::server_options o;
    o.time_scale = scale;
    o.mean_output_tokens = mean_output_tokens;
    asio::io_context server_io;
    llmcap::emulator::server srv(server_io, p, o);
    srv.start();
    std::thread server_thread([&] { server_io.run(); });

    std::string prompt;
    for (int i = 0; i < 125; ++i)
        prompt += "abcd "; // 125 tokens + 3 of the chat template: 128
    const std::string lengths =
        mean_output_tokens > 0
            ? R"("max_tokens":)" +
                  std::to_string(static_cast<std::uint64_t>(4 * mean_output_tokens)) + ","
            : std::string(R"("max_tokens":512,"ignore_eos":true,)");
    const std::string body = R"({"model":"m","messages":[{"role":"user","content":")" + prompt +
                             R"("}],)" + lengths +
                             R"("stream":true,"stream_options":{"include_usage":true}})";
    const std::string request = "POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\n"
                                "content-type: application/json\r\ncontent-length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
    asio::io_context client_io;
    bool stop = false;
    std::atomic<std::uint64_t> responses{0};
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), srv.port());
    for (std::size_t i = 0; i < streams; ++i)
        asio::co_spawn(client_io, stream_loop(ep, request, stop, responses), asio::detached);
    std::thread client_thread([&] { client_io.run(); });

    // Warm up until the prompts are prefilled and every stream is decoding (the server has
    // written two tokens per stream), at most 60 s; then measure.
    const auto warm_limit = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (;;) {
        std::promise<std::uint64_t> events;
        auto f = events.get_future();
        asio::post(server_io, [&] { events.set_value(srv.token_events()); });
        if (f.get() >= 2 * streams || std::chrono::steady_clock::now() > warm_limit)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    result r;
    std::uint64_t events0 = 0, steps0 = 0, responses0 = 0;
    double cpu0 = 0.0;
    asio::post(server_io, [&] {
        srv.reset_lag_statistics();
        events0 = srv.token_events();
        steps0 = srv.steps();
        cpu0 = thread_cpu_s();
    });
    responses0 = responses.load();
    const auto t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    std::uint64_t events1 = 0, steps1 = 0, responses1 = 0;
    std::promise<void> read;
    auto done = read.get_future();
    asio::post(server_io, [&] {
        const auto t1 = std::chrono::steady_clock::now();
        events1 = srv.token_events();
        steps1 = srv.steps();
        const double wall = std::chrono::duration<double>(t1 - t0).count();
        r.events_per_s = static_cast<double>(events1 - events0) / wall;
        r.steps = steps1 - steps0;
        r.lag_p50_us = us(srv.schedule_lag().quantile(0.5));
        r.lag_p99_us = us(srv.schedule_lag().quantile(0.99));
        r.lag_max_us = us(srv.schedule_lag().max());
        r.emit_p50_us = us(srv.emit_lag().quantile(0.5));
        r.emit_p99_us = us(srv.emit_lag().quantile(0.99));
        r.emit_max_us = us(srv.emit_lag().max());
        r.connections = srv.connections();
        r.cpu_us_per_event = (thread_cpu_s() - cpu0) * 1e6 /
                             static_cast<double>(std::max<std::uint64_t>(1, events1 - events0));
        srv.stop();
        read.set_value();
    });
    done.wait();
    responses1 = responses.load();
    asio::post(client_io, [&] { stop = true; });
    server_thread.join();
    client_io.stop();
    client_thread.join();
    r.responses_per_s = static_cast<double>(responses1 - responses0) / seconds;
    return r;
}

// Baseline: how late a bare steady_timer fires on this machine (no server, no sockets),
// every 5 ms, 400 times.
llmcap::emulator::detail::server_lag_recorder timer_baseline() {
    asio::io_context io;
    asio::steady_timer t(io);
    llmcap::emulator::detail::server_lag_recorder lag;
    for (int i = 0; i < 400; ++i) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(5);
        t.expires_at(deadline);
        t.wait();
        lag.record(std::chrono::steady_clock::now() - deadline);
    }
    return lag;
}

} // namespace

int main(int argc, char** argv) {
    const std::size_t streams = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 2000;
    const double seconds = argc > 2 ? std::strtod(argv[2], nullptr) : 3.0;
    const auto max_num_seqs =
        static_cast<std::uint32_t>(argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 2048);
    std::vector<double> scales{1, 2, 4, 8};
    if (argc > 4) {
        scales.clear();
        std::istringstream in(argv[4]);
        std::string item;
        while (std::getline(in, item, ','))
            scales.push_back(std::strtod(item.c_str(), nullptr));
    }
    const double mean_output = argc > 5 ? std::strtod(argv[5], nullptr) : 512.0;
    if (mean_output > 0)
        std::printf("streams %zu, max_num_seqs %u, prompt 128 tokens, output drawn with mean %.0f "
                    "tokens (at most %.0f), closed loop, %.1f s measured per row\n",
                    streams, max_num_seqs, mean_output, 4 * mean_output, seconds);
    else
        std::printf("streams %zu, max_num_seqs %u, prompt 128 tokens, 512 output tokens "
                    "(ignore_eos), closed loop, %.1f s measured per row\n",
                    streams, max_num_seqs, seconds);
    const auto base = timer_baseline();
    std::printf("baseline: a bare steady_timer fires late by P50 %.0f us, P99 %.0f us, max %.0f "
                "us\n",
                us(base.quantile(0.5)), us(base.quantile(0.99)), us(base.max()));
    std::printf("%6s %10s %11s %5s %9s %7s %11s %11s %9s %9s %9s %6s %9s\n", "scale", "events/s",
                "lag p99 us", "goal", "resp/s", "steps", "lag p50 us", "lag max us", "emit p50",
                "emit p99", "emit max", "conns", "cpu us/ev");
    for (double scale : scales) {
        const result r = run(streams, seconds, max_num_seqs, scale, mean_output);
        const bool met = r.events_per_s >= 200000 && r.lag_p99_us <= 1000 && r.connections >= 2000;
        std::printf(
            "%6.1f %10.0f %11.0f %5s %9.1f %7llu %11.0f %11.0f %9.0f %9.0f %9.0f %6zu %9.2f\n",
            scale, r.events_per_s, r.lag_p99_us, met ? "met" : "no", r.responses_per_s,
            static_cast<unsigned long long>(r.steps), r.lag_p50_us, r.lag_max_us, r.emit_p50_us,
            r.emit_p99_us, r.emit_max_us, r.connections, r.cpu_us_per_event);
        std::fflush(stdout);
    }
    return 0;
}
