#pragma once

#include <llmcap/telemetry/energy_reading.hpp>

#include <concepts>     // same_as
#include <system_error> // error_code

namespace llmcap::telemetry {

/**
 * Measures the energy GPUs use between two moments.
 *
 * 1. `m.start()` begins a measurement and returns an error code (empty on success): it reads
 *    the energy counters or takes the first power sample.
 * 2. `m.stop()` ends it and returns an energy_result: joules, mean and peak watts, duration,
 *    source and method (counter or integrated power), or the error with a message.
 *
 * Models: nvml_energy_meter, nvidia_smi_power_meter, dcgm_energy_meter.
 */
template <class M>
concept energy_meter = requires(M& m) {
    { m.start() } -> std::same_as<std::error_code>;
    { m.stop() } -> std::same_as<energy_result>;
};

/**
 * An energy_meter that can also take a power sample on request, for the peak and mean power
 * (and for the energy when there is no counter to read).
 *
 * 1. `m.sample()` takes one power reading of every chosen GPU and returns an error code; it
 *    may be called from another thread than start() and stop() (models lock inside).
 *
 * The meter never starts a thread: the caller drives sample(), or opts in to power_sampler,
 * which calls it on a std::jthread.
 */
template <class M>
concept power_sampling_meter = energy_meter<M> && requires(M& m) {
    { m.sample() } -> std::same_as<std::error_code>;
};

} // namespace llmcap::telemetry
