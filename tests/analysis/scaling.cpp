#include <llmcap/analysis/scaling.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

namespace la = llmcap::analysis;

namespace {

la::cell_summary throughput_cell(std::uint32_t context, std::uint32_t c, double tokens_per_s) {
    la::cell_summary cell;
    cell.context_tokens = context;
    cell.concurrency = c;
    cell.metrics[la::metric::throughput] = la::metric_statistics::single(tokens_per_s);
    return cell;
}

} // namespace

TEST_CASE("scaling_efficiency: throughput(c) / (c · throughput(1)) per context") {
    const std::vector<la::cell_summary> cells{
        throughput_cell(1024, 4, 300.0),
        throughput_cell(1024, 1, 100.0),
        throughput_cell(1024, 2, 180.0),
        throughput_cell(32768, 1, 80.0),
        throughput_cell(32768, 4, 224.0),
        throughput_cell(65536, 2, 50.0)}; // no single-request cell: left out
    const std::vector<la::context_scaling> s = la::scaling_efficiency(cells);
    REQUIRE(s.size() == 2);
    CHECK(s[0].context_tokens == 1024);
    CHECK(s[0].single_throughput_tokens_per_s == 100.0);
    REQUIRE(s[0].points.size() == 3);
    CHECK(s[0].points[0].efficiency == doctest::Approx(1.0));
    CHECK(s[0].points[1].concurrency == 2);
    CHECK(s[0].points[1].efficiency == doctest::Approx(0.9));  // 180 / (2 · 100)
    CHECK(s[0].points[2].efficiency == doctest::Approx(0.75)); // 300 / (4 · 100)
    CHECK(s[0].throughput_scaling() == doctest::Approx(3.0));
    CHECK(s[1].context_tokens == 32768);
    CHECK(s[1].points[1].efficiency == doctest::Approx(0.7)); // 224 / (4 · 80)
    CHECK(s[1].throughput_scaling() == doctest::Approx(2.8));
}
