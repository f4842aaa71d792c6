// A cell that measured nothing is a failed cell: the report says so on its first screen, with
// the reason, and never shows a success rate over no request.
#include <llmcap/report/markdown_reporter.hpp>
#include <llmcap/sweep/result.hpp>
#include <llmcap/sweep/result_json.hpp>

#include "sample_result.hpp"

#include <boost/json/object.hpp>

#include <doctest/doctest.h>

#include <sstream>
#include <string>

namespace lr = llmcap::report;
namespace ls = llmcap::sweep;

namespace {

std::string markdown(const ls::sweep_result& r) {
    std::ostringstream out;
    lr::markdown_reporter{}.write(r, out);
    return out.str();
}

} // namespace

TEST_CASE("cell_result: failure_reason says why a cell measured nothing") {
    ls::cell_result c;
    c.requests_started = 3;
    c.requests_succeeded = 1;
    CHECK_FALSE(c.measured_nothing());
    CHECK(c.failure_reason().empty());

    c.requests_succeeded = 0;
    c.failures.push_back({llmcap::error::http_status, 3, {"HTTP 500 (InternalServerError): boom"}});
    CHECK(c.measured_nothing());
    CHECK(c.failure_reason() ==
          "3 of 3 requests failed: http_status ×3 (HTTP 500 (InternalServerError): boom)");

    ls::cell_result calibration;
    calibration.stop_reason = llmcap::workload::stop_reason::error;
    calibration.stop_error = "prompt calibration failed: HTTP 404";
    CHECK(calibration.measured_nothing());
    CHECK(calibration.failure_reason() == "prompt calibration failed: HTTP 404");

    ls::cell_result none;
    none.stop_reason = llmcap::workload::stop_reason::duration;
    CHECK(none.failure_reason() == "no measured request ran (stop reason: duration)");
}

TEST_CASE("build_report: cells that measured nothing are named on the first screen") {
    ls::sweep_result r = llmcap::test::sample_result();
    REQUIRE(r.cells.size() >= 2);
    const std::string clean = markdown(r);
    CHECK(clean.find("measured nothing") == std::string::npos);

    ls::cell_result& failed = r.cells[1];
    failed.requests_started = 0;
    failed.requests_succeeded = 0;
    failed.failures.clear();
    failed.stop_reason = llmcap::workload::stop_reason::error;
    failed.stop_error = "prompt calibration failed: probe request failed: HTTP 404";
    const std::string md = markdown(r);
    const std::size_t warning =
        md.find("**1 of " + std::to_string(r.cells.size()) + " cells measured nothing**");
    REQUIRE(warning != std::string::npos);
    CHECK(warning < md.find("## Highlights")); // before the first figures
    CHECK(md.find("- **" + failed.key.id() +
                  "**: prompt calibration failed: probe request failed: HTTP 404") !=
          std::string::npos);

    // Nothing measured at all: no "100% success" over zero requests anywhere.
    for (ls::cell_result& c : r.cells) {
        c.requests_started = 0;
        c.requests_succeeded = 0;
        c.failures.clear();
        c.stop_reason = llmcap::workload::stop_reason::error;
        c.stop_error = "prompt calibration failed: HTTP 500";
    }
    const std::string none = markdown(r);
    CHECK(none.find("no request was measured") != std::string::npos);
    CHECK(none.find(" of 0 requests") == std::string::npos);
    CHECK(none.find("over 0 measured requests") == std::string::npos);
    CHECK(none.find("Overall: no measured request ran.") != std::string::npos);
}

TEST_CASE("build_report: a run without TLS verification says so on the first screen") {
    ls::sweep_result r = llmcap::test::sample_result();
    CHECK(markdown(r).find("TLS certificate verification was off") == std::string::npos);
    r.run.options["client"] = boost::json::object{{"tls_verify", false}};
    const std::string md = markdown(r);
    const std::size_t warning = md.find("**TLS certificate verification was off** (--insecure)");
    REQUIRE(warning != std::string::npos);
    CHECK(warning < md.find("## Highlights"));
    r.run.options["client"] = boost::json::object{{"tls_verify", true}};
    CHECK(markdown(r).find("TLS certificate verification was off") == std::string::npos);
}

TEST_CASE("build_report: streams delivered in one burst are counted, and survive a JSON trip") {
    ls::sweep_result r = llmcap::test::sample_result();
    CHECK(markdown(r).find("received all their tokens at once") == std::string::npos);
    r.cells[0].burst_streams = 3;
    CHECK(markdown(r).find("3 successful request(s) received all their tokens at once") !=
          std::string::npos);
    const auto back = ls::cell_result_from_json(ls::to_json(r.cells[0]));
    REQUIRE(back.has_value());
    CHECK(back->burst_streams == 3);
    boost::json::value older = ls::to_json(r.cells[0]);
    older.as_object().erase("burst_streams");
    const auto old_file = ls::cell_result_from_json(older);
    REQUIRE(old_file.has_value());
    CHECK(old_file->burst_streams == 0);
}
