// Replaces the global allocation functions for the whole llmcap_test_stats binary with ones
// that count calls made on the current thread; only the test below reads the counter.

#include <llmcap/stats/log_bucket_sketch.hpp>
#include <llmcap/stats/log_linear_histogram.hpp>
#include <llmcap/stats/running_moments.hpp>
#include <llmcap/stats/summary.hpp>

#include "sketch_data.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <new>
#include <vector>

namespace {
thread_local std::uint64_t allocations_on_this_thread = 0;

void* counted_allocate(std::size_t n) {
    ++allocations_on_this_thread;
    return std::malloc(n == 0 ? 1 : n);
}
} // namespace

void* operator new(std::size_t n) {
    if (void* p = counted_allocate(n)) {
        return p;
    }
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
    if (void* p = counted_allocate(n)) {
        return p;
    }
    throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    return counted_allocate(n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    return counted_allocate(n);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}

namespace stats = llmcap::stats;

TEST_CASE("allocation: the counter sees allocations") {
    const std::uint64_t before = allocations_on_this_thread;
    std::vector<int> v(10, 7);
    const std::uint64_t after = allocations_on_this_thread;
    CHECK(v[9] == 7);
    CHECK(after - before == 1);
}

TEST_CASE("allocation: add() never allocates") {
    std::vector<double> values = stats::test::pareto(20'000, 31);
    for (double x : {0.0, -1.0, 1e-12, 1e5, 1e300, std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity(), 5e-324}) {
        values.push_back(x);
    }
    stats::log_linear_histogram histogram;
    stats::log_bucket_sketch buckets({.relative_error = 0.01, .max_buckets = 128}); // collapses
    stats::running_moments moments;
    stats::sample_statistics<> statistics;

    const std::uint64_t before = allocations_on_this_thread;
    for (double x : values) {
        histogram.add(x);
        buckets.add(x);
        moments.add(x);
        statistics.add(x);
    }
    for (std::size_t i = values.size(); i-- > 0;) { // the other direction moves the window down
        buckets.add(values[i]);
    }
    const std::uint64_t during = allocations_on_this_thread - before;

    CHECK(during == 0);
    CHECK(histogram.count() + histogram.invalid_count() == values.size());
    CHECK(buckets.collapsed());
    CHECK(statistics.sketch().count() == histogram.count());
    CHECK(statistics.sketch().quantile(0.99) == histogram.quantile(0.99));
}
