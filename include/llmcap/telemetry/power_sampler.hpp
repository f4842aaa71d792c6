#pragma once

#include <llmcap/telemetry/energy_meter.hpp>

#include <atomic>             // atomic
#include <chrono>             // milliseconds
#include <condition_variable> // condition_variable_any
#include <cstdint>            // uint64_t
#include <mutex>              // mutex, unique_lock
#include <stop_token>         // stop_token
#include <system_error>       // error_code
#include <thread>             // jthread

namespace llmcap::telemetry {

/**
 * Opt-in background sampling: calls `meter.sample()` every `interval` on a std::jthread from
 * construction until stop() or destruction (RAII). The library starts no thread otherwise.
 *
 * ```cpp
 * meter.start();
 * {
 *     telemetry::power_sampler sampler(meter, std::chrono::milliseconds(100));
 *     run_cell();
 * }                               // sampling stops here
 * energy_result r = meter.stop();
 * ```
 *
 * The meter must outlive the sampler; models lock inside sample(), so stop() may also be
 * called while the sampler runs (its later samples then fail with not_started, harmlessly).
 */
template <power_sampling_meter Meter>
class power_sampler {
public:
    /// Starts sampling `meter` every `interval`, the first sample as soon as the thread runs.
    power_sampler(Meter& meter, std::chrono::milliseconds interval)
        : meter_(meter), interval_(interval), thread_([this](std::stop_token st) { run(st); }) {}
    power_sampler(const power_sampler&) = delete;
    power_sampler& operator=(const power_sampler&) = delete;
    /// Stops sampling and joins the thread.
    ~power_sampler() {
        stop();
    }

    /// Stops sampling and joins the thread; idempotent.
    void stop() {
        if (thread_.joinable()) {
            thread_.request_stop();
            thread_.join();
        }
    }
    /// Samples taken so far (successful or not).
    [[nodiscard]] std::uint64_t samples() const noexcept {
        return samples_.load(std::memory_order_relaxed);
    }
    /// Samples that returned an error.
    [[nodiscard]] std::uint64_t failures() const noexcept {
        return failures_.load(std::memory_order_relaxed);
    }

private:
    Meter& meter_;
    std::chrono::milliseconds interval_;
    std::atomic<std::uint64_t> samples_{0};
    std::atomic<std::uint64_t> failures_{0};
    std::mutex mutex_;
    std::condition_variable_any wake_;
    std::jthread thread_; // last: starts after the members it uses exist

    void run(std::stop_token st) {
        while (!st.stop_requested()) {
            const std::error_code ec = meter_.sample();
            samples_.fetch_add(1, std::memory_order_relaxed);
            if (ec)
                failures_.fetch_add(1, std::memory_order_relaxed);
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, st, interval_, [] { return false; });
        }
    }
};

} // namespace llmcap::telemetry
