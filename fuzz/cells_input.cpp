// Fuzzes the per-cell statistics reader (include/llmcap/report/cells_input.hpp) through its text
// entry points parse_cells_json and parse_cells_csv, and the JSON-or-CSV choice read_cells_file
// makes. Checks: no crash; a failure has a message naming the input; a success has one use case
// label per cell, only finite statistics >= 0, and its cells can be selected for every built-in
// use case (cells_for) and listed by context length.
// Input layout: byte 0 picks the reader (0: JSON, 1: CSV, else as read_cells_file), then text.
#include <llmcap/report/cells_input.hpp>

#include "fuzz_check.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

llmcap::report::cells_input read(std::uint8_t how, std::string_view text) {
    using namespace llmcap::report;
    if (how % 3 == 0)
        return parse_cells_json(text, "fuzz.json");
    if (how % 3 == 1)
        return parse_cells_csv(text, "fuzz.csv");
    std::string_view body = text;
    detail::skip_bom(body);
    const std::size_t first = body.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && (body[first] == '[' || body[first] == '{'))
        return parse_cells_json(text, "fuzz");
    return parse_cells_csv(text, "fuzz");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1)
        return 0;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    const llmcap::report::cells_input in = read(data[0], text);
    if (!in.ok()) {
        FUZZ_CHECK(in.error.rfind("fuzz", 0) == 0, "error does not name the input");
        return 0;
    }
    FUZZ_CHECK(in.cells.size() == in.use_cases.size(), "one use case label per cell");
    for (const llmcap::analysis::cell_summary& c : in.cells)
        for (const auto& [m, s] : c.metrics)
            for (const double v : {s.mean, s.p50, s.p90, s.p95, s.p99, s.p99_9, s.min, s.max})
                FUZZ_CHECK(std::isnan(v) || (std::isfinite(v) && v >= 0),
                           "a statistic that is not a finite number >= 0");
    for (const llmcap::analysis::use_case& uc : llmcap::analysis::builtin_use_cases())
        (void)in.cells_for(uc);
    (void)in.context_lengths();
    return 0;
}
