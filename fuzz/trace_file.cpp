// Fuzzes the reader of production traces (workload::parse_trace, include/llmcap/workload/
// trace_file.hpp): Mooncake JSON Lines, Azure CSV and BurstGPT CSV, as --trace reads them.
// Checks: no crash; reading is a pure function of the input; a failure is about "trace" and
// keeps no request and no skip count; a success keeps at least one request, in file order, its
// times from 0 and never decreasing, every length above 0 and within the context given, and
// Mooncake hash ids one per 512-token block (or none); skip counts are positive.
// Input layout: byte 0 picks the format (0 Mooncake, 1 Azure, 2 BurstGPT), byte 1 the context
// (0: none, else byte × 64 tokens), then the text.
#include <llmcap/workload/trace_file.hpp>

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace llmcap::workload;
    if (size < 2)
        return 0;
    constexpr trace_format formats[] = {trace_format::mooncake, trace_format::azure,
                                        trace_format::burstgpt};
    const trace_format format = formats[data[0] % 3];
    const std::uint64_t context = std::uint64_t{data[1]} * 64;
    const std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);
    const trace_read r = parse_trace(text, format, context);
    const trace_read again = parse_trace(text, format, context);
    FUZZ_CHECK(r.error == again.error && r.entries == again.entries && r.skipped == again.skipped,
               "reading is not a function of the input");
    if (!r.ok()) {
        FUZZ_CHECK(r.error.rfind("trace: ", 0) == 0, "an error about something else");
        FUZZ_CHECK(r.entries.empty() && r.skipped.empty(), "requests kept beside an error");
        return 0;
    }
    FUZZ_CHECK(!r.entries.empty(), "a trace without a request");
    FUZZ_CHECK(r.entries.front().at_s == 0.0, "times do not count from the first request");
    for (std::size_t i = 0; i < r.entries.size(); ++i) {
        const trace_entry& e = r.entries[i];
        FUZZ_CHECK(e.input_tokens > 0 && e.output_tokens > 0, "a zero length kept");
        FUZZ_CHECK(context == 0 || std::uint64_t{e.input_tokens} + e.output_tokens <= context,
                   "a request beyond the context kept");
        FUZZ_CHECK(e.at_s >= 0.0, "a negative time");
        if (i > 0) {
            FUZZ_CHECK(e.at_s >= r.entries[i - 1].at_s, "times out of order");
            FUZZ_CHECK(e.line > r.entries[i - 1].line, "requests out of file order");
        }
        const std::uint64_t blocks =
            (std::uint64_t{e.input_tokens} + mooncake_block_tokens - 1) / mooncake_block_tokens;
        FUZZ_CHECK(e.hash_ids.empty() || e.hash_ids.size() == blocks,
                   "hash ids that contradict the prompt length");
        FUZZ_CHECK(format == trace_format::mooncake || e.hash_ids.empty(),
                   "hash ids outside a Mooncake trace");
    }
    for (const auto& [why, n] : r.skipped)
        FUZZ_CHECK(n > 0 && !why.empty(), "a skip count of 0 or without a reason");
    return 0;
}
