// Counts heap allocations: the parser must not allocate per event in steady state.
#include <llmcap/sse/parser.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
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

TEST_CASE("sse::parser: no allocation per event after warm-up") {
    const std::string chunk = "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":"
                              "{\"content\":\" word\"},\"finish_reason\":null}]}\n\n";
    std::string stream;
    for (int i = 0; i < 64; ++i)
        stream += chunk;
    llmcap::sse::parser p;
    llmcap::sse::event ev;
    std::error_code ec;
    auto feed = [&](std::size_t read_size) {
        std::size_t events = 0;
        for (std::size_t at = 0; at < stream.size(); at += read_size) {
            std::string_view part = std::string_view(stream).substr(at, read_size);
            while (true) {
                part.remove_prefix(p.put(part, ev, ec));
                if (ec)
                    break;
                ++events;
            }
            REQUIRE(ec == llmcap::sse::error::need_more);
        }
        return events;
    };
    CHECK(feed(37) == 64); // warm-up: buffers grow to their working size
    const long before = allocations.load();
    CHECK(feed(37) == 64);
    CHECK(feed(stream.size()) == 64);
    CHECK(feed(1) == 64);
    CHECK(allocations.load() == before);
}
