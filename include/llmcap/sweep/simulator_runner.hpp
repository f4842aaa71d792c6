#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/emulator/energy_model.hpp>
#include <llmcap/emulator/load_shape.hpp>
#include <llmcap/emulator/profile.hpp>
#include <llmcap/emulator/simulator.hpp>
#include <llmcap/emulator/tokenizer.hpp>
#include <llmcap/prometheus/metric_map.hpp>
#include <llmcap/prometheus/scrape.hpp>
#include <llmcap/prometheus/server_cell_metrics.hpp>
#include <llmcap/sweep/cell_runner.hpp>
#include <llmcap/sweep/result.hpp>
#include <llmcap/telemetry/energy_reading.hpp>

#include <boost/asio/awaitable.hpp>

#include <algorithm> // max, min
#include <chrono>    // seconds
#include <cstdint>   // uint32_t, uint64_t
#include <optional>  // optional
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
 *
 * Energy is modelled, not measured: each engine step draws the power `power` gives for its
 * utilisation and idle power is drawn between steps. A cell's energy is that of its measured
 * requests over their span (first intended start to last end, the span system throughput
 * uses): each step's energy shared among the requests in it by tokens processed
 * (simulated_request::energy_j), plus idle power over the gaps between steps — so the
 * warm-up requests and the requests that hold the concurrency after the last measured one
 * starts, which a simulation runs alongside the measured ones, are not charged to the cell, as
 * they are not when a real server is metered (http_runner runs the warm-up first). Mean and
 * peak power are the modelled GPU's over the span, everything it ran included, so where other
 * requests ran beside the measured ones energy_j is less than mean_power_w × elapsed_s. The
 * cell's energy record says it is modelled: source `emulator`, method `power_model`.
 */
class simulator_runner {
public:
    /// A runner for `profile` (emulator::builtin_profile() for the default), its GPU's power
    /// drawn as `power` says (the default: an H200 SXM, 90 W idle, 700 W at full load).
    explicit simulator_runner(emulator::profile profile, emulator::power_model power = {})
        : profile_(std::move(profile)), power_(power) {}

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
            sim = emulator::simulate(profile_, w, shape, rng, power_);
        } catch (const std::invalid_argument& e) {
            out.error = e.what();
            co_return out;
        }
        out.energy = energy_of(sim);
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
    /// The modelled energy of the measured requests over their span; empty without requests.
    static std::optional<energy_record> energy_of(const emulator::simulation_result& sim) {
        if (sim.requests.empty())
            return std::nullopt;
        time_point from = sim.requests.front().trace.intended_start;
        time_point to = sim.requests.front().trace.end;
        for (const emulator::simulated_request& r : sim.requests) {
            from = std::min(from, r.trace.intended_start);
            to = std::max(to, r.trace.end);
        }
        if (!(to > from))
            return std::nullopt;
        double attributed_j = 0.0;
        for (const emulator::simulated_request& r : sim.requests)
            attributed_j += r.energy_j;
        double busy_s = 0.0;
        for (const emulator::simulation_result::step_power& s : sim.step_powers)
            if (std::min(s.end, to) > std::max(s.start, from))
                busy_s += to_seconds(std::min(s.end, to) - std::max(s.start, from));
        energy_record e;
        e.elapsed_s = to_seconds(to - from);
        e.energy_j = attributed_j + sim.idle_power_w * std::max(0.0, e.elapsed_s - busy_s);
        e.mean_power_w = sim.energy_j(from, to) / e.elapsed_s;
        e.peak_power_w = sim.peak_power_w(from, to);
        e.source = std::string(telemetry::energy_source_name(telemetry::energy_source::emulator));
        e.method =
            std::string(telemetry::energy_method_name(telemetry::energy_method::power_model));
        e.gpu_count = 1;
        return e;
    }

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
    emulator::power_model power_;
    duration offset_{};
};

static_assert(cell_runner<simulator_runner>);

} // namespace llmcap::sweep
