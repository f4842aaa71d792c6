#pragma once

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/analysis/scaling.hpp>
#include <llmcap/analysis/use_case.hpp>
#include <llmcap/analysis/use_case_json.hpp>
#include <llmcap/core/error.hpp>
#include <llmcap/core/json_error.hpp>
#include <llmcap/core/json_number.hpp>
#include <llmcap/core/json_reader.hpp>
#include <llmcap/sweep/capacity_json.hpp>
#include <llmcap/sweep/result.hpp>
#include <llmcap/sweep/schedule_json.hpp>
#include <llmcap/sweep/summary_json.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cmath>       // isfinite
#include <cstdint>     // uint32_t, uint64_t
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view
#include <type_traits> // remove_cvref_t
#include <utility>     // move
#include <vector>      // vector

/**
 * The results of a sweep as JSON (`sweep/result.hpp` holds the types; `docs/results-schema.md`
 * documents every field; the statistics inside them are written by `sweep/summary_json.hpp`).
 *
 * `to_json` writes each type as an object; `*_from_json` reads it back and, on malformed
 * input, returns a json_error naming the field by its JSONPath ("$.cells[2].key.concurrency:
 * expected a non-negative integer, got a string"). Non-finite numbers are written as null and
 * read back as NaN (statistics) or empty (optional values). Doubles follow the library's one
 * policy (core/json_number.hpp): written as the shortest text that reads back to them, and read
 * back exactly from a document parsed with parse_json, so a file read and written again is the
 * same byte for byte.
 */
namespace llmcap::sweep {

// ------------------------------------------------------------------------------------------
// JSON: writing

/// A cell key as JSON.
[[nodiscard]] inline boost::json::object to_json(const cell_key& k) {
    boost::json::object o{{"context_tokens", k.context_tokens},
                          {"output_tokens", k.output_tokens},
                          {"concurrency", k.concurrency},
                          {"use_case", k.use_case}};
    if (k.rate_per_s) // open loop only: closed-loop cells are written as before
        o["rate_per_s"] = *k.rate_per_s;
    if (k.sessions) // session cells only, likewise
        o["sessions"] = true;
    o["id"] = k.id();
    return o;
}

/// A cell result as JSON (one line of `cells.jsonl`).
[[nodiscard]] inline boost::json::object to_json(const cell_result& c) {
    boost::json::array failures;
    for (const failure_count& f : c.failures)
        failures.push_back(
            boost::json::object{{"kind", error_name(f.kind)},
                                {"count", f.count},
                                {"examples", detail::to_array(f.examples, [](const std::string& s) {
                                     return boost::json::value(s);
                                 })}});
    boost::json::object o{
        {"key", sweep::to_json(c.key)},
        {"summary", sweep::to_json(c.summary)},
        {"warmup_requests", c.warmup_requests},
        {"requests_started", c.requests_started},
        {"requests_succeeded", c.requests_succeeded},
        {"success_rate", c.success_rate()},
        {"failures", std::move(failures)},
        {"short_outputs", c.short_outputs},
        {"burst_streams", c.burst_streams},
        {"prompt", boost::json::object{{"target_tokens", c.prompt.target_tokens},
                                       {"reported", c.prompt.reported},
                                       {"exact", c.prompt.exact},
                                       {"mean_tokens", json_number_or_null(c.prompt.mean_tokens)},
                                       {"min_tokens", c.prompt.min_tokens},
                                       {"max_tokens", c.prompt.max_tokens},
                                       {"max_relative_error",
                                        json_number_or_null(c.prompt.max_relative_error)},
                                       {"flagged", c.prompt.flagged}}},
        {"client_lag",
         boost::json::object{{"p99_s", json_number_or_null(c.client_lag.p99_s)},
                             {"mean_ttft_s", json_number_or_null(c.client_lag.mean_ttft_s)},
                             {"flagged", c.client_lag.flagged}}},
        {"energy_error", c.energy_error},
        {"stop_reason", stop_reason_text(c.stop_reason, c.stop_error)},
        {"complete", c.complete},
        {"start_ns", c.start_ns},
        {"end_ns", c.end_ns},
        {"wall_start", c.wall_start},
        {"wall_end", c.wall_end},
        {"simulated", c.simulated},
        {"sketches", c.sketches},
    };
    if (c.server) {
        boost::json::object values;
        for (const auto& [name, q] : c.server->values)
            values[name] = boost::json::object{{"value", json_number_or_null(q.value)},
                                               {"state", to_string(q.state)},
                                               {"source", to_string(q.source)},
                                               {"observations", q.observations},
                                               {"metric", q.metric}};
        o["server"] = boost::json::object{{"server_name", c.server->server_name},
                                          {"values", std::move(values)},
                                          {"error", c.server->error}};
    } else {
        o["server"] = nullptr;
    }
    if (c.cache.reported() > 0 || c.cache.impossible > 0) // absent: nothing reported
        o["cache"] = boost::json::object{{"usage_cached_tokens", c.cache.usage_cached_tokens},
                                         {"timings_cache_n", c.cache.timings_cache_n},
                                         {"impossible", c.cache.impossible}};
    if (c.arrivals) // open-loop and trace cells only
        o["arrivals"] = sweep::to_json(*c.arrivals);
    if (c.dataset) // dataset and trace cells only
        o["dataset"] = sweep::to_json(*c.dataset);
    if (!c.classes.empty()) { // mix cells only
        boost::json::array classes;
        for (const mix_class_cell& m : c.classes)
            classes.push_back(sweep::to_json(m));
        o["classes"] = std::move(classes);
        o["first_index"] = c.first_index;
    }
    if (c.sessions) {
        const session_record& r = *c.sessions;
        boost::json::array turns;
        for (const analysis::turn_statistics& t : r.turns)
            turns.push_back(boost::json::object{
                {"turn", t.turn},
                {"requests", t.requests},
                {"succeeded", t.succeeded},
                {"ttft_s", sweep::to_json(t.ttft)},
                {"ttfa_mean_s", json_number_or_null(t.ttfa_mean_s)},
                {"generation_speed_mean", json_number_or_null(t.generation_speed_mean)},
                {"prompt_tokens_mean", json_number_or_null(t.prompt_tokens_mean)},
                {"cached_prompt_fraction", json_number_or_null(t.cached_prompt_fraction)}});
        o["sessions"] =
            boost::json::object{{"turns_per_conversation", r.turns_per_conversation},
                                {"conversations_started", r.conversations_started},
                                {"conversations_completed", r.conversations_completed},
                                {"ended_by_context", r.ended_by_context},
                                {"ended_by_failure", r.ended_by_failure},
                                {"in_progress_at_stop", r.in_progress_at_stop},
                                {"conversation_time_s", sweep::to_json(r.conversation_time_s)},
                                {"turns", std::move(turns)}};
    }
    if (c.energy) {
        const energy_record& e = *c.energy;
        o["energy"] = boost::json::object{
            {"energy_j", json_number_or_null(e.energy_j)},
            {"mean_power_w", json_number_or_null(e.mean_power_w)},
            {"peak_power_w", json_number_or_null(e.peak_power_w)},
            {"joules_per_output_token", json_number_or_null(e.joules_per_output_token)},
            {"elapsed_s", json_number_or_null(e.elapsed_s)},
            {"source", to_string(e.source)},
            {"method", to_string(e.method)},
            {"gpu_count", e.gpu_count}};
    } else {
        o["energy"] = nullptr;
    }
    return o;
}

/// A use case's search and capacity as JSON.
[[nodiscard]] inline boost::json::object to_json(const use_case_result& u) {
    return {{"use_case", analysis::to_json(u.use_case)},
            {"measured_concurrency",
             detail::to_array(u.measured_concurrency,
                              [](std::uint32_t c) { return boost::json::value(c); })},
            {"converged", u.converged},
            {"budget_exhausted", u.budget_exhausted},
            {"capacity", sweep::to_json(u.capacity)}};
}

/// Run information as JSON (the body of `run.json`).
[[nodiscard]] inline boost::json::object to_json(const run_info& r) {
    boost::json::object server{{"dialect", r.server.dialect},
                               {"version", r.server.version},
                               {"model_id", r.server.model_id},
                               {"evidence", r.server.evidence},
                               {"models_json", r.server.models_json}};
    if (r.server.max_model_len)
        server["max_model_len"] = *r.server.max_model_len;
    else
        server["max_model_len"] = nullptr;
    return {{"tool_version", r.tool_version},
            {"preset", r.preset},
            {"model", r.model},
            {"server_url", r.server_url},
            {"dialect", r.dialect},
            {"server", std::move(server)},
            {"engine_version", r.engine_version},
            {"gpu", r.gpu},
            {"hardware", r.hardware},
            {"host", boost::json::object{{"hostname", r.host.hostname},
                                         {"os", r.host.os},
                                         {"cpu_count", r.host.cpu_count}}},
            {"started_at", r.started_at},
            {"finished_at", r.finished_at},
            {"seed", r.seed},
            {"options", r.options}};
}

/// Scaling efficiency as JSON.
[[nodiscard]] inline boost::json::object to_json(const analysis::context_scaling& s) {
    boost::json::array points;
    for (const analysis::scaling_point& p : s.points)
        points.push_back(boost::json::object{
            {"concurrency", p.concurrency},
            {"throughput_tokens_per_s", json_number_or_null(p.throughput_tokens_per_s)},
            {"efficiency", json_number_or_null(p.efficiency)}});
    return {
        {"context_tokens", s.context_tokens},
        {"single_throughput_tokens_per_s", json_number_or_null(s.single_throughput_tokens_per_s)},
        {"points", std::move(points)}};
}

/// The whole sweep as JSON (`results.json`).
[[nodiscard]] inline boost::json::object to_json(const sweep_result& r) {
    boost::json::array cells;
    for (const cell_result& c : r.cells)
        cells.push_back(sweep::to_json(c));
    boost::json::array use_cases;
    for (const use_case_result& u : r.use_cases)
        use_cases.push_back(sweep::to_json(u));
    boost::json::array scaling;
    for (const analysis::context_scaling& s : r.scaling)
        scaling.push_back(sweep::to_json(s));
    boost::json::object o{{"schema_version", r.version},   {"run", sweep::to_json(r.run)},
                          {"cells", std::move(cells)},     {"use_cases", std::move(use_cases)},
                          {"scaling", std::move(scaling)}, {"simulated", r.simulated},
                          {"complete", r.complete}};
    if (!r.rate_searches.empty()) { // absent: the run searched no rate
        boost::json::array rates;
        for (const rate_search_result& s : r.rate_searches)
            rates.push_back(sweep::to_json(s));
        o["rate_searches"] = std::move(rates);
    }
    if (r.mix) // absent: the run searched no traffic mix
        o["mix"] = sweep::to_json(*r.mix);
    return o;
}

// ------------------------------------------------------------------------------------------
// JSON: reading

namespace detail {

/// Reads the string member `key` of `o` as the enumerator whose to_string it is; an unknown
/// name fails with "unknown <what> \"<name>\"" at `path.key`.
template <class Enum>
bool read_name(json_reader& in, const boost::json::object& o, std::string_view key,
               const std::string& path, std::string_view what, Enum& out) {
    std::string name;
    if (!in.field(o, key, path, name))
        return false;
    if (!from_string(name, out))
        return in.fail(path + "." + std::string(key),
                       "unknown " + std::string(what) + " \"" + name + "\"");
    return true;
}

inline bool read_key(json_reader& in, const boost::json::value& v, const std::string& path,
                     cell_key& k) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    in.field(*o, "context_tokens", path, k.context_tokens);
    in.field(*o, "output_tokens", path, k.output_tokens);
    in.field(*o, "concurrency", path, k.concurrency);
    in.field(*o, "use_case", path, k.use_case);
    in.optional_field(*o, "rate_per_s", path, k.rate_per_s);
    in.optional_field(*o, "sessions", path, k.sessions);
    if (in.ok() && k.concurrency == 0)
        return in.fail(path + ".concurrency", "must be at least 1");
    if (in.ok() && k.rate_per_s && !(*k.rate_per_s > 0.0 && std::isfinite(*k.rate_per_s)))
        return in.fail(path + ".rate_per_s", "must be a positive number");
    return in.ok();
}

inline bool read_sessions(json_reader& in, const boost::json::value& v, const std::string& path,
                          session_record& r) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    in.field(*o, "turns_per_conversation", path, r.turns_per_conversation);
    in.field(*o, "conversations_started", path, r.conversations_started);
    in.field(*o, "conversations_completed", path, r.conversations_completed);
    in.field(*o, "ended_by_context", path, r.ended_by_context);
    in.field(*o, "ended_by_failure", path, r.ended_by_failure);
    in.field(*o, "in_progress_at_stop", path, r.in_progress_at_stop);
    if (in.ok() && r.conversations_completed + r.ended_by_context + r.ended_by_failure +
                           r.in_progress_at_stop >
                       r.conversations_started)
        return in.fail(path, "more conversations ended than started");
    if (const boost::json::value* t = in.member(*o, "conversation_time_s", path))
        read_statistics(in, *t, path + ".conversation_time_s", r.conversation_time_s);
    const boost::json::value* tv = in.member(*o, "turns", path);
    const boost::json::array* ta = tv == nullptr ? nullptr : in.array(*tv, path + ".turns");
    if (ta == nullptr)
        return false;
    for (std::size_t i = 0; i < ta->size() && in.ok(); ++i) {
        const std::string p = path + ".turns[" + std::to_string(i) + "]";
        const boost::json::object* to = in.object((*ta)[i], p);
        if (to == nullptr)
            break;
        analysis::turn_statistics t;
        in.field(*to, "turn", p, t.turn);
        if (in.ok() && t.turn != i + 1)
            return in.fail(p + ".turn", "expected " + std::to_string(i + 1));
        in.field(*to, "requests", p, t.requests);
        in.field(*to, "succeeded", p, t.succeeded);
        if (in.ok() && t.succeeded > t.requests)
            return in.fail(p + ".succeeded", "exceeds requests");
        if (const boost::json::value* s = in.member(*to, "ttft_s", p))
            read_statistics(in, *s, p + ".ttft_s", t.ttft);
        in.field(*to, "ttfa_mean_s", p, t.ttfa_mean_s);
        in.field(*to, "generation_speed_mean", p, t.generation_speed_mean);
        in.field(*to, "prompt_tokens_mean", p, t.prompt_tokens_mean);
        in.field(*to, "cached_prompt_fraction", p, t.cached_prompt_fraction);
        if (in.ok() && t.cached_prompt_fraction &&
            !(*t.cached_prompt_fraction >= 0.0 && *t.cached_prompt_fraction <= 1.0))
            return in.fail(p + ".cached_prompt_fraction", "expected a fraction in [0, 1]");
        r.turns.push_back(std::move(t));
    }
    return in.ok();
}

inline bool read_cell(json_reader& in, const boost::json::value& v, const std::string& path,
                      cell_result& c) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    if (const boost::json::value* k = in.member(*o, "key", path))
        read_key(in, *k, path + ".key", c.key);
    if (const boost::json::value* s = in.member(*o, "summary", path))
        read_summary(in, *s, path + ".summary", c.summary);
    in.field(*o, "warmup_requests", path, c.warmup_requests);
    in.field(*o, "requests_started", path, c.requests_started);
    in.field(*o, "requests_succeeded", path, c.requests_succeeded);
    if (in.ok() && c.requests_succeeded > c.requests_started)
        return in.fail(path + ".requests_succeeded", "exceeds requests_started");
    if (const boost::json::value* fv = in.member(*o, "failures", path)) {
        const std::string fpath = path + ".failures";
        if (const boost::json::array* fa = in.array(*fv, fpath)) {
            c.failures.clear();
            for (std::size_t i = 0; i < fa->size() && in.ok(); ++i) {
                const std::string p = fpath + "[" + std::to_string(i) + "]";
                const boost::json::object* fo = in.object((*fa)[i], p);
                if (fo == nullptr)
                    break;
                failure_count f;
                std::string kind;
                if (in.field(*fo, "kind", p, kind) && !error_from_name(kind, f.kind))
                    return in.fail(p + ".kind", "unknown failure kind \"" + kind + "\"");
                in.field(*fo, "count", p, f.count);
                in.field(*fo, "examples", p, f.examples);
                c.failures.push_back(std::move(f));
            }
        }
    }
    in.field(*o, "short_outputs", path, c.short_outputs);
    in.optional_field(*o, "burst_streams", path, c.burst_streams); // absent in older files: 0
    if (const boost::json::value* pv = in.member(*o, "prompt", path)) {
        const std::string p = path + ".prompt";
        if (const boost::json::object* po = in.object(*pv, p)) {
            in.field(*po, "target_tokens", p, c.prompt.target_tokens);
            in.field(*po, "reported", p, c.prompt.reported);
            in.field(*po, "exact", p, c.prompt.exact);
            in.field(*po, "mean_tokens", p, c.prompt.mean_tokens);
            in.field(*po, "min_tokens", p, c.prompt.min_tokens);
            in.field(*po, "max_tokens", p, c.prompt.max_tokens);
            in.field(*po, "max_relative_error", p, c.prompt.max_relative_error);
            in.field(*po, "flagged", p, c.prompt.flagged);
        }
    }
    if (const boost::json::value* lv = in.member(*o, "client_lag", path)) {
        const std::string p = path + ".client_lag";
        if (const boost::json::object* lo = in.object(*lv, p)) {
            in.field(*lo, "p99_s", p, c.client_lag.p99_s);
            in.field(*lo, "mean_ttft_s", p, c.client_lag.mean_ttft_s);
            in.field(*lo, "flagged", p, c.client_lag.flagged);
        }
    }
    if (const boost::json::value* sv = in.member(*o, "server", path); sv && !sv->is_null()) {
        const std::string p = path + ".server";
        if (const boost::json::object* so = in.object(*sv, p)) {
            server_metrics_record s;
            in.field(*so, "server_name", p, s.server_name);
            in.field(*so, "error", p, s.error);
            if (const boost::json::value* vv = in.member(*so, "values", p)) {
                if (const boost::json::object* vo = in.object(*vv, p + ".values")) {
                    for (const auto& kv : *vo) {
                        const std::string q = p + ".values." + std::string(kv.key());
                        const boost::json::object* qo = in.object(kv.value(), q);
                        if (qo == nullptr)
                            break;
                        server_quantity sq;
                        in.field(*qo, "value", q, sq.value);
                        read_name(in, *qo, "state", q, "server value state", sq.state);
                        read_name(in, *qo, "source", q, "server value source", sq.source);
                        in.field(*qo, "observations", q, sq.observations);
                        in.field(*qo, "metric", q, sq.metric);
                        s.values.emplace(std::string(kv.key()), std::move(sq));
                    }
                }
            }
            c.server = std::move(s);
        }
    } else {
        c.server.reset();
    }
    c.cache = {};
    if (const boost::json::value* cv = o->if_contains("cache"); cv && in.ok()) {
        const std::string p = path + ".cache";
        if (const boost::json::object* co = in.object(*cv, p)) {
            in.field(*co, "usage_cached_tokens", p, c.cache.usage_cached_tokens);
            in.field(*co, "timings_cache_n", p, c.cache.timings_cache_n);
            in.field(*co, "impossible", p, c.cache.impossible);
            if (in.ok() && c.cache.reported() + c.cache.impossible > c.requests_started)
                return in.fail(p, "counts more requests than requests_started");
        }
    }
    c.arrivals.reset();
    if (const boost::json::value* av = o->if_contains("arrivals"); av && in.ok())
        read_arrival_check(in, *av, path + ".arrivals", c.arrivals.emplace());
    c.dataset.reset();
    if (const boost::json::value* dv = o->if_contains("dataset"); dv && in.ok())
        read_dataset_record(in, *dv, path + ".dataset", c.dataset.emplace());
    c.classes.clear();
    in.optional_field(*o, "first_index", path, c.first_index);
    if (const boost::json::value* mv = o->if_contains("classes"); mv && in.ok())
        if (const boost::json::array* a = in.array(*mv, path + ".classes"))
            for (std::size_t i = 0; i < a->size() && in.ok(); ++i)
                read_mix_class_cell(in, (*a)[i], path + ".classes[" + std::to_string(i) + "]",
                                    c.classes.emplace_back());
    c.sessions.reset();
    if (const boost::json::value* sv = o->if_contains("sessions"); sv && in.ok())
        read_sessions(in, *sv, path + ".sessions", c.sessions.emplace());
    if (const boost::json::value* ev = in.member(*o, "energy", path); ev && !ev->is_null()) {
        const std::string p = path + ".energy";
        if (const boost::json::object* eo = in.object(*ev, p)) {
            energy_record e;
            in.field(*eo, "energy_j", p, e.energy_j);
            in.field(*eo, "mean_power_w", p, e.mean_power_w);
            in.field(*eo, "peak_power_w", p, e.peak_power_w);
            in.field(*eo, "joules_per_output_token", p, e.joules_per_output_token);
            in.field(*eo, "elapsed_s", p, e.elapsed_s);
            read_name(in, *eo, "source", p, "energy source", e.source);
            read_name(in, *eo, "method", p, "energy method", e.method);
            in.field(*eo, "gpu_count", p, e.gpu_count);
            c.energy = std::move(e);
        }
    } else {
        c.energy.reset();
    }
    in.field(*o, "energy_error", path, c.energy_error);
    std::string stop;
    if (in.field(*o, "stop_reason", path, stop) &&
        !stop_reason_from_text(stop, c.stop_reason, c.stop_error))
        return in.fail(path + ".stop_reason", "unknown stop reason \"" + stop + "\"");
    in.field(*o, "complete", path, c.complete);
    in.field(*o, "start_ns", path, c.start_ns);
    in.field(*o, "end_ns", path, c.end_ns);
    in.field(*o, "wall_start", path, c.wall_start);
    in.field(*o, "wall_end", path, c.wall_end);
    in.field(*o, "simulated", path, c.simulated);
    c.sketches.clear();
    if (const boost::json::value* kv = o->if_contains("sketches"); kv && in.ok()) {
        if (const boost::json::object* ko = in.object(*kv, path + ".sketches"))
            c.sketches = *ko;
    }
    return in.ok();
}

inline bool read_use_case_result(json_reader& in, const boost::json::value& v,
                                 const std::string& path, use_case_result& u) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    if (const boost::json::value* uv = in.member(*o, "use_case", path)) {
        analysis::read_use_case(in, *uv, path + ".use_case", u.use_case);
    }
    in.field(*o, "measured_concurrency", path, u.measured_concurrency);
    in.field(*o, "converged", path, u.converged);
    in.field(*o, "budget_exhausted", path, u.budget_exhausted);
    if (const boost::json::value* cv = in.member(*o, "capacity", path))
        read_capacity(in, *cv, path + ".capacity", u.capacity);
    return in.ok();
}

inline bool read_run_info(json_reader& in, const boost::json::value& v, const std::string& path,
                          run_info& r) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    in.field(*o, "tool_version", path, r.tool_version);
    in.field(*o, "preset", path, r.preset);
    in.field(*o, "model", path, r.model);
    in.field(*o, "server_url", path, r.server_url);
    in.field(*o, "dialect", path, r.dialect);
    if (const boost::json::value* sv = in.member(*o, "server", path)) {
        const std::string p = path + ".server";
        if (const boost::json::object* so = in.object(*sv, p)) {
            in.field(*so, "dialect", p, r.server.dialect);
            in.field(*so, "version", p, r.server.version);
            in.field(*so, "model_id", p, r.server.model_id);
            in.field(*so, "max_model_len", p, r.server.max_model_len);
            in.field(*so, "evidence", p, r.server.evidence);
            in.field(*so, "models_json", p, r.server.models_json);
        }
    }
    in.field(*o, "engine_version", path, r.engine_version);
    in.field(*o, "gpu", path, r.gpu);
    in.field(*o, "hardware", path, r.hardware);
    if (const boost::json::value* hv = in.member(*o, "host", path)) {
        const std::string p = path + ".host";
        if (const boost::json::object* ho = in.object(*hv, p)) {
            in.field(*ho, "hostname", p, r.host.hostname);
            in.field(*ho, "os", p, r.host.os);
            in.field(*ho, "cpu_count", p, r.host.cpu_count);
        }
    }
    in.field(*o, "started_at", path, r.started_at);
    in.field(*o, "finished_at", path, r.finished_at);
    in.field(*o, "seed", path, r.seed);
    if (const boost::json::value* ov = in.member(*o, "options", path))
        if (const boost::json::object* oo = in.object(*ov, path + ".options"))
            r.options = *oo;
    return in.ok();
}

inline bool read_scaling(json_reader& in, const boost::json::value& v, const std::string& path,
                         analysis::context_scaling& s) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    in.field(*o, "context_tokens", path, s.context_tokens);
    in.field(*o, "single_throughput_tokens_per_s", path, s.single_throughput_tokens_per_s);
    if (const boost::json::value* pv = in.member(*o, "points", path)) {
        const std::string pp = path + ".points";
        if (const boost::json::array* pa = in.array(*pv, pp)) {
            for (std::size_t i = 0; i < pa->size() && in.ok(); ++i) {
                const std::string p = pp + "[" + std::to_string(i) + "]";
                const boost::json::object* po = in.object((*pa)[i], p);
                if (po == nullptr)
                    break;
                analysis::scaling_point sp;
                in.field(*po, "concurrency", p, sp.concurrency);
                in.field(*po, "throughput_tokens_per_s", p, sp.throughput_tokens_per_s);
                in.field(*po, "efficiency", p, sp.efficiency);
                s.points.push_back(sp);
            }
        }
    }
    return in.ok();
}

template <class T, class Read>
json_result<T> read_document(const boost::json::value& v, Read read) {
    json_reader in("results json");
    T out{};
    read(in, v, "$", out);
    return in.result(std::move(out));
}

} // namespace detail

/// Reads a cell result written by to_json(const cell_result&).
[[nodiscard]] inline json_result<cell_result> cell_result_from_json(const boost::json::value& v) {
    return detail::read_document<cell_result>(v, detail::read_cell);
}

/// Reads run information written by to_json(const run_info&).
[[nodiscard]] inline json_result<run_info> run_info_from_json(const boost::json::value& v) {
    return detail::read_document<run_info>(v, detail::read_run_info);
}

/// Reads a use case result written by to_json(const use_case_result&).
[[nodiscard]] inline json_result<use_case_result>
use_case_result_from_json(const boost::json::value& v) {
    return detail::read_document<use_case_result>(v, detail::read_use_case_result);
}

/// Reads a whole sweep written by to_json(const sweep_result&). Rejects a schema_version newer
/// than this library's, and 0.
[[nodiscard]] inline json_result<sweep_result> sweep_result_from_json(const boost::json::value& v) {
    return detail::read_document<sweep_result>(v, [](json_reader& in, const boost::json::value& doc,
                                                     const std::string& path, sweep_result& r) {
        const boost::json::object* o = in.object(doc, path);
        if (o == nullptr)
            return false;
        if (in.field(*o, "schema_version", path, r.version) && r.version > schema_version)
            return in.fail(path + ".schema_version", "version " + std::to_string(r.version) +
                                                         " is newer than this reader (" +
                                                         std::to_string(schema_version) + ")");
        if (in.ok() && r.version < 1)
            return in.fail(path + ".schema_version", "version 0 is not a version (versions "
                                                     "start at 1)");
        if (const boost::json::value* rv = in.member(*o, "run", path))
            detail::read_run_info(in, *rv, path + ".run", r.run);
        const auto list = [&](std::string_view key, auto& out, auto read) {
            const boost::json::value* lv = in.member(*o, key, path);
            if (lv == nullptr)
                return;
            const std::string lp = path + "." + std::string(key);
            const boost::json::array* a = in.array(*lv, lp);
            if (a == nullptr)
                return;
            for (std::size_t i = 0; i < a->size() && in.ok(); ++i) {
                typename std::remove_cvref_t<decltype(out)>::value_type x{};
                if (read(in, (*a)[i], lp + "[" + std::to_string(i) + "]", x))
                    out.push_back(std::move(x));
            }
        };
        list("cells", r.cells, detail::read_cell);
        list("use_cases", r.use_cases, detail::read_use_case_result);
        list("scaling", r.scaling, detail::read_scaling);
        if (o->contains("rate_searches"))
            list("rate_searches", r.rate_searches, read_rate_search_result);
        if (const boost::json::value* mv = o->if_contains("mix"); mv && in.ok())
            read_mix_search_result(in, *mv, path + ".mix", r.mix.emplace());
        in.field(*o, "simulated", path, r.simulated);
        in.field(*o, "complete", path, r.complete);
        return in.ok();
    });
}

} // namespace llmcap::sweep
