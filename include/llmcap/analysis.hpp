#pragma once

// Analysis: per-request metrics, cell aggregation, scaling efficiency, capacity with
// interpolation and adaptive search, grid interpolation, fits and roofline bounds.
#include <llmcap/analysis/adaptive_search.hpp>
#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/catalogue.hpp>
#include <llmcap/analysis/catalogue_json.hpp>
#include <llmcap/analysis/cell_recorder.hpp>
#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/cell_summary_json.hpp>
#include <llmcap/analysis/fit.hpp>
#include <llmcap/analysis/gpu_spec.hpp>
#include <llmcap/analysis/grid_interpolation.hpp>
#include <llmcap/analysis/interpolation.hpp>
#include <llmcap/analysis/isotonic.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/analysis/model_spec.hpp>
#include <llmcap/analysis/request_metrics.hpp>
#include <llmcap/analysis/roofline.hpp>
#include <llmcap/analysis/scaling.hpp>
#include <llmcap/analysis/trace_sink.hpp>
#include <llmcap/analysis/use_case.hpp>
#include <llmcap/analysis/use_case_json.hpp>
