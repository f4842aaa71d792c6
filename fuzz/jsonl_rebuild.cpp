// Fuzzes the readers that rebuild a sweep from its JSON Lines files: llmcap::parse_json
// (include/llmcap/core/json_parse.hpp) of one line, then
// trace_record_from_json (sweep/trace_json.hpp, a requests.jsonl line), cell_result_from_json
// (sweep/result_json.hpp, a cells.jsonl line), run_info_from_json and plan_from_json (run.json's
// "run" and "plan", on the value and on those members of it) and sweep_result_from_json
// (results.json). Checks: no crash, no leak; a failure names a JSONPath; a record read
// successfully is written (to_json) and read again to the same JSON text.
#include <llmcap/core/json_parse.hpp>
#include <llmcap/sweep/plan.hpp>
#include <llmcap/sweep/result_json.hpp>
#include <llmcap/sweep/trace_json.hpp>

#include "fuzz_check.hpp"

#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace {

boost::json::value reparse(const boost::json::value& v) {
    boost::system::error_code ec;
    const std::string text = boost::json::serialize(v);
    boost::json::value back = llmcap::parse_json(text, ec);
    if (ec)
        std::fprintf(stderr, "written: %s\nerror: %s\n", text.c_str(), ec.message().c_str());
    FUZZ_CHECK(!ec, "written JSON does not parse");
    return back;
}

// Reads `v` with `read`; a record read is written with `write`, parsed and read again to the
// same JSON text, and a failure names a JSONPath.
template <class Read, class Write>
void round_trip(const boost::json::value& v, Read read, Write write, const char* what) {
    const auto r = read(v);
    if (!r) {
        if (r.error().path.rfind("$", 0) != 0)
            std::fprintf(stderr, "%s: error without a path: %s\n", what,
                         r.error().message().c_str());
        FUZZ_CHECK(r.error().path.rfind("$", 0) == 0, "an error without a path");
        return;
    }
    const boost::json::value written = write(*r);
    const auto again = read(reparse(written));
    if (!again)
        std::fprintf(stderr, "%s written does not read back: %s\n%s\n", what,
                     again.error().message().c_str(), boost::json::serialize(written).c_str());
    FUZZ_CHECK(again.has_value(), "a record written does not read back");
    const std::string first = boost::json::serialize(written);
    const std::string second = boost::json::serialize(write(*again));
    if (first != second)
        std::fprintf(stderr, "%s reads back differently:\n%s\n%s\n", what, first.c_str(),
                     second.c_str());
    FUZZ_CHECK(first == second, "a record reads back differently");
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
    round_trip(
        v, [&](const boost::json::value& x) { return sweep::trace_record_from_json(x, origin); },
        [&](const sweep::trace_record& r) { return sweep::to_json(r, origin); }, "a trace record");
    round_trip(
        v, [](const boost::json::value& x) { return sweep::cell_result_from_json(x); },
        [](const sweep::cell_result& c) { return sweep::to_json(c); }, "a cell result");
    round_trip(
        v, [](const boost::json::value& x) { return sweep::run_info_from_json(x); },
        [](const sweep::run_info& r) { return sweep::to_json(r); }, "run information");
    round_trip(
        v, [](const boost::json::value& x) { return sweep::plan_from_json(x); },
        [](const sweep::sweep_plan& p) { return sweep::to_json(p); }, "a plan");
    round_trip(
        v, [](const boost::json::value& x) { return sweep::sweep_result_from_json(x); },
        [](const sweep::sweep_result& r) { return sweep::to_json(r); }, "a sweep result");
    // run.json holds the run and the plan side by side.
    if (const boost::json::object* o = v.if_object()) {
        if (const boost::json::value* run = o->if_contains("run"))
            round_trip(
                *run, [](const boost::json::value& x) { return sweep::run_info_from_json(x); },
                [](const sweep::run_info& r) { return sweep::to_json(r); }, "run.json's run");
        if (const boost::json::value* plan = o->if_contains("plan"))
            round_trip(
                *plan, [](const boost::json::value& x) { return sweep::plan_from_json(x); },
                [](const sweep::sweep_plan& p) { return sweep::to_json(p); }, "run.json's plan");
    }
    return 0;
}
