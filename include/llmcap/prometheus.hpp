#pragma once

// Prometheus layer: text exposition parser, sample store, histogram deltas, server metric maps
// and the per-cell server metrics.
#include <llmcap/prometheus/error.hpp>
#include <llmcap/prometheus/histogram.hpp>
#include <llmcap/prometheus/metric_map.hpp>
#include <llmcap/prometheus/parser.hpp>
#include <llmcap/prometheus/scrape.hpp>
#include <llmcap/prometheus/server_cell_metrics.hpp>
