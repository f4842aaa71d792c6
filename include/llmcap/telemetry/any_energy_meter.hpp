#pragma once

#include <llmcap/telemetry/energy_meter.hpp>
#include <llmcap/telemetry/energy_reading.hpp>
#include <llmcap/telemetry/error.hpp>

#include <memory>       // unique_ptr, make_unique
#include <string>       // string
#include <system_error> // error_code
#include <utility>      // forward, move

namespace llmcap::telemetry {

/**
 * Any energy meter, chosen at run time (NVML, nvidia-smi, a DCGM exporter, none), behind one
 * type: owns the meter on the heap and forwards start(), sample() and stop(). A meter without
 * sample() gets a sample() that does nothing. An empty any_energy_meter (the default) answers
 * error::no_meter; the held meter's own errors and messages come through unchanged. Movable (the
 * meter stays where it is on the heap), not copyable.
 *
 * ```cpp
 * telemetry::any_energy_meter m = remote
 *     ? telemetry::any_energy_meter::make<telemetry::dcgm_energy_meter>(dcgm_options{}, fetch)
 *     : telemetry::any_energy_meter::make<telemetry::nvml_energy_meter>();
 * ```
 */
class any_energy_meter {
public:
    /// No meter.
    any_energy_meter() = default;

    /// Takes ownership of a meter.
    template <energy_meter Meter>
    explicit any_energy_meter(std::unique_ptr<Meter> meter)
        : impl_(meter ? std::make_unique<model<Meter>>(std::move(meter)) : nullptr) {}

    /// Builds a `Meter` from `args` in place (meters are neither copyable nor movable).
    template <energy_meter Meter, class... Args>
    [[nodiscard]] static any_energy_meter make(Args&&... args) {
        return any_energy_meter(std::make_unique<Meter>(std::forward<Args>(args)...));
    }

    /// True when a meter is held.
    explicit operator bool() const noexcept {
        return impl_ != nullptr;
    }

    /// Forwards to the meter's start(); error::no_meter when empty.
    std::error_code start() {
        return impl_ ? impl_->start() : std::error_code(error::no_meter);
    }
    /// Forwards to the meter's sample() (nothing when it has none); error::no_meter when empty.
    std::error_code sample() {
        return impl_ ? impl_->sample() : std::error_code(error::no_meter);
    }
    /// Forwards to the meter's stop(); error::no_meter when empty.
    energy_result stop() {
        if (!impl_)
            return {std::nullopt, error::no_meter, "no energy meter configured"};
        return impl_->stop();
    }

private:
    struct concept_base {
        virtual ~concept_base() = default;
        virtual std::error_code start() = 0;
        virtual std::error_code sample() = 0;
        virtual energy_result stop() = 0;
    };
    template <class Meter>
    struct model final : concept_base {
        explicit model(std::unique_ptr<Meter> m) : meter(std::move(m)) {}
        std::error_code start() override {
            return meter->start();
        }
        std::error_code sample() override {
            if constexpr (power_sampling_meter<Meter>)
                return meter->sample();
            else
                return {};
        }
        energy_result stop() override {
            return meter->stop();
        }
        std::unique_ptr<Meter> meter;
    };
    std::unique_ptr<concept_base> impl_;
};

static_assert(power_sampling_meter<any_energy_meter>);

} // namespace llmcap::telemetry
