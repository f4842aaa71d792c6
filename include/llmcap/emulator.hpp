#pragma once

// The emulator: an engine model of a continuous-batching inference server, its cost model and
// profiles, calibration, and the in-process endpoint on virtual time.
#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/emulator/calibration.hpp>
#include <llmcap/emulator/cost_model.hpp>
#include <llmcap/emulator/energy_model.hpp>
#include <llmcap/emulator/engine.hpp>
#include <llmcap/emulator/fault.hpp>
#include <llmcap/emulator/ground_truth.hpp>
#include <llmcap/emulator/metrics_exporter.hpp>
#include <llmcap/emulator/prefix_cache.hpp>
#include <llmcap/emulator/profile.hpp>
#include <llmcap/emulator/server.hpp>
#include <llmcap/emulator/server_energy_meter.hpp>
#include <llmcap/emulator/server_options.hpp>
#include <llmcap/emulator/server_records.hpp>
#include <llmcap/emulator/tokenizer.hpp>
#include <llmcap/emulator/virtual_cell.hpp>
#include <llmcap/emulator/virtual_endpoint.hpp>
