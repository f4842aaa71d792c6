#include <llmcap/analysis/capacity.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace la = llmcap::analysis;

namespace {

la::cell_summary cell(std::uint32_t context, std::uint32_t concurrency) {
    la::cell_summary c;
    c.context_tokens = context;
    c.output_tokens = 1024;
    c.concurrency = concurrency;
    return c;
}

la::cell_summary latency_speed(std::uint32_t context, std::uint32_t concurrency, double ttft_s,
                               double speed) {
    la::cell_summary c = cell(context, concurrency);
    c.set(la::metric::ttft, la::statistic::mean, ttft_s);
    c.set(la::metric::generation_speed, la::statistic::mean, speed);
    return c;
}

la::use_case builtin(const char* name) {
    const std::optional<la::use_case> u = la::find_builtin_use_case(name);
    REQUIRE(u.has_value());
    return *u;
}

// Code completion at 1K (reference report, "Code Completion"): E2E 717 ms @ 1, 2016 ms @ 24,
// 2051 ms @ 30; threshold E2E mean < 2 s.
std::vector<la::cell_summary> code_completion_cells() {
    std::vector<la::cell_summary> cells;
    const std::uint32_t levels[] = {1, 24, 30};
    const double e2e_s[] = {0.717, 2.016, 2.051};
    const double throughput[] = {197.0, 69.0, 69.0};
    for (int i = 0; i < 3; ++i) {
        la::cell_summary c = cell(1024, levels[i]);
        c.output_tokens = 128;
        c.set(la::metric::e2e, la::statistic::mean, e2e_s[i]);
        c.metrics[la::metric::throughput] = la::metric_statistics::single(throughput[i]);
        cells.push_back(c);
    }
    return cells;
}

} // namespace

TEST_CASE("capacity: code completion from the reference report crosses at 23.72") {
    const la::use_case uc = builtin("code_completion");
    const la::capacity_result r = la::compute_capacity(uc, code_completion_cells());
    // Crossing by hand: 1 + (2.000 − 0.717) / (2.016 − 0.717) · (24 − 1) = 23.7167.
    CHECK(r.kind == la::capacity_kind::interpolated);
    REQUIRE(r.crossing);
    CHECK(*r.crossing == doctest::Approx(23.716705157813703));
    CHECK(r.capacity == 23);
    REQUIRE(r.binding_threshold() != nullptr);
    CHECK(r.binding_threshold()->what == la::metric::e2e);
    CHECK(r.binding_threshold()->stat == la::statistic::mean);
    CHECK(r.lowest_concurrency == 1);
    CHECK(r.highest_concurrency == 30);
    CHECK_FALSE(r.isotonic_adjusted);
    CHECK_FALSE(r.estimate);
}

TEST_CASE("capacity: monotone cubic on request gives its own crossing, same integer") {
    la::capacity_options o;
    o.method = la::interpolation_method::monotone_cubic;
    const la::capacity_result r =
        la::compute_capacity(builtin("code_completion"), code_completion_cells(), o);
    CHECK(r.method == la::interpolation_method::monotone_cubic);
    CHECK(r.kind == la::capacity_kind::interpolated);
    CHECK(*r.crossing == doctest::Approx(23.195949862390407).epsilon(1e-9));
    CHECK(r.capacity == 23);
}

TEST_CASE("capacity: automated coding assistant is bound by TTFT between 1 and 2 users") {
    // Reference report, 96K: TTFT 9.7 / 14.4 / 23.6 s, speed 122 / 84 / 40 tok/s at 1 / 2 / 4.
    const std::vector<la::cell_summary> cells{latency_speed(98304, 1, 9.7, 122.0),
                                              latency_speed(98304, 2, 14.4, 84.0),
                                              latency_speed(98304, 4, 23.6, 40.0)};
    const la::capacity_result r =
        la::compute_capacity(builtin("automated_coding_assistant"), cells);
    // 1 + (12 − 9.7) / (14.4 − 9.7) = 1.4894
    CHECK(r.kind == la::capacity_kind::interpolated);
    CHECK(*r.crossing == doctest::Approx(1.4893617021276595));
    CHECK(r.capacity == 1);
    REQUIRE(r.binding);
    CHECK(*r.binding == 0);
    CHECK(r.binding_threshold()->what == la::metric::ttft);
    CHECK(r.thresholds[1].outcome == la::threshold_outcome::holds_throughout);
}

TEST_CASE("capacity: general chatbot holds throughout: at least 12, with an estimate") {
    // Reference report, 32K: TTFT 1.6 / 4.3 / 6.7 s, speed 172 / 78 / 42 tok/s at 1 / 5 / 12.
    const std::vector<la::cell_summary> cells{latency_speed(32768, 1, 1.6, 172.0),
                                              latency_speed(32768, 5, 4.3, 78.0),
                                              latency_speed(32768, 12, 6.7, 42.0)};
    const la::use_case uc = builtin("general_chatbot");
    const la::capacity_result plain = la::compute_capacity(uc, cells);
    CHECK(plain.kind == la::capacity_kind::at_least);
    CHECK(plain.capacity == 12);
    CHECK_FALSE(plain.binding);
    CHECK(plain.binding_threshold() == nullptr);
    CHECK_FALSE(plain.estimate);

    la::capacity_options o;
    o.extrapolate = true;
    const la::capacity_result r = la::compute_capacity(uc, cells, o);
    CHECK(r.kind == la::capacity_kind::at_least); // still a measurement of "at least 12"
    CHECK(r.capacity == 12);
    REQUIRE(r.estimate);
    // TTFT affine fit a = 1.5, b = 0.45 (see fit.cpp): 8 s at (8 − 1.5) / 0.45 = 14.44.
    CHECK(r.estimate->binding == 0);
    CHECK(r.estimate->crossing == doctest::Approx(6.5 / 0.45));
    CHECK(r.estimate->capacity == 14);
    CHECK(r.estimate->fit.model == la::fit_model::affine);
    CHECK(r.estimate->fit.r_squared == doctest::Approx(1.0 - 0.465 / 13.02));
    // The speed threshold's fit crosses 15 tok/s later than TTFT crosses 8 s.
    REQUIRE(r.thresholds[1].extrapolation);
    REQUIRE(r.thresholds[1].extrapolation->crossing);
    CHECK(*r.thresholds[1].extrapolation->crossing > r.estimate->crossing);
    CHECK(r.thresholds[1].extrapolation->fit.model == la::fit_model::saturating);
}

TEST_CASE("capacity: short-form chatbot is at least 125") {
    // Reference report, 8K: TTFT 0.2 / 4.2 / 5.7 s, speed 184 / 26 / 23 tok/s at 1 / 75 / 125.
    const std::vector<la::cell_summary> cells{latency_speed(8192, 1, 0.2, 184.0),
                                              latency_speed(8192, 75, 4.2, 26.0),
                                              latency_speed(8192, 125, 5.7, 23.0)};
    const la::capacity_result r = la::compute_capacity(builtin("short_form_chatbot"), cells);
    CHECK(r.kind == la::capacity_kind::at_least);
    CHECK(r.capacity == 125);
}

TEST_CASE("capacity: below the minimum when the lowest level already fails") {
    const std::vector<la::cell_summary> cells{latency_speed(98304, 1, 13.0, 122.0),
                                              latency_speed(98304, 2, 15.0, 84.0)};
    const la::capacity_result r =
        la::compute_capacity(builtin("automated_coding_assistant"), cells);
    CHECK(r.kind == la::capacity_kind::below_minimum);
    CHECK(r.capacity == 0);
    CHECK_FALSE(r.crossing);
    CHECK(r.binding_threshold()->what == la::metric::ttft);
    CHECK(r.thresholds[0].outcome == la::threshold_outcome::fails_at_minimum);
}

TEST_CASE("capacity: exact when a measured level sits on the bound") {
    la::use_case uc = builtin("code_completion");
    std::vector<la::cell_summary> cells;
    const double e2e_s[] = {1.0, 2.0, 3.0};
    const std::uint32_t levels[] = {1, 8, 16};
    for (int i = 0; i < 3; ++i)
        cells.push_back(cell(1024, levels[i]).set(la::metric::e2e, la::statistic::mean, e2e_s[i]));
    const la::capacity_result r = la::compute_capacity(uc, cells);
    CHECK(r.kind == la::capacity_kind::exact);
    CHECK(r.capacity == 8);
    CHECK(*r.crossing == 8.0);
}

TEST_CASE("capacity: the smallest crossing binds") {
    // TTFT 1, 2, 4, 8 s at 1, 2, 4, 8 users, bound 5.5 s: crossing 4 + 1.5/4·4 = 5.5.
    // Speed 100, 60, 20, 10 tok/s, bound 30: crossing 2 + (60 − 30)/40·2 = 3.5 → binds.
    la::use_case uc{
        "custom",
        "Custom",
        4096,
        256,
        {{la::metric::ttft, la::statistic::mean, la::comparison::less, 5.5},
         {la::metric::generation_speed, la::statistic::mean, la::comparison::greater, 30.0}}};
    const std::vector<la::cell_summary> cells{
        latency_speed(4096, 1, 1.0, 100.0), latency_speed(4096, 2, 2.0, 60.0),
        latency_speed(4096, 4, 4.0, 20.0), latency_speed(4096, 8, 8.0, 10.0)};
    const la::capacity_result r = la::compute_capacity(uc, cells);
    CHECK(*r.thresholds[0].crossing == doctest::Approx(5.5));
    CHECK(*r.thresholds[1].crossing == doctest::Approx(3.5));
    CHECK(*r.binding == 1);
    CHECK(r.capacity == 3);
    CHECK(r.kind == la::capacity_kind::interpolated);
}

TEST_CASE("capacity: noisy measurements are made monotone first, and the result says so") {
    // P95 TTFT 1.0, 3.0, 2.0, 4.0 s at 1..4 users, bound 2.8 s. Raw data would cross between
    // 1 and 2; pooled (3.0, 2.0) → (2.5, 2.5), so the crossing is 3 + (2.8 − 2.5)/1.5 = 3.2.
    la::use_case uc{"p95",
                    "P95 TTFT",
                    2048,
                    128,
                    {{la::metric::ttft, la::statistic::p95, la::comparison::less, 2.8}}};
    std::vector<la::cell_summary> cells;
    const double p95[] = {1.0, 3.0, 2.0, 4.0};
    for (std::uint32_t c = 1; c <= 4; ++c)
        cells.push_back(cell(2048, c).set(la::metric::ttft, la::statistic::p95, p95[c - 1]));
    const la::capacity_result r = la::compute_capacity(uc, cells);
    CHECK(r.isotonic_adjusted);
    CHECK(r.thresholds[0].isotonic_adjusted);
    CHECK(r.thresholds[0].fitted[1] == doctest::Approx(2.5));
    CHECK(r.thresholds[0].measured[1] == 3.0);
    CHECK(*r.crossing == doctest::Approx(3.2));
    CHECK(r.capacity == 3);
}

TEST_CASE("capacity: cells are sorted and filtered; bad input is refused") {
    std::vector<la::cell_summary> cells = code_completion_cells();
    std::swap(cells[0], cells[2]);
    cells.push_back(latency_speed(32768, 5, 4.3, 78.0)); // another context
    const la::use_case uc = builtin("code_completion");
    const std::vector<la::cell_summary> mine = la::cells_for(uc, cells);
    CHECK(mine.size() == 3);
    CHECK(la::compute_capacity(uc, mine).capacity == 23);

    CHECK_THROWS_AS((void)la::compute_capacity(uc, std::vector<la::cell_summary>{}),
                    std::invalid_argument);
    std::vector<la::cell_summary> twice = mine;
    twice.push_back(mine[0]);
    CHECK_THROWS_AS((void)la::compute_capacity(uc, twice), std::invalid_argument);
    const std::vector<la::cell_summary> no_e2e{latency_speed(1024, 1, 0.1, 100.0)};
    CHECK_THROWS_WITH_AS((void)la::compute_capacity(uc, no_e2e), "capacity: no cell has e2e_s mean",
                         std::invalid_argument);
}

TEST_CASE("cells_for: one cell per level, the use case's own first, by increasing concurrency") {
    const la::use_case uc = builtin("code_completion"); // 1K context, 128 output tokens
    const auto at = [](std::uint32_t concurrency, std::uint32_t output, double e2e_s) {
        la::cell_summary c = cell(1024, concurrency);
        c.output_tokens = output;
        c.set(la::metric::e2e, la::statistic::mean, e2e_s);
        return c;
    };
    const std::vector<la::cell_summary> cells{
        at(8, 128, 1.80),  // 0: another use case's search cell
        at(8, 128, 1.81),  // 1: a grid cell
        at(8, 128, 1.82),  // 2: code completion's own
        at(4, 0, 1.40),    // 3: output length not given
        at(4, 128, 1.41),  // 4: the exact output length wins over 3
        at(2, 1024, 1.00), // 5: another output length: not this use case's
        at(1, 128, 0.70),  // 6
        cell(32768, 1),    // 7: another context
        at(16, 128, 2.50), // 8: another use case's, and the only cell at 16
        at(16, 128, 2.60), // 9: the same use case again: the earlier one wins
        at(32, 0, 3.00),   // 10: only an unspecified output length at 32
    };
    const std::vector<std::string> labels{"chat_1k", "", "code_completion", "",        "", "",
                                          "",        "", "chat_1k",         "chat_1k", ""};
    const std::vector<la::cell_summary> mine = la::cells_for(uc, cells, labels);
    std::vector<std::uint32_t> levels;
    std::vector<double> e2e;
    for (const la::cell_summary& c : mine) {
        levels.push_back(c.concurrency);
        e2e.push_back(*c.value(la::metric::e2e, la::statistic::mean));
    }
    CHECK(levels == std::vector<std::uint32_t>{1, 4, 8, 16, 32});
    CHECK(e2e == std::vector<double>{0.70, 1.41, 1.82, 2.50, 3.00});
    // 8 + (2 − 1.82) / (2.5 − 1.82) · (16 − 8) = 10.12.
    CHECK(la::compute_capacity(uc, mine).capacity == 10);

    // Without labels: the first cell per level in file order (exact output length first).
    std::vector<double> unlabelled;
    for (const la::cell_summary& c : la::cells_for(uc, cells))
        unlabelled.push_back(*c.value(la::metric::e2e, la::statistic::mean));
    CHECK(unlabelled == std::vector<double>{0.70, 1.41, 1.80, 2.50, 3.00});

    CHECK_THROWS_WITH_AS((void)la::cells_for(uc, cells, std::vector<std::string>(2)),
                         "cells_for: 2 use case labels for 11 cells", std::invalid_argument);
}

TEST_CASE("use case catalogue follows the reference report") {
    const std::vector<la::use_case> all = la::builtin_use_cases();
    REQUIRE(all.size() == 5);
    CHECK(all[0].name == "code_completion");
    CHECK(all[0].context_tokens == 1024);
    CHECK(all[0].output_tokens == 128);
    CHECK(all[0].thresholds.size() == 1);
    CHECK(all[0].thresholds[0].describe() == "e2e_s mean < 2");
    const la::use_case chat = builtin("general_chatbot");
    CHECK(chat.context_tokens == 32768);
    CHECK(chat.output_tokens == 1024);
    CHECK(chat.thresholds[0].describe() == "ttft_s mean < 8");
    CHECK(chat.thresholds[1].describe() == "generation_speed_tokens_per_s mean > 15");
    CHECK(builtin("short_form_chatbot").thresholds[1].bound == 10.0);
    CHECK(builtin("long_document_processing").context_tokens == 65536);
    CHECK(builtin("automated_coding_assistant").thresholds[1].bound == 20.0);
    CHECK_FALSE(la::find_builtin_use_case("nope"));
}

TEST_CASE("metric_statistics: statistics not measured compare equal") {
    la::metric_statistics a;
    a.set(la::statistic::mean, 1.5);
    la::metric_statistics b = a;
    CHECK(a == b); // every other statistic is NaN on both sides
    b.set(la::statistic::p99, 3.0);
    CHECK_FALSE(a == b);
    CHECK(la::metric_statistics::single(2.0) == la::metric_statistics::single(2.0));
}
