#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/prometheus/parser.hpp>
#include <llmcap/prometheus/scrape.hpp>
#include <llmcap/telemetry/energy_meter.hpp>
#include <llmcap/telemetry/energy_reading.hpp>
#include <llmcap/telemetry/error.hpp>
#include <llmcap/telemetry/power_integrator.hpp>

#include <cstdint>      // uint32_t
#include <functional>   // function
#include <mutex>        // mutex, lock_guard
#include <optional>     // optional
#include <string>       // string
#include <string_view>  // string_view
#include <system_error> // error_code
#include <utility>      // move
#include <vector>       // vector

namespace llmcap::telemetry {

/// The DCGM exporter's cumulative energy counter, millijoules.
inline constexpr std::string_view dcgm_energy_metric = "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION";
/// The DCGM exporter's power gauge, watts.
inline constexpr std::string_view dcgm_power_metric = "DCGM_FI_DEV_POWER_USAGE";

/// Options of dcgm_energy_meter.
struct dcgm_options {
    /// The GPUs to measure, as the exporter's `gpu` label values ("0", "1"); empty: every GPU
    /// on the page.
    std::vector<std::string> gpus;
    /// Further labels a series must carry (e.g. `Hostname` when one exporter page serves
    /// several hosts).
    std::vector<std::pair<std::string, std::string>> labels;
};

/**
 * Measures the energy of GPUs on any host from a DCGM exporter's `/metrics` page:
 * `DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION` (millijoules, a counter) differenced between start
 * and stop, and `DCGM_FI_DEV_POWER_USAGE` (watts) for mean and peak power. When the page has
 * no energy counter, or the counter went backwards, energy is integrated from the power
 * samples instead (the reading says which).
 *
 * The meter does not do HTTP: either give it a fetch function that fills a string with the
 * page (start(), sample() and stop() call it and stamp the page when it returns), or hand it
 * the page text and the time it was received (start(text, at) and friends).
 * Thread safety: every member locks an internal mutex.
 */
class dcgm_energy_meter {
public:
    /// Fetches the exporter's page into `body`; returns an error code (empty on success).
    using fetch_function = std::function<std::error_code(std::string& body)>;

    /// A meter reading the pages `fetch` returns (may be empty when only the text-taking
    /// members are used).
    explicit dcgm_energy_meter(dcgm_options options = {}, fetch_function fetch = {})
        : options_(std::move(options)), fetch_(std::move(fetch)) {}

    /// Fetches a page and begins the measurement with it.
    std::error_code start() {
        std::lock_guard lock(mutex_);
        std::string body;
        if (const std::error_code ec = fetch_locked(body))
            return ec;
        return start_locked(body, stamp());
    }
    /// Fetches a page and records its power readings.
    std::error_code sample() {
        std::lock_guard lock(mutex_);
        if (!running_)
            return error::not_started;
        std::string body;
        if (const std::error_code ec = fetch_locked(body))
            return ec;
        return sample_locked(body, stamp());
    }
    /// Fetches a page and ends the measurement with it.
    energy_result stop() {
        std::lock_guard lock(mutex_);
        std::string body;
        if (const std::error_code ec = fetch_locked(body)) {
            running_ = false;
            return {std::nullopt, ec, message_};
        }
        return stop_locked(body, stamp());
    }

    /// Begins the measurement with a page received at `at`: the GPUs found on it are the ones
    /// measured.
    std::error_code start(std::string_view page, time_point at) {
        std::lock_guard lock(mutex_);
        return start_locked(page, at);
    }
    /// Records the power readings of a page received at `at`.
    std::error_code sample(std::string_view page, time_point at) {
        std::lock_guard lock(mutex_);
        if (!running_)
            return error::not_started;
        return sample_locked(page, at);
    }
    /// Ends the measurement with a page received at `at`.
    energy_result stop(std::string_view page, time_point at) {
        std::lock_guard lock(mutex_);
        return stop_locked(page, at);
    }

    /// The message of the last failed call, in words.
    [[nodiscard]] std::string last_message() const {
        std::lock_guard lock(mutex_);
        return message_;
    }
    /// The `gpu` label values measured, in order (known after start()).
    [[nodiscard]] std::vector<std::string> measured_gpus() const {
        std::lock_guard lock(mutex_);
        return gpus_;
    }

private:
    dcgm_options options_;
    fetch_function fetch_;
    mutable std::mutex mutex_;
    prometheus::scrape page_;
    bool running_ = false;
    time_point start_{};
    std::vector<std::string> gpus_;
    std::vector<double> start_mj_;
    bool counters_ = false;
    power_integrator integrator_;
    time_point current_at_{}; // when the page being read was received
    std::string message_;

    std::error_code fail(error e, std::string message) {
        message_ = std::move(message);
        return e;
    }

    std::error_code fetch_locked(std::string& body) {
        if (!fetch_)
            return fail(error::metric_not_found, "dcgm: no fetch function given");
        if (const std::error_code ec = fetch_(body)) {
            message_ = "dcgm: fetching the exporter page failed: " + ec.message();
            return ec;
        }
        return {};
    }

    std::error_code parse_locked(std::string_view text) {
        if (const prometheus::parse_error err = prometheus::parse(text, page_))
            return fail(error::malformed_metrics, "dcgm: " + err.message());
        return {};
    }

    [[nodiscard]] bool selected(const prometheus::sample_view& v) const {
        for (const auto& [name, value] : options_.labels) {
            const std::optional<std::string_view> got = v.labels().get(name);
            if (!got || *got != value)
                return false;
        }
        return true;
    }

    // The value of `metric` for GPU `gpu` on the current page.
    [[nodiscard]] std::optional<double> value_of(std::string_view metric,
                                                 std::string_view gpu) const {
        std::optional<double> found;
        for (const prometheus::sample_view v : page_) {
            if (v.name() != metric || v.labels().get("gpu") != gpu || !selected(v))
                continue;
            found = v.value();
            break;
        }
        return found;
    }

    std::error_code start_locked(std::string_view text, time_point at) {
        if (running_)
            return fail(error::already_started, "dcgm: measurement already running");
        message_.clear();
        if (const std::error_code ec = parse_locked(text))
            return ec;
        gpus_.clear();
        if (options_.gpus.empty()) {
            for (const prometheus::sample_view v : page_) {
                if ((v.name() != dcgm_energy_metric && v.name() != dcgm_power_metric) ||
                    !selected(v))
                    continue;
                const std::optional<std::string_view> g = v.labels().get("gpu");
                if (!g)
                    continue;
                bool known = false;
                for (const std::string& k : gpus_)
                    known = known || k == *g;
                if (!known)
                    gpus_.emplace_back(*g);
            }
        } else {
            gpus_ = options_.gpus;
        }
        if (gpus_.empty())
            return fail(error::metric_not_found, "dcgm: the page has no " +
                                                     std::string(dcgm_energy_metric) + " or " +
                                                     std::string(dcgm_power_metric) + " series");
        counters_ = true;
        start_mj_.assign(gpus_.size(), 0);
        for (std::size_t i = 0; i < gpus_.size(); ++i) {
            const std::optional<double> e = value_of(dcgm_energy_metric, gpus_[i]);
            const std::optional<double> p = value_of(dcgm_power_metric, gpus_[i]);
            if (!e && !p)
                return fail(error::metric_not_found,
                            "dcgm: no energy or power series for gpu=\"" + gpus_[i] + "\"");
            if (e)
                start_mj_[i] = *e;
            else
                counters_ = false;
        }
        start_ = at;
        current_at_ = at;
        integrator_.begin(at, static_cast<std::uint32_t>(gpus_.size()));
        record_power();
        running_ = true;
        return {};
    }

    void record_power() {
        for (std::size_t i = 0; i < gpus_.size(); ++i)
            if (const std::optional<double> p = value_of(dcgm_power_metric, gpus_[i]))
                integrator_.add(current_at_, static_cast<std::uint32_t>(i), *p);
    }

    std::error_code sample_locked(std::string_view text, time_point at) {
        if (const std::error_code ec = parse_locked(text))
            return ec;
        current_at_ = at;
        record_power();
        return {};
    }

    energy_result stop_locked(std::string_view text, time_point at) {
        energy_result result;
        if (!running_) {
            result.error = error::not_started;
            result.message = "dcgm: stop() without start()";
            return result;
        }
        running_ = false;
        if (const std::error_code ec = parse_locked(text)) {
            result.error = ec;
            result.message = message_;
            return result;
        }
        current_at_ = at;
        record_power();
        energy_reading r;
        r.source = energy_source::dcgm;
        r.elapsed = at - start_;
        r.gpu_count = static_cast<std::uint32_t>(gpus_.size());
        bool use_counters = counters_;
        std::string reset_gpu;
        double total_mj = 0;
        if (use_counters) {
            for (std::size_t i = 0; i < gpus_.size(); ++i) {
                const std::optional<double> e = value_of(dcgm_energy_metric, gpus_[i]);
                if (!e || *e < start_mj_[i]) {
                    if (e)
                        reset_gpu = gpus_[i];
                    use_counters = false;
                    break;
                }
                total_mj += *e - start_mj_[i];
            }
        }
        if (use_counters) {
            r.energy_j = total_mj / 1000.0;
            r.method = energy_method::hardware_counter;
        } else {
            const std::optional<double> e = integrator_.energy_j(at);
            if (!e) {
                result.error = reset_gpu.empty() ? std::error_code(error::no_power_samples)
                                                 : std::error_code(error::counter_reset);
                result.message = reset_gpu.empty()
                                     ? "dcgm: no energy counter and no power samples"
                                     : "dcgm: energy counter of gpu=\"" + reset_gpu +
                                           "\" decreased and there are no power samples";
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
};

static_assert(power_sampling_meter<dcgm_energy_meter>);

} // namespace llmcap::telemetry
