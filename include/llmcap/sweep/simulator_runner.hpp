#pragma once

#include <llmcap/client/virtual_timeline.hpp>
#include <llmcap/core/clock.hpp>
#include <llmcap/emulator/energy_model.hpp>
#include <llmcap/emulator/profile.hpp>
#include <llmcap/emulator/virtual_endpoint.hpp>
#include <llmcap/openai/dialect.hpp>
#include <llmcap/sweep/cell_runner.hpp>
#include <llmcap/sweep/http_runner.hpp>
#include <llmcap/sweep/result.hpp>
#include <llmcap/workload/corpus.hpp>
#include <llmcap/workload/trace_file.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm> // max
#include <chrono>    // seconds
#include <cstdint>   // uint64_t
#include <exception> // exception_ptr, rethrow_exception
#include <optional>  // optional
#include <stdexcept> // logic_error
#include <string>    // string
#include <utility>   // move

namespace llmcap::sweep {

/**
 * Runs cells in virtual time (a cell_runner): `run`'s own pipeline — http_runner with prompt
 * calibration through `/tokenize`, warm-up, the `/metrics` scrape, the energy meter and
 * workload::drive with the plan's load shape and stop rule — over the emulator's
 * virtual_endpoint instead of a server. A whole sweep takes seconds, for planning and tests,
 * and measures what `run` would measure against a server that behaves like the profile. This is
 * the one place the sweep layer includes the emulator (the include direction is sweep →
 * emulator).
 *
 * One engine serves the whole run; cells follow one another in virtual time, each starting one
 * virtual second after the previous one ended (after the run's latest request on a resume), so
 * the traces of a run never overlap. Energy is modelled, not measured (source `emulator`,
 * method `power_model`): idle power between engine steps and each step's power during it,
 * metered from the start to the end of the measured requests as a GPU's energy counter is.
 *
 * Each call runs the runner's own io_context on virtual time to completion before it returns,
 * so the caller's executor is blocked meanwhile (cells take milliseconds to seconds of CPU).
 */
class simulator_runner {
public:
    /// A runner for `profile` (emulator::builtin_profile() for the default), its GPU's power
    /// drawn as `power` says (the default: an H200 SXM, 90 W idle, 700 W at full load); prompt
    /// text and dataset records from `corpus` (read from `corpus_file`) when it has any, as
    /// http_runner_options says.
    explicit simulator_runner(emulator::profile profile, emulator::power_model power = {},
                              workload::corpus corpus = {}, std::string corpus_file = {})
        : endpoint_(timeline_, std::move(profile), endpoint_options(power)), meter_(endpoint_),
          runner_(
              endpoint_,
              runner_options(endpoint_.served_profile(), std::move(corpus), std::move(corpus_file)),
              &meter_) {}

    /// A runner as above whose trace cells replay `trace` (read from `trace_file`), its times
    /// multiplied by `time_scale`.
    simulator_runner(emulator::profile profile, workload::corpus corpus, std::string corpus_file,
                     workload::trace_read trace, std::string trace_file, double time_scale)
        : endpoint_(timeline_, std::move(profile), endpoint_options({})), meter_(endpoint_),
          runner_(endpoint_,
                  runner_options(endpoint_.served_profile(), std::move(corpus),
                                 std::move(corpus_file), std::move(trace), std::move(trace_file),
                                 time_scale),
                  &meter_) {}

    /// The virtual epoch: every trace counts from it.
    [[nodiscard]] time_point origin() const noexcept {
        return virtual_epoch();
    }

    /// "simulator:<profile>".
    [[nodiscard]] std::string url() const {
        return "simulator:" + endpoint_.served_profile().name;
    }

    /// The endpoint the cells run on (its timeline, steps, energy).
    [[nodiscard]] emulator::virtual_endpoint& endpoint() noexcept {
        return endpoint_;
    }

    /// The simulated server's identity, as `run` asks a server for it.
    boost::asio::awaitable<server_identity> identify() {
        server_identity s = run_virtual(runner_.identify());
        const emulator::profile& p = endpoint_.served_profile();
        s.dialect = "emulator";
        s.evidence = "virtual-time simulation of profile " + p.name + " (" + p.gpu.name + ")";
        co_return s;
    }

    /// Simulates one cell and reports its requests through `on_trace`.
    boost::asio::awaitable<cell_run> run_cell(const cell_spec& spec,
                                              const trace_callback& on_trace) {
        time_point start = timeline_.now();
        if (cells_ > 0)
            start += std::chrono::seconds(1);
        if (spec.previous_end)
            start = std::max(start, *spec.previous_end + std::chrono::seconds(1));
        ++cells_;
        cell_run out = run_virtual(wait_then_run(start, spec, on_trace));
        out.simulated = true;
        co_return out;
    }

private:
    static emulator::virtual_endpoint_options endpoint_options(emulator::power_model power) {
        emulator::virtual_endpoint_options o;
        o.power = power;
        return o;
    }

    static http_runner_options runner_options(const emulator::profile& p, workload::corpus corpus,
                                              std::string corpus_file,
                                              workload::trace_read trace = {},
                                              std::string trace_file = {},
                                              double time_scale = 1.0) {
        http_runner_options o;
        o.corpus = std::move(corpus);
        o.corpus_file = std::move(corpus_file);
        o.trace = std::move(trace);
        o.trace_file = std::move(trace_file);
        o.trace_time_scale = time_scale;
        o.url = "simulator:" + p.name;
        o.model = p.model.name;
        openai::dialect_info d; // the virtual endpoint answers as vLLM does
        d.kind = openai::dialect::vllm;
        d.model_id = p.model.name;
        d.max_model_len = p.model.max_context_tokens;
        o.dialect = d;
        return o;
    }

    boost::asio::awaitable<cell_run> wait_then_run(time_point start, const cell_spec& spec,
                                                   const trace_callback& on_trace) {
        if (start > timeline_.now()) {
            auto t = timeline_.make_timer(co_await boost::asio::this_coro::executor);
            t.expires_at(start);
            co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        }
        co_return co_await runner_.run_cell(spec, on_trace);
    }

    // Runs `work` on the run's io_context, on virtual time, to its end. The io_context lives as
    // long as the runner: the endpoint's engine loop stays suspended on it between calls.
    template <class T>
    T run_virtual(boost::asio::awaitable<T> work) {
        boost::asio::io_context& io = io_;
        std::optional<T> out;
        std::exception_ptr failure;
        bool done = false;
        boost::asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T r) {
            failure = e;
            if (!e)
                out = std::move(r);
            done = true;
        });
        if (!timeline_.run(io, [&] { return done; }))
            throw std::logic_error("simulation stalled: requests wait for an event that virtual "
                                   "time cannot bring");
        if (failure)
            std::rethrow_exception(failure);
        return std::move(*out);
    }

    client::virtual_timeline timeline_; // first: outlives everything that waits on it
    emulator::virtual_endpoint endpoint_;
    emulator::virtual_endpoint::meter meter_;
    http_runner<emulator::virtual_endpoint, emulator::virtual_endpoint::meter> runner_;
    std::uint64_t cells_ = 0;
    boost::asio::io_context io_; // last: destroyed first, with what still waits on it
};

static_assert(cell_runner<simulator_runner>);

} // namespace llmcap::sweep
