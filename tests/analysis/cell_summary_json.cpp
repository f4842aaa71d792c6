#include <llmcap/analysis/cell_summary_json.hpp>

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/use_case.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace la = llmcap::analysis;

TEST_CASE("cells JSON: the reference report's code-completion cells give its crossing") {
    const la::cell_summary_parse_result r = la::parse_cell_summaries(R"({"cells": [
        {"context_tokens": 1024, "output_tokens": 128, "concurrency": 1,
         "metrics": {"e2e_s": {"mean": 0.717}, "throughput_tokens_per_s": {"mean": 197}}},
        {"context_tokens": 1024, "output_tokens": 128, "concurrency": 24,
         "metrics": {"e2e_s": {"mean": 2.016, "p99.9": 2.5, "count": 96,
                               "mean_ci95": [1.99, 2.04]}}},
        {"context_tokens": 1024, "output_tokens": 128, "concurrency": 30,
         "metrics": {"e2e_s": {"mean": 2.051}}}
    ]})");
    REQUIRE_MESSAGE(r.ok(), r.error);
    REQUIRE(r.cells.size() == 3);
    CHECK(r.cells[1].concurrency == 24);
    CHECK(*r.cells[1].value(la::metric::e2e, la::statistic::p99_9) == 2.5);
    CHECK(r.cells[1].metrics.at(la::metric::e2e).count == 96);
    CHECK(r.cells[1].metrics.at(la::metric::e2e).mean_ci95->high == doctest::Approx(2.04));
    CHECK_FALSE(r.cells[1].value(la::metric::e2e, la::statistic::p50)); // not given
    const la::capacity_result cap =
        la::compute_capacity(*la::find_builtin_use_case("code_completion"), r.cells);
    CHECK(*cap.crossing == doctest::Approx(23.716705157813703));
    CHECK(cap.capacity == 23);
}

TEST_CASE("cells JSON: round trip") {
    la::cell_summary c;
    c.context_tokens = 32768;
    c.output_tokens = 1024;
    c.concurrency = 5;
    c.set(la::metric::ttft, la::statistic::mean, 4.25)
        .set(la::metric::ttft, la::statistic::p99, 7.5);
    c.metrics[la::metric::ttft].count = 10;
    c.metrics[la::metric::ttft].stddev = 0.5;
    c.metrics[la::metric::ttft].mean_ci95 = la::confidence_interval{3.875, 4.625};
    c.metrics[la::metric::throughput] = la::metric_statistics::single(390.0);
    const std::vector<la::cell_summary> cells{c};
    const la::cell_summary_parse_result back =
        la::parse_cell_summaries(la::serialize_cell_summaries(cells));
    REQUIRE_MESSAGE(back.ok(), back.error);
    CHECK(back.cells == cells);
}

TEST_CASE("cells JSON: errors name the field") {
    const auto error = [](const char* json) { return la::parse_cell_summaries(json).error; };
    CHECK(error("[") == "cells JSON: syntax error at byte 1: incomplete JSON");
    CHECK(error(R"({"cell": []})") ==
          "cells JSON: $: expected {\"cells\": [...]} or an array of cells");
    CHECK(error(R"([{"concurrency": 1, "metrics": {}}])") ==
          "cells JSON: $[0].context_tokens: missing");
    CHECK(error(R"([{"context_tokens": 1024, "concurrency": 0, "metrics": {}}])") ==
          "cells JSON: $[0].concurrency: expected an integer >= 1");
    CHECK(error(R"([{"context_tokens": 1024, "concurrency": 2}])") ==
          "cells JSON: $[0].metrics: missing");
    CHECK(error(R"({"cells": [{"context_tokens": 1024, "concurrency": 2,
                               "metrics": {"ttft": {"mean": 1}}}]})") ==
          "cells JSON: $.cells[0].metrics.ttft: unknown metric");
    CHECK(error(R"([{"context_tokens": 1024, "concurrency": 2,
                     "metrics": {"ttft_s": {"average": 1}}}]})") ==
          "cells JSON: syntax error at byte 104: extra data");
    CHECK(error(R"([{"context_tokens": 1024, "concurrency": 2,
                     "metrics": {"ttft_s": {"average": 1}}}])") ==
          "cells JSON: $[0].metrics.ttft_s.average: unknown statistic (expected count, mean, "
          "stddev, min, max, p50, p90, p95, p99, p99_9, mean_ci95)");
    CHECK(error(R"([{"context_tokens": 1024, "concurrency": 2,
                     "metrics": {"ttft_s": {"mean": "1.5"}}}])") ==
          "cells JSON: $[0].metrics.ttft_s.mean: expected a number");
    CHECK(error(R"([{"context_tokens": 1024, "concurrency": 2,
                     "metrics": {"ttft_s": {"mean_ci95": [1]}}}])") ==
          "cells JSON: $[0].metrics.ttft_s.mean_ci95: expected [low, high]");
    CHECK(error(R"([{"context_tokens": 1024, "concurrency": 2, "ctx": 3, "metrics": {}}])") ==
          "cells JSON: $[0].ctx: unknown field (expected context_tokens, output_tokens, "
          "concurrency, metrics)");
}
