// Fuzzes the readers that rebuild a sweep from its JSON Lines files: llmcap::parse_json
// (include/llmcap/core/json_parse.hpp) of one line, then
// trace_record_from_json (sweep/trace_json.hpp, a requests.jsonl line) and cell_result_from_json
// (sweep/result_json.hpp, a cells.jsonl line) on the value. Checks: no crash, no leak; a failure
// names a JSONPath; a record read successfully is written (to_json) and read again to the
// same JSON text.
#include <llmcap/core/json_parse.hpp>
#include <llmcap/sweep/result_json.hpp>
#include <llmcap/sweep/trace_json.hpp>

#include "fuzz_check.hpp"

#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

boost::json::value reparse(const boost::json::value& v) {
    boost::system::error_code ec;
    boost::json::value back = llmcap::parse_json(boost::json::serialize(v), ec);
    FUZZ_CHECK(!ec, "written JSON does not parse");
    return back;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace sweep = llmcap::sweep;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    boost::system::error_code ec;
    const boost::json::value v = llmcap::parse_json(text, ec);
    if (ec)
        return 0;

    const llmcap::time_point origin = llmcap::time_point{} + std::chrono::hours(1);
    if (const auto r = sweep::trace_record_from_json(v, origin)) {
        const boost::json::value written = sweep::to_json(*r, origin);
        const auto again = sweep::trace_record_from_json(reparse(written), origin);
        FUZZ_CHECK(again.has_value(), "a written trace record does not read back");
        FUZZ_CHECK(boost::json::serialize(sweep::to_json(*again, origin)) ==
                       boost::json::serialize(written),
                   "a trace record reads back differently");
    } else {
        FUZZ_CHECK(r.error().path.rfind("$", 0) == 0, "a trace record error without a path");
    }
    if (const auto c = sweep::cell_result_from_json(v)) {
        const boost::json::value written = sweep::to_json(*c);
        const auto again = sweep::cell_result_from_json(reparse(written));
        FUZZ_CHECK(again.has_value(), "a written cell result does not read back");
        FUZZ_CHECK(boost::json::serialize(sweep::to_json(*again)) ==
                       boost::json::serialize(written),
                   "a cell result reads back differently");
    } else {
        FUZZ_CHECK(c.error().path.rfind("$", 0) == 0, "a cell result error without a path");
    }
    return 0;
}
