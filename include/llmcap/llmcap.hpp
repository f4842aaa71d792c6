#pragma once

// Everything llmcap offers, one include. Each area also has its own umbrella header.
#include <llmcap/version.hpp>

#include <llmcap/analysis.hpp>
#include <llmcap/client.hpp>
#include <llmcap/core.hpp>
#include <llmcap/emulator.hpp>
#include <llmcap/openai.hpp>
#include <llmcap/prometheus.hpp>
#include <llmcap/report.hpp>
#include <llmcap/sse.hpp>
#include <llmcap/stats.hpp>
#include <llmcap/sweep.hpp>
#include <llmcap/telemetry.hpp>
#include <llmcap/workload.hpp>
