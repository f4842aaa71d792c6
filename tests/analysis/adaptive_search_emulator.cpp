// The adaptive search against the virtual-time emulator: it must find the capacity an
// exhaustive scan of every concurrency level finds, within ⌈2·log2(c_max)⌉ + 2 cells.
#include <llmcap/analysis/adaptive_search.hpp>

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/cell_recorder.hpp>
#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/emulator/virtual_cell.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

namespace la = llmcap::analysis;
namespace em = llmcap::emulator;

namespace {

// One closed-loop cell in virtual time: c warm-up requests, then 2·c measured ones.
la::cell_summary simulate_cell(const em::profile& p, const la::use_case& uc, std::uint32_t c) {
    em::virtual_cell cell{
        .prompt_tokens = uc.context_tokens, .output_tokens = uc.output_tokens, .concurrency = c};
    cell.warmup_requests = c;
    cell.stop.requests = 2 * c;
    return em::run_virtual_cell(p, cell).recorder.summary();
}

void check_against_exhaustive(const la::use_case& uc, std::uint32_t max_c) {
    const em::profile p = em::builtin_profile();
    std::vector<la::cell_summary> every;
    for (std::uint32_t c = 1; c <= max_c; ++c)
        every.push_back(simulate_cell(p, uc, c));
    const la::capacity_result exhaustive = la::compute_capacity(uc, every);

    std::uint32_t measured = 0;
    const auto measure = [&](std::uint32_t c) {
        ++measured;
        return every[c - 1]; // the same cells the exhaustive scan measured
    };
    la::search_options o;
    o.max_concurrency = max_c;
    const la::search_result found = la::find_capacity(uc, measure, o);
    CAPTURE(uc.name);
    CAPTURE(exhaustive.capacity);
    CAPTURE(la::capacity_kind_name(exhaustive.kind));
    CHECK(found.capacity == exhaustive.capacity);
    CHECK(found.analysis.capacity == exhaustive.capacity);
    CHECK(found.analysis.kind == exhaustive.kind);
    CHECK(measured <= la::default_search_budget(max_c));
    if (exhaustive.binding)
        CHECK(found.analysis.binding == exhaustive.binding);

    // Measuring afresh inside the search gives the same answer (the simulator is deterministic).
    const la::search_result fresh = la::find_capacity(
        uc, [&](std::uint32_t c) { return simulate_cell(p, uc, c); }, o);
    CHECK(fresh.capacity == found.capacity);
}

} // namespace

TEST_CASE("find_capacity: code completion on the emulator matches an exhaustive scan") {
    check_against_exhaustive(*la::find_builtin_use_case("code_completion"), 40);
}

TEST_CASE("find_capacity: long document processing on the emulator matches an exhaustive scan") {
    check_against_exhaustive(*la::find_builtin_use_case("long_document_processing"), 8);
}

TEST_CASE("find_capacity: automated coding assistant on the emulator matches an exhaustive scan") {
    check_against_exhaustive(*la::find_builtin_use_case("automated_coding_assistant"), 6);
}
