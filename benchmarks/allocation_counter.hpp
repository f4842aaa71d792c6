#pragma once
// Counts this program's heap allocations, for benchmarks that report allocations per
// operation. It replaces the global operator new and delete, so include it in exactly one
// translation unit of a benchmark executable.

#include <atomic>  // atomic
#include <cstddef> // size_t
#include <cstdint> // uint64_t
#include <cstdlib> // malloc, free
#include <new>     // bad_alloc

namespace llmcap_bench {

/// Calls of operator new in this process so far; read it before and after a measured loop.
inline std::atomic<std::uint64_t> heap_allocations{0};

} // namespace llmcap_bench

// Not inlined: GCC 12 otherwise sees malloc() paired with operator delete (or free() with
// operator new) at call sites and warns (-Wmismatched-new-delete).
[[gnu::noinline]] void* operator new(std::size_t n) {
    llmcap_bench::heap_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n))
        return p;
    throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept {
    std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
