#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/emulator/server.hpp>
#include <llmcap/emulator/server_records.hpp>
#include <llmcap/telemetry/energy_meter.hpp>
#include <llmcap/telemetry/energy_reading.hpp>
#include <llmcap/telemetry/error.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>    // max
#include <cstddef>      // size_t
#include <future>       // future
#include <memory>       // shared_ptr, make_shared
#include <system_error> // error_code

namespace llmcap::emulator {

/**
 * A telemetry::energy_meter over the real-time emulator's modelled GPU: start() and stop() read
 * the server's energy counter (server::energy_j, emulated time), and the reading's peak is the
 * highest step power (step_record::power_w) in between. Readings say `source = emulator`,
 * `method = power_model`: an estimate from emulator::power_model, not a measurement.
 *
 * ```cpp
 * asio::io_context server_ioc;
 * emulator::server srv(server_ioc, emulator::builtin_profile());
 * emulator::server_energy_meter meter(server_ioc, srv); // before the server steps
 * srv.start();
 * std::thread t([&] { server_ioc.run(); });
 * sweep::http_runner<client::http_endpoint, emulator::server_energy_meter> runner(ep, o, &meter);
 * ```
 *
 * Threads: the server's state lives on its io_context's thread. When the caller is on that
 * thread (one io_context for server and client), start() and stop() read the counter directly;
 * otherwise they post the read there and wait for it, so that io_context must be running on
 * another thread meanwhile. The step callback runs on the server's thread too, so the peak
 * needs no lock.
 *
 * The meter takes the server's on_step callback (server::on_step holds one, and is not
 * thread-safe): build it before the server's io_context runs, or on its thread, and install no
 * other step callback afterwards. The callback shares the peak's state with the meter, so the
 * meter may be moved or destroyed before the server; the server must outlive every start() and
 * stop().
 */
class server_energy_meter {
public:
    /// A meter on `srv`, whose io_context is `server_ioc`; installs the step callback (see
    /// above for when).
    server_energy_meter(boost::asio::io_context& server_ioc, server& srv)
        : ioc_(&server_ioc), server_(&srv), steps_(std::make_shared<step_state>()) {
        srv.on_step([steps = steps_](const step_record& s) {
            steps->peak_w = std::max(steps->peak_w, s.power_w);
            ++steps->count;
        });
    }

    /// Reads the counter and begins a measurement (a new peak). error::already_started while
    /// a measurement runs.
    std::error_code start() {
        if (running_)
            return telemetry::error::already_started;
        start_ = read(true);
        running_ = true;
        return {};
    }

    /**
     * Reads the counter and ends the measurement: energy is the counter's difference, mean
     * power that over the emulated time elapsed, peak the highest step power since start()
     * (at least the mean), power_samples the steps run. error::not_started without a start().
     */
    telemetry::energy_result stop() {
        telemetry::energy_result out;
        if (!running_) {
            out.error = telemetry::error::not_started;
            out.message = "emulator: stop() without start()";
            return out;
        }
        running_ = false;
        const counter end = read(false);
        telemetry::energy_reading r;
        r.elapsed = end.at - start_.at;
        r.energy_j = end.energy_j - start_.energy_j;
        const double seconds = to_seconds(r.elapsed);
        r.mean_power_w = seconds > 0.0 ? r.energy_j / seconds : 0.0;
        r.peak_power_w = std::max(end.peak_w, r.mean_power_w);
        r.source = telemetry::energy_source::emulator;
        r.method = telemetry::energy_method::power_model;
        r.power_samples = end.steps;
        r.gpu_count = 1;
        out.reading = r;
        return out;
    }

private:
    /// Peak step power and steps since the last start(); touched on the server's thread only.
    struct step_state {
        double peak_w = 0.0;
        std::size_t count = 0;
    };

    /// The counter at one moment.
    struct counter {
        time_point at{};
        double energy_j = 0.0;
        double peak_w = 0.0;
        std::size_t steps = 0;
    };

    /// The counter now, read on the server's thread; `reset` starts a new peak.
    counter read(bool reset) {
        auto take = [srv = server_, steps = steps_, reset] {
            counter c;
            c.at = srv->to_emulated(stamp());
            c.energy_j = srv->energy_j(c.at);
            c.peak_w = steps->peak_w;
            c.steps = steps->count;
            if (reset)
                *steps = step_state{};
            return c;
        };
        if (ioc_->get_executor().running_in_this_thread())
            return take();
        return boost::asio::post(*ioc_, boost::asio::use_future(take)).get();
    }

    boost::asio::io_context* ioc_;
    server* server_;
    std::shared_ptr<step_state> steps_;
    counter start_;
    bool running_ = false;
};

static_assert(telemetry::energy_meter<server_energy_meter>);

} // namespace llmcap::emulator
