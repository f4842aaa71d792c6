// How well one client thread keeps an open-loop schedule (docs/performance.md): the sweep's
// own pipeline — client::http_endpoint and workload::drive with a Poisson open_loop shape —
// sends short chat requests (16-token prompts, 4-token answers) to the real-time emulator at a
// fixed rate, and reports the send lag (the request's first byte on the wire − its scheduled
// arrival) at P50, P99, P99.9 and max, the requests later than 1 ms, and the achieved rate
// beside the offered one. The emulator serves on its own thread, time-scaled so that its
// answers take microseconds; on a 2-core machine the two threads share the CPUs, and the
// lag includes every wait for one. Goal (#17): P99 < 200 us and none later than 1 ms at
// 10,000 requests/s on an idle machine.
//
// Usage: llmcap_bench_open_loop [rates=1000,5000,10000] [seconds=3] [time_scale=1000]
//                               [max_in_flight=4096]

#include <llmcap/client/http_endpoint.hpp>
#include <llmcap/core/clock.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/emulator/server.hpp>
#include <llmcap/stats/exact_quantiles.hpp>
#include <llmcap/workload/load_driver.hpp>
#include <llmcap/workload/load_shape.hpp>
#include <llmcap/workload/request_options.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>  // seconds
#include <cstdint> // uint64_t
#include <cstdio>  // printf
#include <cstdlib> // strtod, strtoul
#include <random>  // mt19937_64
#include <sstream> // istringstream
#include <string>  // string
#include <thread>  // thread
#include <vector>  // vector

namespace {

namespace asio = boost::asio;

struct outcome {
    double offered = 0.0;
    double achieved = 0.0;
    std::uint64_t sent = 0;
    std::uint64_t failed = 0;
    std::uint64_t late = 0; // send lag above 1 ms
    double p50_us = 0.0, p99_us = 0.0, p999_us = 0.0, max_us = 0.0;
};

outcome run(double rate, double seconds, double time_scale, std::uint32_t max_in_flight) {
    llmcap::emulator::profile p = llmcap::emulator::builtin_profile();
    p.engine.max_num_seqs = 4096;
    llmcap::emulator::server_options so;
    so.time_scale = time_scale;
    asio::io_context server_io;
    llmcap::emulator::server srv(server_io, p, so);
    srv.start();
    auto guard = asio::make_work_guard(server_io);
    std::thread server_thread([&] { server_io.run(); });

    asio::io_context io;
    llmcap::client::endpoint_options eo;
    eo.api_key_env.clear();
    llmcap::client::http_endpoint endpoint(io.get_executor(),
                                           "http://127.0.0.1:" + std::to_string(srv.port()), eo);
    llmcap::workload::request_options ro;
    ro.model = p.model.name;
    ro.max_tokens = 4;
    const std::string prompt = "Say four words about the sea, please, in plain English now.";
    auto make = [&](std::uint64_t index) {
        return llmcap::workload::prepared_request{
            llmcap::workload::make_request(ro, std::to_string(index) + " " + prompt, index), 0};
    };
    llmcap::stats::exact_quantiles lags;
    outcome o;
    o.offered = rate;
    std::optional<llmcap::time_point> first_send, last_send;
    auto record = [&](const llmcap::request_trace& t, bool) {
        if (!t.ok())
            ++o.failed;
        if (!t.send)
            return;
        ++o.sent;
        const double lag = llmcap::to_seconds(*t.send - t.intended_start);
        lags.add(lag);
        o.late += lag > 0.001 ? 1u : 0u;
        first_send = first_send ? std::min(*first_send, *t.send) : *t.send;
        last_send = last_send ? std::max(*last_send, *t.send) : *t.send;
    };
    std::mt19937_64 rng(1);
    llmcap::workload::driver_options d;
    d.stop.requests = static_cast<std::uint64_t>(rate * seconds);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            llmcap::workload::open_loop shape(rate, 1.0, max_in_flight, rng, llmcap::stamp());
            co_await llmcap::workload::drive(endpoint, shape, make, record, d);
        },
        [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        });
    io.run();
    asio::post(server_io, [&] { srv.stop(); });
    guard.reset();
    server_thread.join();
    if (o.sent >= 2 && *last_send > *first_send)
        o.achieved = static_cast<double>(o.sent - 1) / llmcap::to_seconds(*last_send - *first_send);
    if (lags.count() > 0) {
        o.p50_us = lags.quantile(0.5) * 1e6;
        o.p99_us = lags.quantile(0.99) * 1e6;
        o.p999_us = lags.quantile(0.999) * 1e6;
        o.max_us = lags.quantile(1.0) * 1e6;
    }
    return o;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<double> rates{1000, 5000, 10000};
    if (argc > 1) {
        rates.clear();
        std::istringstream in(argv[1]);
        for (std::string r; std::getline(in, r, ',');)
            rates.push_back(std::strtod(r.c_str(), nullptr));
    }
    const double seconds = argc > 2 ? std::strtod(argv[2], nullptr) : 3.0;
    const double scale = argc > 3 ? std::strtod(argv[3], nullptr) : 1000.0;
    const auto cap =
        static_cast<std::uint32_t>(argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 4096);
    std::printf("open loop, one client thread, emulator time scale %.0f, cap %u in flight, %.0f s "
                "per rate\n",
                scale, cap, seconds);
    std::printf("%10s %10s %8s %7s %9s %9s %9s %9s %9s  goal (P99 < 200 us, none > 1 ms)\n",
                "offered/s", "achieved/s", "sent", "failed", "P50 us", "P99 us", "P99.9 us",
                "max us", "> 1 ms");
    for (const double rate : rates) {
        const outcome o = run(rate, seconds, scale, cap);
        const bool met = o.p99_us < 200.0 && o.late == 0;
        std::printf("%10.0f %10.0f %8llu %7llu %9.1f %9.1f %9.1f %9.1f %9llu  %s\n", o.offered,
                    o.achieved, static_cast<unsigned long long>(o.sent),
                    static_cast<unsigned long long>(o.failed), o.p50_us, o.p99_us, o.p999_us,
                    o.max_us, static_cast<unsigned long long>(o.late), met ? "met" : "missed");
    }
    return 0;
}
