#pragma once

#include <llmcap/core/json_number.hpp>
#include <llmcap/core/json_reader.hpp>
#include <llmcap/sweep/result.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef> // size_t
#include <string>  // string
#include <utility> // move
#include <vector>  // vector

/**
 * What a cell records about where its load came from, as JSON in cells.jsonl and results.json
 * (`docs/results-schema.md`): an open-loop or trace cell's `arrivals` (schedule kept, saturation
 * check, timeline) and a dataset or trace cell's `dataset` (records used and skipped).
 * Non-finite numbers are written as null and read back as NaN. `sweep/result_json.hpp` writes
 * and reads cells with these.
 */
namespace llmcap::sweep {

/// An arrival check as JSON; the timeline as `[[seconds, backlog, TTFT or null], ...]`.
[[nodiscard]] inline boost::json::object to_json(const arrival_check& a) {
    boost::json::array timeline;
    for (const timeline_point& t : a.timeline)
        timeline.push_back(boost::json::array{json_number_or_null(t.at_s),
                                              json_number_or_null(t.backlog),
                                              json_number_or_null(t.ttft_s)});
    return {{"offered_rate_per_s", json_number_or_null(a.offered_rate_per_s)},
            {"achieved_rate_per_s", json_number_or_null(a.achieved_rate_per_s)},
            {"lag_p50_s", json_number_or_null(a.lag_p50_s)},
            {"lag_p99_s", json_number_or_null(a.lag_p99_s)},
            {"lag_max_s", json_number_or_null(a.lag_max_s)},
            {"late", a.late},
            {"late_requests", a.late_requests},
            {"backlog_early", json_number_or_null(a.backlog_early)},
            {"backlog_late", json_number_or_null(a.backlog_late)},
            {"ttft_early_s", json_number_or_null(a.ttft_early_s)},
            {"ttft_late_s", json_number_or_null(a.ttft_late_s)},
            {"e2e_early_s", json_number_or_null(a.e2e_early_s)},
            {"e2e_late_s", json_number_or_null(a.e2e_late_s)},
            {"backlog_mid", json_number_or_null(a.backlog_mid)},
            {"e2e_mid_s", json_number_or_null(a.e2e_mid_s)},
            {"too_short", a.too_short},
            {"saturated", a.saturated},
            {"timeline", std::move(timeline)}};
}

/// A dataset record as JSON; `skipped` as an object of reason → count.
[[nodiscard]] inline boost::json::object to_json(const dataset_record& d) {
    boost::json::object skipped;
    for (const auto& [why, n] : d.skipped)
        skipped[why] = n;
    return {{"file", d.file},
            {"records", d.records},
            {"used", d.used},
            {"outputs_from_data", d.outputs_from_data},
            {"skipped", std::move(skipped)},
            {"prompt_tokens_mean", json_number_or_null(d.prompt_tokens_mean)},
            {"prompt_tokens_max", d.prompt_tokens_max}};
}

/// Reads an arrival check at `path` into `a`; the saturation fields, absent in files written
/// before the check, read as not assessed. False (the error in `in`) when malformed.
inline bool read_arrival_check(json_reader& in, const boost::json::value& v,
                               const std::string& path, arrival_check& a) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    in.field(*o, "offered_rate_per_s", path, a.offered_rate_per_s);
    in.field(*o, "achieved_rate_per_s", path, a.achieved_rate_per_s);
    in.field(*o, "lag_p50_s", path, a.lag_p50_s);
    in.field(*o, "lag_p99_s", path, a.lag_p99_s);
    in.field(*o, "lag_max_s", path, a.lag_max_s);
    in.field(*o, "late", path, a.late);
    in.optional_field(*o, "late_requests", path, a.late_requests);
    in.optional_field(*o, "backlog_early", path, a.backlog_early);
    in.optional_field(*o, "backlog_late", path, a.backlog_late);
    in.optional_field(*o, "ttft_early_s", path, a.ttft_early_s);
    in.optional_field(*o, "ttft_late_s", path, a.ttft_late_s);
    in.optional_field(*o, "e2e_early_s", path, a.e2e_early_s);
    in.optional_field(*o, "e2e_late_s", path, a.e2e_late_s);
    in.optional_field(*o, "backlog_mid", path, a.backlog_mid);
    in.optional_field(*o, "e2e_mid_s", path, a.e2e_mid_s);
    in.optional_field(*o, "too_short", path, a.too_short);
    in.optional_field(*o, "saturated", path, a.saturated);
    if (const boost::json::value* tv = o->if_contains("timeline"); tv && in.ok())
        if (const boost::json::array* ta = in.array(*tv, path + ".timeline"))
            for (std::size_t i = 0; i < ta->size() && in.ok(); ++i) {
                const std::string at = path + ".timeline[" + std::to_string(i) + "]";
                std::vector<double> x;
                if (in.read((*ta)[i], at, x) && x.size() != 3)
                    in.fail(at, "expected [seconds, backlog, TTFT]");
                if (in.ok())
                    a.timeline.push_back({x[0], x[1], x[2]});
            }
    return in.ok();
}

/// Reads a dataset record at `path` into `r`. False (the error in `in`) when malformed, or
/// when more outputs came from the data than records were used.
inline bool read_dataset_record(json_reader& in, const boost::json::value& v,
                                const std::string& path, dataset_record& r) {
    const boost::json::object* d = in.object(v, path);
    if (d == nullptr)
        return false;
    in.field(*d, "file", path, r.file);
    in.field(*d, "records", path, r.records);
    in.field(*d, "used", path, r.used);
    in.field(*d, "outputs_from_data", path, r.outputs_from_data);
    in.field(*d, "prompt_tokens_mean", path, r.prompt_tokens_mean);
    in.field(*d, "prompt_tokens_max", path, r.prompt_tokens_max);
    if (const boost::json::value* sk = in.member(*d, "skipped", path))
        if (const boost::json::object* so = in.object(*sk, path + ".skipped"))
            for (const auto& kv : *so)
                in.read(kv.value(), path + ".skipped." + std::string(kv.key()),
                        r.skipped[std::string(kv.key())]);
    if (in.ok() && r.outputs_from_data > r.used)
        return in.fail(path + ".outputs_from_data", "exceeds used");
    return in.ok();
}

} // namespace llmcap::sweep
