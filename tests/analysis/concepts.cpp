#include <llmcap/analysis/adaptive_search.hpp>
#include <llmcap/analysis/cell_recorder.hpp>
#include <llmcap/analysis/trace_sink.hpp>
#include <llmcap/stats/exact_quantiles.hpp>
#include <llmcap/stats/log_bucket_sketch.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

namespace la = llmcap::analysis;

namespace {

struct counting_sink {
    int n = 0;
    void record(const llmcap::request_trace&) {
        ++n;
    }
};
struct wrong_sink { // near miss: takes a string, not a trace
    void record(const std::string&) {}
};

la::cell_summary measure_cell(std::uint32_t c) {
    la::cell_summary s;
    s.concurrency = c;
    return s;
}
int measure_wrong(std::uint32_t c) { // near miss: returns no cell
    return static_cast<int>(c);
}

} // namespace

static_assert(la::trace_sink<counting_sink>);
static_assert(!la::trace_sink<wrong_sink>);
static_assert(la::trace_sink<la::cell_recorder<>>);
static_assert(la::trace_sink<la::cell_recorder<llmcap::stats::exact_quantiles>>);
static_assert(la::trace_sink<la::cell_recorder<llmcap::stats::log_bucket_sketch>>);
static_assert(la::cell_measurer<decltype(&measure_cell)>);
static_assert(!la::cell_measurer<decltype(&measure_wrong)>);

TEST_CASE("cell_recorder: every sketch model records and summarises the same counts") {
    llmcap::request_trace t;
    t.intended_start = llmcap::time_point{} + std::chrono::seconds(10);
    t.events.push_back(
        {t.intended_start + std::chrono::milliseconds(50), 1, llmcap::token_kind::content});
    t.events.push_back(
        {t.intended_start + std::chrono::milliseconds(70), 1, llmcap::token_kind::content});
    t.end = t.intended_start + std::chrono::milliseconds(80);
    la::cell_recorder<llmcap::stats::log_bucket_sketch> buckets({1, 2, 1});
    la::cell_recorder<llmcap::stats::exact_quantiles> exact({1, 2, 1});
    buckets.record(t);
    exact.record(t);
    CHECK(buckets.statistics(la::metric::ttft).count == 1);
    CHECK(buckets.statistics(la::metric::ttft).p50 == doctest::Approx(0.05).epsilon(0.005));
    CHECK(exact.statistics(la::metric::ttft).p50 == doctest::Approx(0.05));
    CHECK(exact.statistics(la::metric::generation_speed).mean == doctest::Approx(50.0));
    counting_sink sink;
    sink.record(t);
    CHECK(sink.n == 1);
}
