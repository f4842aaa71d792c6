#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/telemetry/energy_meter.hpp>
#include <llmcap/telemetry/energy_reading.hpp>
#include <llmcap/telemetry/error.hpp>
#include <llmcap/telemetry/power_integrator.hpp>

#include <dlfcn.h> // dlopen, dlsym, dlclose, dlerror

#include <cstdint>      // uint32_t
#include <cstring>      // memcpy
#include <mutex>        // mutex, lock_guard
#include <optional>     // optional
#include <string>       // string, to_string
#include <system_error> // error_code
#include <utility>      // move
#include <vector>       // vector

namespace llmcap::telemetry {

/// Options of nvml_energy_meter.
struct nvml_options {
    /// The NVML library to load: a file name searched as dlopen does, or a path.
    std::string library_path = "libnvidia-ml.so.1";
    /// The GPUs to measure, by NVML index; empty: every GPU on the host.
    std::vector<unsigned> gpus;
};

namespace detail {

// NVML's C interface, declared here so that nothing links against the library.
struct nvml_device;
using nvml_return = int;
inline constexpr nvml_return nvml_success = 0;

struct nvml_api {
    nvml_return (*init)() = nullptr;
    nvml_return (*shutdown)() = nullptr;
    nvml_return (*device_count)(unsigned*) = nullptr;
    nvml_return (*device_by_index)(unsigned, nvml_device**) = nullptr;
    nvml_return (*total_energy)(nvml_device*, unsigned long long*) = nullptr; // mJ; optional
    nvml_return (*power_usage)(nvml_device*, unsigned*) = nullptr;            // mW
    nvml_return (*device_name)(nvml_device*, char*, unsigned) = nullptr;      // optional
    const char* (*error_string)(nvml_return) = nullptr;
};

template <class F>
bool resolve(void* lib, const char* name, F& out) noexcept {
    void* sym = dlsym(lib, name);
    if (!sym)
        return false;
    static_assert(sizeof(F) == sizeof(void*));
    std::memcpy(&out, &sym, sizeof out); // POSIX guarantees data and function pointers convert
    return true;
}

} // namespace detail

/**
 * Measures GPU energy through NVML, loaded with `dlopen` at run time: llmcap never links
 * against the NVIDIA driver, and on a host without it the meter is simply unavailable
 * (`available()` false, `status()` library_not_found, `status_message()` says why).
 *
 * Energy is the difference of `nvmlDeviceGetTotalEnergyConsumption` (millijoules, Volta and
 * later) between start() and stop(). GPUs without that counter fall back to integrated
 * `nvmlDeviceGetPowerUsage` (milliwatts) samples: start() and stop() take one each, sample()
 * more. Peak power comes from the samples.
 *
 * Thread safety: start(), sample() and stop() lock an internal mutex, so a power_sampler may
 * call sample() while another thread calls stop().
 */
class nvml_energy_meter {
public:
    /// Loads the library, initialises NVML and finds the chosen GPUs. Never throws for a
    /// missing library or GPU: check available().
    explicit nvml_energy_meter(nvml_options options = {}) : options_(std::move(options)) {
        open();
    }
    nvml_energy_meter(const nvml_energy_meter&) = delete;
    nvml_energy_meter& operator=(const nvml_energy_meter&) = delete;
    /// Shuts NVML down and unloads the library.
    ~nvml_energy_meter() {
        close();
    }

    /// True when NVML was loaded and the chosen GPUs were found.
    [[nodiscard]] bool available() const noexcept {
        return !status_;
    }
    /// Why the meter is unavailable; empty when available.
    [[nodiscard]] std::error_code status() const noexcept {
        return status_;
    }
    /// What went wrong when loading, in words ("no local GPU telemetry: ..."); empty when
    /// available.
    [[nodiscard]] const std::string& status_message() const noexcept {
        return status_message_;
    }
    /// Names of the measured GPUs ("NVIDIA H200"), in the order measured.
    [[nodiscard]] const std::vector<std::string>& gpu_names() const noexcept {
        return names_;
    }
    /// True when every measured GPU has an energy counter (else energy is integrated power).
    [[nodiscard]] bool has_energy_counter() const noexcept {
        return counters_;
    }

    /// Begins a measurement: reads the energy counters and takes a power sample.
    std::error_code start() {
        std::lock_guard lock(mutex_);
        if (status_)
            return status_;
        if (running_)
            return fail(error::already_started, "nvml: measurement already running");
        message_.clear();
        start_ = stamp();
        integrator_.begin(start_, static_cast<std::uint32_t>(devices_.size()));
        if (counters_) {
            start_mj_.assign(devices_.size(), 0);
            for (std::size_t i = 0; i < devices_.size(); ++i) {
                const detail::nvml_return r = api_.total_energy(devices_[i], &start_mj_[i]);
                if (r != detail::nvml_success)
                    return nvml_fail("nvmlDeviceGetTotalEnergyConsumption", r, i);
            }
        }
        running_ = true;
        const std::error_code ec = sample_locked(start_);
        if (ec && !counters_) {
            running_ = false;
            return ec;
        }
        return {};
    }

    /// Takes one power reading of every measured GPU.
    std::error_code sample() {
        std::lock_guard lock(mutex_);
        if (!running_)
            return error::not_started;
        return sample_locked(stamp());
    }

    /// Ends the measurement: energy from the counters (or integrated power), mean power over
    /// the elapsed time, peak power from the samples.
    energy_result stop() {
        std::lock_guard lock(mutex_);
        energy_result result;
        if (!running_) {
            result.error = status_ ? status_ : std::error_code(error::not_started);
            result.message = status_ ? status_message_ : "nvml: stop() without start()";
            return result;
        }
        const time_point end = stamp();
        const std::error_code sample_ec = sample_locked(end);
        running_ = false;
        energy_reading r;
        r.source = energy_source::nvml;
        r.elapsed = end - start_;
        r.gpu_count = static_cast<std::uint32_t>(devices_.size());
        if (counters_) {
            double total_mj = 0;
            for (std::size_t i = 0; i < devices_.size(); ++i) {
                unsigned long long now = 0;
                const detail::nvml_return rc = api_.total_energy(devices_[i], &now);
                if (rc != detail::nvml_success) {
                    result.error = nvml_fail("nvmlDeviceGetTotalEnergyConsumption", rc, i);
                    result.message = message_;
                    return result;
                }
                if (now < start_mj_[i]) {
                    result.error = error::counter_reset;
                    result.message = "nvml: energy counter of GPU " +
                                     std::to_string(options_gpu(i)) +
                                     " decreased during the measurement";
                    return result;
                }
                total_mj += static_cast<double>(now - start_mj_[i]);
            }
            r.energy_j = total_mj / 1000.0;
            r.method = energy_method::hardware_counter;
        } else {
            const std::optional<double> e = integrator_.energy_j(end);
            if (!e) {
                result.error = sample_ec ? sample_ec : std::error_code(error::no_power_samples);
                result.message = message_.empty() ? "nvml: no power samples" : message_;
                return result;
            }
            r.energy_j = *e;
            r.method = energy_method::integrated_power;
        }
        const double seconds = to_seconds(r.elapsed);
        r.mean_power_w = seconds > 0 ? r.energy_j / seconds : 0.0;
        r.peak_power_w = integrator_.peak_power_w();
        r.power_samples = integrator_.samples();
        result.reading = r;
        return result;
    }

    /// The message of the last failed call, in words; empty after a success.
    [[nodiscard]] std::string last_message() const {
        std::lock_guard lock(mutex_);
        return message_;
    }

private:
    nvml_options options_;
    void* lib_ = nullptr;
    bool initialised_ = false;
    detail::nvml_api api_{};
    std::error_code status_;
    std::string status_message_;
    std::vector<detail::nvml_device*> devices_;
    std::vector<std::string> names_;
    bool counters_ = false;

    mutable std::mutex mutex_;
    bool running_ = false;
    time_point start_{};
    std::vector<unsigned long long> start_mj_;
    power_integrator integrator_;
    std::string message_;

    [[nodiscard]] unsigned options_gpu(std::size_t i) const {
        return options_.gpus.empty() ? static_cast<unsigned>(i) : options_.gpus[i];
    }

    std::error_code fail(error e, std::string message) {
        message_ = std::move(message);
        return e;
    }

    std::error_code nvml_fail(const char* function, detail::nvml_return r, std::size_t gpu) {
        message_ = "nvml: ";
        message_ += function;
        message_ += " failed for GPU ";
        message_ += std::to_string(options_gpu(gpu));
        message_ += ": ";
        message_ += api_.error_string ? api_.error_string(r) : "unknown error";
        return error::nvml_call_failed;
    }

    std::error_code sample_locked(time_point at) {
        for (std::size_t i = 0; i < devices_.size(); ++i) {
            unsigned mw = 0;
            const detail::nvml_return r = api_.power_usage(devices_[i], &mw);
            if (r != detail::nvml_success)
                return nvml_fail("nvmlDeviceGetPowerUsage", r, i);
            integrator_.add(at, static_cast<std::uint32_t>(i), static_cast<double>(mw) / 1000.0);
        }
        return {};
    }

    void set_status(error e, std::string message) {
        status_ = e;
        status_message_ = std::move(message);
    }

    void open() {
        lib_ = dlopen(options_.library_path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!lib_) {
            const char* why = dlerror();
            set_status(error::library_not_found, "no local GPU telemetry: cannot load " +
                                                     options_.library_path + " (" +
                                                     (why ? why : "unknown reason") + ")");
            return;
        }
        const char* missing = nullptr;
        if (!detail::resolve(lib_, "nvmlInit_v2", api_.init))
            missing = "nvmlInit_v2";
        else if (!detail::resolve(lib_, "nvmlShutdown", api_.shutdown))
            missing = "nvmlShutdown";
        else if (!detail::resolve(lib_, "nvmlDeviceGetCount_v2", api_.device_count))
            missing = "nvmlDeviceGetCount_v2";
        else if (!detail::resolve(lib_, "nvmlDeviceGetHandleByIndex_v2", api_.device_by_index))
            missing = "nvmlDeviceGetHandleByIndex_v2";
        else if (!detail::resolve(lib_, "nvmlDeviceGetPowerUsage", api_.power_usage))
            missing = "nvmlDeviceGetPowerUsage";
        else if (!detail::resolve(lib_, "nvmlErrorString", api_.error_string))
            missing = "nvmlErrorString";
        if (missing) {
            set_status(error::symbol_not_found, "no local GPU telemetry: " + options_.library_path +
                                                    " has no function " + missing);
            return;
        }
        (void)detail::resolve(lib_, "nvmlDeviceGetTotalEnergyConsumption", api_.total_energy);
        (void)detail::resolve(lib_, "nvmlDeviceGetName", api_.device_name);

        detail::nvml_return r = api_.init();
        if (r != detail::nvml_success) {
            set_status(error::nvml_call_failed,
                       std::string("no local GPU telemetry: nvmlInit_v2 failed: ") +
                           api_.error_string(r));
            return;
        }
        initialised_ = true;
        unsigned count = 0;
        r = api_.device_count(&count);
        if (r != detail::nvml_success) {
            set_status(error::nvml_call_failed,
                       std::string("nvml: nvmlDeviceGetCount_v2 failed: ") + api_.error_string(r));
            return;
        }
        if (count == 0) {
            set_status(error::no_gpus, "no local GPU telemetry: NVML reports no GPU");
            return;
        }
        std::vector<unsigned> chosen = options_.gpus;
        if (chosen.empty())
            for (unsigned i = 0; i < count; ++i)
                chosen.push_back(i);
        for (unsigned index : chosen) {
            if (index >= count) {
                set_status(error::invalid_gpu, "nvml: no GPU " + std::to_string(index) +
                                                   " (NVML reports " + std::to_string(count) + ")");
                return;
            }
            detail::nvml_device* dev = nullptr;
            r = api_.device_by_index(index, &dev);
            if (r != detail::nvml_success) {
                set_status(error::nvml_call_failed, "nvml: nvmlDeviceGetHandleByIndex_v2(" +
                                                        std::to_string(index) +
                                                        ") failed: " + api_.error_string(r));
                return;
            }
            devices_.push_back(dev);
            char name[96] = {};
            if (api_.device_name &&
                api_.device_name(dev, name, sizeof name) == detail::nvml_success)
                names_.emplace_back(name);
            else
                names_.emplace_back("GPU " + std::to_string(index));
        }
        // Probe the energy counter once: absent function or "not supported" on any GPU means
        // integrating power for all of them.
        counters_ = api_.total_energy != nullptr;
        for (detail::nvml_device* dev : devices_) {
            unsigned long long mj = 0;
            if (counters_ && api_.total_energy(dev, &mj) != detail::nvml_success)
                counters_ = false;
        }
    }

    void close() noexcept {
        if (initialised_ && api_.shutdown)
            api_.shutdown();
        initialised_ = false;
        if (lib_)
            dlclose(lib_);
        lib_ = nullptr;
    }
};

static_assert(power_sampling_meter<nvml_energy_meter>);

} // namespace llmcap::telemetry
