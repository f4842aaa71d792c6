#include <llmcap/emulator/server_energy_meter.hpp>
// Test that header file is self-contained.
#include <llmcap/emulator/server_energy_meter.hpp>

#include "stream_accuracy.hpp"

#include <llmcap/client/http_endpoint.hpp>
#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/emulator/server.hpp>
#include <llmcap/telemetry/any_energy_meter.hpp>
#include <llmcap/telemetry/energy_reading.hpp>
#include <llmcap/telemetry/error.hpp>

#include <doctest/doctest.h>

#include <boost/asio.hpp>

#include <chrono>    // seconds
#include <exception> // exception_ptr, rethrow_exception
#include <optional>  // optional
#include <string>    // string, to_string
#include <thread>    // thread
#include <utility>   // move
#include <vector>    // vector

namespace {

namespace asio = boost::asio;
namespace emu = llmcap::emulator;
namespace tel = llmcap::telemetry;
using namespace std::chrono_literals;
using llmcap_test::chat;
using llmcap_test::quick;
using llmcap_test::stream_all;

/// An emulator on an ephemeral loopback port, served on a thread of its own (as the sweep
/// tool's demo runs it); stopped and joined on destruction.
struct threaded_server {
    asio::io_context io;
    emu::server srv;
    std::optional<emu::server_energy_meter> meter;
    tel::any_energy_meter any; // the meter again, when asked for instead of `meter`
    asio::executor_work_guard<asio::io_context::executor_type> guard;
    std::thread thread;

    explicit threaded_server(emu::server_options o = {}, bool behind_any = false)
        : srv(io, emu::builtin_profile(), std::move(o)), guard(io.get_executor()) {
        // Before the server's thread runs: server::on_step is not thread-safe.
        if (behind_any)
            any = tel::any_energy_meter::make<emu::server_energy_meter>(io, srv);
        else
            meter.emplace(io, srv);
        srv.start();
        thread = std::thread([this] { io.run(); });
    }
    threaded_server(const threaded_server&) = delete;
    threaded_server& operator=(const threaded_server&) = delete;
    ~threaded_server() {
        asio::post(io, [this] { srv.stop(); });
        guard.reset();
        thread.join();
    }

    [[nodiscard]] std::string url() const {
        return "http://127.0.0.1:" + std::to_string(srv.port());
    }

    /// Sends `n` chat requests at once from this thread and waits for them.
    void send(std::size_t n) {
        asio::io_context client_io;
        llmcap::client::http_endpoint ep(client_io.get_executor(), url(), quick());
        std::vector<llmcap::request_trace> traces;
        asio::co_spawn(
            client_io,
            [&]() -> asio::awaitable<void> {
                traces = co_await stream_all(
                    ep, std::vector<llmcap::openai::completion_request>(n, chat(512, 32)));
            },
            [](std::exception_ptr e) {
                if (e)
                    std::rethrow_exception(e);
            });
        client_io.run_for(60s);
        REQUIRE(traces.size() == n);
        for (const llmcap::request_trace& t : traces)
            REQUIRE_MESSAGE(t.ok(), t.error_message);
    }
};

} // namespace

TEST_CASE("server_energy_meter: an idle server draws idle power, with no step and no peak "
          "above it") {
    emu::server_options o;
    o.power.idle_w = 120.0;
    threaded_server s(o);
    REQUIRE_FALSE(s.meter->start());
    const tel::energy_result r = s.meter->stop();
    REQUIRE(r.ok());
    const tel::energy_reading& e = *r.reading;
    REQUIRE(e.elapsed > llmcap::duration::zero());
    CHECK(e.mean_power_w == doctest::Approx(120.0));
    CHECK(e.energy_j == doctest::Approx(120.0 * llmcap::to_seconds(e.elapsed)));
    CHECK(e.peak_power_w == doctest::Approx(e.mean_power_w));
    CHECK(e.power_samples == 0);
    CHECK(e.source == tel::energy_source::emulator);
    CHECK(e.method == tel::energy_method::power_model);
    CHECK(e.gpu_count == 1);
}

TEST_CASE("server_energy_meter: engine steps between start() and stop() raise the mean above "
          "idle and give the peak step power") {
    emu::server_options o;
    o.time_scale = 10.0; // elapsed time is the server's emulated time
    threaded_server s(o);
    s.send(1); // a first measurement, whose peak start() must forget
    REQUIRE_FALSE(s.meter->start());
    const tel::energy_result idle = s.meter->stop();
    REQUIRE(idle.ok());
    CHECK(idle.reading->power_samples == 0);
    CHECK(*idle.reading->peak_power_w == doctest::Approx(o.power.idle_w));

    REQUIRE_FALSE(s.meter->start());
    s.send(4);
    const tel::energy_result r = s.meter->stop();
    REQUIRE(r.ok());
    const tel::energy_reading& e = *r.reading;
    CHECK(e.power_samples > 0);
    CHECK(e.mean_power_w > o.power.idle_w);
    CHECK(e.energy_j > o.power.idle_w * llmcap::to_seconds(e.elapsed));
    CHECK(e.energy_j == doctest::Approx(e.mean_power_w * llmcap::to_seconds(e.elapsed)));
    CHECK(*e.peak_power_w >= e.mean_power_w);
    CHECK(*e.peak_power_w <= o.power.max_w);
    // Emulated time: ten times the wall time the requests took, at least.
    CHECK(e.elapsed > 1ms);
}

TEST_CASE("server_energy_meter: called on the server's own thread, it reads without waiting") {
    asio::io_context io;
    emu::server srv(io, emu::builtin_profile());
    emu::server_energy_meter meter(io, srv);
    srv.start();
    llmcap::client::http_endpoint ep(io.get_executor(),
                                     "http://127.0.0.1:" + std::to_string(srv.port()), quick());
    tel::energy_result r;
    std::exception_ptr failure;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            REQUIRE_FALSE(meter.start());
            const std::vector<llmcap::request_trace> t = co_await stream_all(
                ep, std::vector<llmcap::openai::completion_request>(2, chat(256, 16)));
            REQUIRE(t.size() == 2);
            r = meter.stop();
        },
        [&](std::exception_ptr e) {
            failure = e;
            srv.stop();
        });
    io.run_for(60s);
    REQUIRE(srv.stopped());
    if (failure)
        std::rethrow_exception(failure);
    REQUIRE(r.ok());
    CHECK(r.reading->power_samples > 0);
    CHECK(r.reading->mean_power_w > srv.options().power.idle_w);
}

TEST_CASE("server_energy_meter: stop() without start() and a second start() are errors") {
    threaded_server s;
    const tel::energy_result early = s.meter->stop();
    CHECK_FALSE(early.ok());
    CHECK(early.error == tel::error::not_started);
    CHECK(early.message == "emulator: stop() without start()");
    REQUIRE_FALSE(s.meter->start());
    CHECK(s.meter->start() == tel::error::already_started);
    CHECK(s.meter->stop().ok());
    CHECK(s.meter->stop().error == tel::error::not_started);
}

TEST_CASE("server_energy_meter: behind telemetry::any_energy_meter; the server may outlive it") {
    threaded_server s({}, true);
    tel::any_energy_meter& any = s.any;
    REQUIRE_FALSE(any.start());
    CHECK_FALSE(any.sample()); // no sample() of its own: any_energy_meter's does nothing
    s.send(2);
    const tel::energy_result r = any.stop();
    REQUIRE(r.ok());
    CHECK(r.reading->power_samples > 0);
    CHECK(r.reading->source == tel::energy_source::emulator);
    any = tel::any_energy_meter(); // the server keeps the step callback, and steps on
    s.send(1);
}
