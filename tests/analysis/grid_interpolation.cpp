#include <llmcap/analysis/grid_interpolation.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace la = llmcap::analysis;

namespace {

la::cell_summary ttft_cell(std::uint32_t context, std::uint32_t c, double ttft_s) {
    la::cell_summary cell;
    cell.context_tokens = context;
    cell.concurrency = c;
    cell.set(la::metric::ttft, la::statistic::mean, ttft_s);
    return cell;
}

} // namespace

TEST_CASE("grid_interpolation: bilinear in log(context) and concurrency") {
    // 1K: 1, 2, 4 s at 1, 2, 4 users; 4K: 3, 6, 12 s.
    const std::vector<la::cell_summary> cells{ttft_cell(1024, 1, 1.0), ttft_cell(1024, 2, 2.0),
                                              ttft_cell(1024, 4, 4.0), ttft_cell(4096, 1, 3.0),
                                              ttft_cell(4096, 2, 6.0), ttft_cell(4096, 4, 12.0)};
    const la::grid_interpolation grid(cells, la::metric::ttft);
    CHECK(grid.contexts() == std::vector<double>{1024.0, 4096.0});
    // On measured points.
    CHECK(*grid.at(1024, 2) == doctest::Approx(2.0));
    CHECK(*grid.at(4096, 4) == doctest::Approx(12.0));
    // Along concurrency: 1K at 3 users = 3 s.
    CHECK(*grid.at(1024, 3) == doctest::Approx(3.0));
    // 2K is halfway in log(context): (3 + 9) / 2 = 6 s at 3 users.
    CHECK(*grid.at(2048, 3) == doctest::Approx(6.0));
    // 3K: t = log(3) / log(4) = 0.7925 between 2 and 6 s at 2 users.
    CHECK(*grid.at(3072, 2) == doctest::Approx(2.0 + 4.0 * 0.79248125036057809));
    // Outside the grid: nothing.
    CHECK_FALSE(grid.at(512, 1));
    CHECK_FALSE(grid.at(8192, 1));
    CHECK_FALSE(grid.at(2048, 5));
    CHECK_FALSE(grid.at(2048, 0.5));
}

TEST_CASE("grid_interpolation: ragged grids and other statistics") {
    std::vector<la::cell_summary> cells{ttft_cell(1024, 1, 1.0), ttft_cell(1024, 4, 4.0),
                                        ttft_cell(4096, 1, 3.0), ttft_cell(4096, 2, 6.0)};
    const la::grid_interpolation grid(cells, la::metric::ttft);
    CHECK(*grid.at(2048, 2) == doctest::Approx((2.0 + 6.0) / 2));
    CHECK_FALSE(grid.at(2048, 3)); // 4K was not measured at 3 users
    CHECK(*grid.at(1024, 3) == doctest::Approx(3.0));

    // A statistic the cells lack gives an empty grid.
    const la::grid_interpolation p99(cells, la::metric::ttft, la::statistic::p99);
    CHECK(p99.contexts().empty());
    CHECK_FALSE(p99.at(1024, 1));

    cells.push_back(ttft_cell(1024, 4, 5.0));
    CHECK_THROWS_AS(la::grid_interpolation(cells, la::metric::ttft), std::invalid_argument);
}
