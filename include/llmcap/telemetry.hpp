#pragma once

// Telemetry layer: GPU energy and power meters (NVML via dlopen, nvidia-smi, DCGM exporter),
// power integration, energy cost and idle baselines.
#include <llmcap/telemetry/any_energy_meter.hpp>
#include <llmcap/telemetry/dcgm_energy_meter.hpp>
#include <llmcap/telemetry/energy_cost.hpp>
#include <llmcap/telemetry/energy_meter.hpp>
#include <llmcap/telemetry/energy_reading.hpp>
#include <llmcap/telemetry/error.hpp>
#include <llmcap/telemetry/nvidia_smi_power_meter.hpp>
#include <llmcap/telemetry/nvml_energy_meter.hpp>
#include <llmcap/telemetry/power_integrator.hpp>
#include <llmcap/telemetry/power_sampler.hpp>
