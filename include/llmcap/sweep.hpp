#pragma once

#include <llmcap/sweep/capacity_json.hpp>
#include <llmcap/sweep/cell_builder.hpp>
#include <llmcap/sweep/cell_runner.hpp>
#include <llmcap/sweep/http_runner.hpp>
#include <llmcap/sweep/metrics_target.hpp>
#include <llmcap/sweep/output_dir.hpp>
#include <llmcap/sweep/plan.hpp>
#include <llmcap/sweep/plan_overrides.hpp>
#include <llmcap/sweep/presets.hpp>
#include <llmcap/sweep/rate_search.hpp>
#include <llmcap/sweep/result.hpp>
#include <llmcap/sweep/result_fwd.hpp>
#include <llmcap/sweep/result_json.hpp>
#include <llmcap/sweep/run_sweep.hpp>
#include <llmcap/sweep/simulator_runner.hpp>
#include <llmcap/sweep/trace_json.hpp>
