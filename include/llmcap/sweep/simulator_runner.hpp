#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/emulator/load_shape.hpp>
#include <llmcap/emulator/profile.hpp>
#include <llmcap/emulator/simulator.hpp>
#include <llmcap/emulator/tokenizer.hpp>
#include <llmcap/prometheus/metric_map.hpp>
#include <llmcap/prometheus/scrape.hpp>
#include <llmcap/prometheus/server_cell_metrics.hpp>
#include <llmcap/sweep/cell_runner.hpp>
#include <llmcap/sweep/result.hpp>

#include <boost/asio/awaitable.hpp>

#include <algorithm> // max
#include <chrono>    // seconds
#include <cstdint>   // uint32_t, uint64_t
#include <random>    // mt19937_64
#include <span>      // span
#include <string>    // string
#include <utility>   // move
#include <vector>    // vector

namespace llmcap::sweep {

/**
 * Runs cells in the emulator's virtual-time simulator (a cell_runner): a whole sweep in
 * seconds, for planning and tests. This is the one place the sweep layer includes the emulator
 * (the include direction is sweep → emulator).
 *
 * Each cell is a fresh simulation of the profile's engine; cells follow one another in virtual
 * time (one virtual second apart), so the traces of a run never overlap. Closed loop holds the
 * concurrency until every measured request has ended; open loop uses Poisson arrivals (the
 * simulator has no burstiness) capped at the cell's concurrency. The stop rule's request count
 * (else its floor) sets the measured requests, its duration the start window; the confidence
 * rule is not simulated. Queue wait and prefill time come from the simulated server's
 * per-request metrics, as vLLM reports them. Warm-up requests are run but not reported as
 * traces (cell_run::warmup_requests counts them).
 */
class simulator_runner {
public:
    /// A runner for `profile` (emulator::builtin_profile() for the default).
    explicit simulator_runner(emulator::profile profile) : profile_(std::move(profile)) {}

    /// The virtual epoch: every trace counts from it.
    [[nodiscard]] time_point origin() const noexcept {
        return emulator::virtual_epoch();
    }

    /// "simulator:<profile>".
    [[nodiscard]] std::string url() const {
        return "simulator:" + profile_.name;
    }

    /// The simulated server's identity.
    boost::asio::awaitable<server_identity> identify() {
        server_identity s;
        s.dialect = "emulator";
        s.model_id = profile_.model.name;
        s.max_model_len = profile_.model.max_context_tokens;
        s.evidence =
            "virtual-time simulation of profile " + profile_.name + " (" + profile_.gpu.name + ")";
        co_return s;
    }

    /// Simulates one cell and reports its measured requests.
    boost::asio::awaitable<cell_run> run_cell(const cell_spec& spec,
                                              const trace_callback& on_trace) {
        cell_run out;
        out.simulated = true;
        out.next_index = spec.first_index;
        if (spec.stop_signal != nullptr && spec.stop_signal->stop_requested()) {
            out.stop_reason = "cancelled";
            co_return out;
        }
        if (spec.previous_end)
            offset_ = std::max(offset_, *spec.previous_end + std::chrono::seconds(1) -
                                            emulator::virtual_epoch());
        emulator::workload w;
        w.prompt_tokens =
            spec.prompt.empty()
                ? spec.key.context_tokens
                : static_cast<std::uint32_t>(emulator::tokenizer::count(spec.prompt) + 3);
        w.output_tokens = spec.key.output_tokens;
        const std::uint64_t measured = spec.stop.requests > 0
                                           ? spec.stop.requests
                                           : std::max<std::uint64_t>(spec.stop.min_requests, 1);
        emulator::load_shape shape;
        if (spec.load.open) {
            emulator::poisson_arrivals a;
            a.rate_per_s = spec.load.rate_per_s;
            a.warmup_requests = static_cast<std::uint32_t>(spec.warmup_requests);
            a.measured_requests = static_cast<std::uint32_t>(measured);
            a.max_concurrency = spec.key.concurrency;
            shape = a;
        } else {
            emulator::closed_loop c;
            c.concurrency = spec.key.concurrency;
            c.warmup_requests = static_cast<std::uint32_t>(spec.warmup_requests);
            c.measured_requests = static_cast<std::uint32_t>(measured);
            c.hold_concurrency = true;
            if (spec.stop.max_duration)
                c.start_window = *spec.stop.max_duration;
            shape = c;
        }
        std::mt19937_64 rng(spec.seed ^ (std::uint64_t{spec.key.context_tokens} << 20) ^
                            (std::uint64_t{spec.key.output_tokens} << 40) ^ spec.key.concurrency);
        emulator::simulation_result sim;
        try {
            sim = emulator::simulate(profile_, w, shape, rng);
        } catch (const std::invalid_argument& e) {
            out.error = e.what();
            co_return out;
        }
        std::vector<request_trace> traces;
        traces.reserve(sim.requests.size());
        std::uint64_t index = spec.first_index + spec.warmup_requests;
        for (emulator::simulated_request& r : sim.requests) {
            request_trace t = std::move(r.trace);
            shift(t, offset_);
            t.index = index++;
            traces.push_back(std::move(t));
        }
        for (const request_trace& t : traces)
            on_trace(t, false);
        out.warmup_requests = spec.warmup_requests;
        out.next_index = index;
        out.stop_reason =
            spec.stop.max_duration && sim.requests.size() < measured ? "duration" : "request_count";
        const prometheus::scrape none;
        prometheus::cell_metric_inputs in;
        in.traces = std::span<const request_trace>(traces);
        out.server = to_record(
            prometheus::compute_server_cell_metrics(prometheus::vllm_v1_metrics, none, none, in));
        offset_ += sim.elapsed + std::chrono::seconds(1);
        co_return out;
    }

private:
    static void shift(request_trace& t, duration d) {
        t.intended_start += d;
        if (t.send)
            *t.send += d;
        if (t.headers)
            *t.headers += d;
        t.end += d;
        for (token_event& e : t.events)
            e.at += d;
    }

    emulator::profile profile_;
    duration offset_{};
};

static_assert(cell_runner<simulator_runner>);

} // namespace llmcap::sweep
