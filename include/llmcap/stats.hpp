#pragma once

// Statistics: quantile sketches, running moments, confidence intervals, summaries and their
// JSON form.
#include <llmcap/stats/confidence_interval.hpp>
#include <llmcap/stats/error.hpp>
#include <llmcap/stats/exact_quantiles.hpp>
#include <llmcap/stats/json.hpp>
#include <llmcap/stats/log_bucket_sketch.hpp>
#include <llmcap/stats/log_linear_histogram.hpp>
#include <llmcap/stats/quantile_sketch.hpp>
#include <llmcap/stats/running_moments.hpp>
#include <llmcap/stats/student_t.hpp>
#include <llmcap/stats/summary.hpp>
