#include <llmcap/analysis/adaptive_search.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace la = llmcap::analysis;

namespace {

// A synthetic server: TTFT = 0.5 + 0.25·c seconds, speed = 200 / (1 + 0.1·c) tokens/s.
la::cell_summary synthetic(std::uint32_t c) {
    const double x = static_cast<double>(c);
    la::cell_summary cell;
    cell.context_tokens = 32768;
    cell.output_tokens = 1024;
    cell.concurrency = c;
    cell.set(la::metric::ttft, la::statistic::mean, 0.5 + 0.25 * x);
    cell.set(la::metric::generation_speed, la::statistic::mean, 200.0 / (1.0 + 0.1 * x));
    return cell;
}

la::use_case chatbot(double ttft_bound_s, double speed_bound) {
    return {"chat",
            "Chat",
            32768,
            1024,
            {{la::metric::ttft, la::statistic::mean, la::comparison::less, ttft_bound_s},
             {la::metric::generation_speed, la::statistic::mean, la::comparison::greater,
              speed_bound}}};
}

// Highest c such that every level 1..c passes (0 if level 1 fails): the exhaustive answer.
std::uint32_t exhaustive(const la::use_case& uc, std::uint32_t max_c) {
    std::uint32_t last = 0;
    for (std::uint32_t c = 1; c <= max_c; ++c) {
        if (!la::cell_passes(uc, synthetic(c)))
            break;
        last = c;
    }
    return last;
}

} // namespace

TEST_CASE("find_capacity: TTFT bound 8 s is reached at exactly 30 users") {
    // 0.5 + 0.25·30 = 8.0: probes 1, 2, 4, 8, 16, 32 (fails), then 24, 28, 30, 31 (fails).
    const la::use_case uc = chatbot(8.0, 15.0);
    std::vector<std::uint32_t> measured;
    const auto measure = [&](std::uint32_t c) {
        measured.push_back(c);
        return synthetic(c);
    };
    la::search_options o;
    o.max_concurrency = 256;
    const la::search_result r = la::find_capacity(uc, measure, o);
    CHECK(measured == std::vector<std::uint32_t>{1, 2, 4, 8, 16, 32, 24, 28, 30, 31});
    CHECK(r.capacity == 30);
    CHECK(r.lowest_failing == 31u);
    CHECK(r.converged);
    CHECK_FALSE(r.budget_exhausted);
    CHECK(r.cells.size() == 10);
    CHECK(r.analysis.kind == la::capacity_kind::exact);
    CHECK(r.analysis.capacity == 30);
    CHECK(r.analysis.binding_threshold()->what == la::metric::ttft);
}

TEST_CASE("find_capacity: agrees with an exhaustive scan within the cell budget") {
    const std::uint32_t maxima[] = {1, 2, 3, 7, 64, 100, 256};
    for (std::uint32_t max_c : maxima) {
        const std::size_t budget = la::default_search_budget(max_c);
        for (double bound = 0.6; bound < 70.0; bound += 0.37) {
            CAPTURE(max_c);
            CAPTURE(bound);
            const la::use_case uc = chatbot(bound, 15.0);
            la::search_options o;
            o.max_concurrency = max_c;
            const la::search_result r = la::find_capacity(uc, synthetic, o);
            CHECK(r.capacity == exhaustive(uc, max_c));
            CHECK(r.converged);
            CHECK(r.cells.size() <= budget);
        }
    }
}

TEST_CASE("find_capacity: below the minimum and at least the maximum") {
    la::search_options o;
    o.max_concurrency = 64;
    const la::search_result low = la::find_capacity(chatbot(0.6, 15.0), synthetic, o);
    CHECK(low.capacity == 0);
    CHECK(low.lowest_failing == 1u);
    CHECK(low.cells.size() == 1);
    CHECK(low.converged);
    CHECK(low.analysis.kind == la::capacity_kind::below_minimum);

    const la::search_result high = la::find_capacity(chatbot(100.0, 1.0), synthetic, o);
    CHECK(high.capacity == 64);
    CHECK_FALSE(high.lowest_failing);
    CHECK(high.cells.size() == 7); // 1, 2, 4, 8, 16, 32, 64
    CHECK(high.analysis.kind == la::capacity_kind::at_least);
}

TEST_CASE("find_capacity: the speed threshold can bind") {
    // 200 / (1 + 0.1 c) ≥ 50 ⇔ c ≤ 30; TTFT bound 100 s never binds.
    la::search_options o;
    o.max_concurrency = 100; // probes 1..64, then 100
    const la::search_result r = la::find_capacity(chatbot(100.0, 50.0), synthetic, o);
    CHECK(r.capacity == 30);
    CHECK(r.analysis.binding_threshold()->what == la::metric::generation_speed);
}

TEST_CASE("find_capacity: a spent budget stops the search with the bracket so far") {
    la::search_options o;
    o.max_concurrency = 256;
    o.max_cells = 7; // 1, 2, 4, 8, 16, 32 (fails), 24
    const la::search_result r = la::find_capacity(chatbot(8.0, 15.0), synthetic, o);
    CHECK(r.cells.size() == 7);
    CHECK(r.budget_exhausted);
    CHECK_FALSE(r.converged);
    CHECK(r.capacity == 24);
    CHECK(r.lowest_failing == 32u);
    // The analysis interpolates inside the bracket: 24 + (8 − 6.5) / (8.5 − 6.5) · 8 = 30.
    CHECK(*r.analysis.crossing == doctest::Approx(30.0));
}

TEST_CASE("find_capacity: invalid input is refused") {
    la::search_options o;
    o.max_concurrency = 0;
    CHECK_THROWS_AS((void)la::find_capacity(chatbot(8.0, 15.0), synthetic, o),
                    std::invalid_argument);
    const auto missing = [](std::uint32_t c) {
        la::cell_summary cell;
        cell.concurrency = c;
        return cell;
    };
    CHECK_THROWS_WITH_AS((void)la::find_capacity(chatbot(8.0, 15.0), missing),
                         "find_capacity: the cell at concurrency 1 has no ttft_s mean",
                         std::invalid_argument);
    CHECK(la::default_search_budget(1) == 2);
    CHECK(la::default_search_budget(256) == 18);
    CHECK(la::default_search_budget(100) == 16); // ⌈13.29⌉ + 2
}

TEST_CASE("capacity_search: the caller measures, the search names each level and stops") {
    la::search_options o;
    o.max_concurrency = 256;
    la::capacity_search s(chatbot(8.0, 15.0), o);
    std::vector<std::uint32_t> asked;
    while (const auto c = s.next_level()) {
        asked.push_back(*c);
        la::cell_summary cell = synthetic(*c);
        cell.concurrency = 999; // the search sets the level it asked for
        s.add(cell);
    }
    CHECK(asked == std::vector<std::uint32_t>{1, 2, 4, 8, 16, 32, 24, 28, 30, 31});
    CHECK(s.cells().back().concurrency == 31);
    const la::search_result r = s.result();
    CHECK(r.capacity == 30);
    CHECK(r.converged);
    CHECK(r.cells.size() == 10);
    // Once over, more cells are a programming error, not a silent extra level.
    CHECK_THROWS_AS(s.add(synthetic(32)), std::logic_error);
}

TEST_CASE("capacity_search: a partial result gives the bracket so far; a cell without the "
          "threshold's statistic leaves the search where it was") {
    la::search_options o;
    o.max_concurrency = 8;
    la::capacity_search s(chatbot(8.0, 15.0), o);
    s.add(synthetic(1));
    s.add(synthetic(2));
    CHECK(s.next_level() == 4u);
    la::search_result partial = s.result();
    CHECK(partial.capacity == 2);
    CHECK_FALSE(partial.converged);
    CHECK_FALSE(partial.budget_exhausted);
    la::cell_summary empty;
    CHECK_THROWS_AS(s.add(empty), std::invalid_argument);
    CHECK(s.cells().size() == 2);
    CHECK(s.next_level() == 4u);
    s.add(synthetic(4));
    CHECK(s.next_level() == 8u); // the probe is capped at max_concurrency
    s.add(synthetic(8));
    CHECK_FALSE(s.next_level().has_value());
    const la::search_result r = s.result();
    CHECK(r.capacity == 8);
    CHECK_FALSE(r.lowest_failing.has_value());
    CHECK(r.converged);
}
