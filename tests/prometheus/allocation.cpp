// Counts heap allocations: parsing a page into a warmed-up scrape must not allocate.
#include <llmcap/prometheus/parser.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <new>
#include <string>

namespace {
std::atomic<long> allocations{0};
} // namespace

void* operator new(std::size_t n) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n))
        return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}

TEST_CASE("prometheus::parse: no allocation when re-parsing into a warmed-up scrape") {
    std::ifstream in(std::string(LLMCAP_TEST_FIXTURES_DIR) + "/vllm/metrics-after.prom",
                     std::ios::binary);
    REQUIRE(in);
    const std::string page{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const std::string before_page = [&] {
        std::ifstream b(std::string(LLMCAP_TEST_FIXTURES_DIR) + "/vllm/metrics-before.prom",
                        std::ios::binary);
        return std::string{std::istreambuf_iterator<char>(b), std::istreambuf_iterator<char>()};
    }();
    // An escaped label value exercises the unescape buffer too.
    const std::string escaped = page + "extra{msg=\"a \\\"quoted\\\" \\\\ value\"} 1\n";

    llmcap::prometheus::scrape s;
    REQUIRE_FALSE(llmcap::prometheus::parse(escaped, s)); // warm-up
    const std::size_t samples = s.size();
    const long start = allocations.load();
    for (int i = 0; i < 5; ++i) {
        CHECK_FALSE(llmcap::prometheus::parse(page, s));
        CHECK_FALSE(llmcap::prometheus::parse(before_page, s));
        CHECK_FALSE(llmcap::prometheus::parse(escaped, s));
    }
    const long used = allocations.load() - start;
    CHECK(used == 0);
    CHECK(s.size() == samples);
    CHECK(s.find("extra")->labels().get("msg") == "a \"quoted\" \\ value");
    // Lookups do not allocate either.
    const long before_lookup = allocations.load();
    CHECK(s.sum("vllm:prompt_tokens_total") == 18432.0);
    CHECK(s.find("vllm:num_requests_running", {{"engine", "0"}}));
    CHECK(allocations.load() == before_lookup);
}
