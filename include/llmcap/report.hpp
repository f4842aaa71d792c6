#pragma once

// Reports of a sweep: JSON, CSV, Markdown and self-contained HTML with SVG charts.
#include <llmcap/report/build_report.hpp>
#include <llmcap/report/capacity_report.hpp>
#include <llmcap/report/cells_input.hpp>
#include <llmcap/report/compare_report.hpp>
#include <llmcap/report/csv_reporter.hpp>
#include <llmcap/report/document.hpp>
#include <llmcap/report/format.hpp>
#include <llmcap/report/html_reporter.hpp>
#include <llmcap/report/json_reporter.hpp>
#include <llmcap/report/markdown_reporter.hpp>
#include <llmcap/report/render_html.hpp>
#include <llmcap/report/render_markdown.hpp>
#include <llmcap/report/report_options.hpp>
#include <llmcap/report/reporter.hpp>
#include <llmcap/report/svg_chart.hpp>
#include <llmcap/report/write_reports.hpp>
