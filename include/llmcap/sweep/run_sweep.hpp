#pragma once

#include <llmcap/analysis/adaptive_search.hpp>
#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/scaling.hpp>
#include <llmcap/client/stop_signal.hpp>
#include <llmcap/core/clock.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/sweep/cell_builder.hpp>
#include <llmcap/sweep/cell_runner.hpp>
#include <llmcap/sweep/output_dir.hpp>
#include <llmcap/sweep/plan.hpp>
#include <llmcap/sweep/result.hpp>
#include <llmcap/sweep/trace_json.hpp>
#include <llmcap/version.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include <sys/utsname.h> // uname
#include <unistd.h>      // gethostname

#include <algorithm>  // max
#include <chrono>     // nanoseconds
#include <cstdint>    // uint32_t, uint64_t
#include <exception>  // exception_ptr, rethrow_exception
#include <filesystem> // path
#include <functional> // function
#include <map>        // map
#include <optional>   // optional
#include <stdexcept>  // invalid_argument, runtime_error
#include <string>     // string, to_string
#include <thread>     // thread::hardware_concurrency
#include <utility>    // move
#include <vector>     // vector

namespace llmcap::sweep {

/// How run_sweep runs besides its plan.
struct sweep_options {
    /// The run's directory (created; or reopened with `resume`).
    std::filesystem::path output_dir;
    /// Continue the run in `output_dir`: its stored plan is used (the plan argument is
    /// ignored), completed cells are kept, the requests of an unfinished cell are discarded.
    bool resume = false;
    /// With `resume`: change nothing in the directory but `results.json` (and measure
    /// nothing): rebuild the results from the files, as rebuild_results does.
    bool read_only = false;
    /// Ctrl-C: request_stop() finishes the current requests as cancelled, records what is
    /// complete and returns with `interrupted`. May be null.
    client::stop_signal* stop = nullptr;
    /// Called for each finished request after it is written (progress, tests). May be empty.
    std::function<void(const request_trace&, const cell_key&, bool warmup)> on_trace;
    /// Called for each finished cell after it is written. May be empty.
    std::function<void(const cell_result&)> on_cell;
    /// GPU description for run.json ("1x NVIDIA H200").
    std::string gpu;
    /// Further hardware description.
    std::string hardware;
    /// Engine and version when known.
    std::string engine_version;
    /// The client's settings that bear on the results (timeouts, TLS verification), kept in
    /// run.json under `options.client`; empty: none recorded.
    boost::json::object client;
};

/// What run_sweep produced.
struct sweep_outcome {
    /// The results (also in `results.json`).
    sweep_result result;
    /// True when the run was stopped before its end.
    bool interrupted = false;
    /// A line for the user: what was done and, when interrupted, how to resume.
    std::string message;
    /// Requests of unfinished cells dropped on resume.
    std::uint64_t discarded_requests = 0;
    /// Use cases whose capacity could not be computed, with the reason.
    std::vector<std::string> search_errors;
    /// What a resume found wrong in the run's files and mended (a cell measured again).
    std::vector<std::string> warnings;
};

namespace detail {

[[nodiscard]] inline host_info this_host() {
    host_info h;
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) == 0)
        h.hostname = name;
    struct utsname u {};
    if (::uname(&u) == 0)
        h.os = std::string(u.sysname) + " " + u.release + " " + u.machine;
    h.cpu_count = std::thread::hardware_concurrency();
    return h;
}

[[nodiscard]] inline std::string version_string() {
    return std::to_string(LLMCAP_VERSION_MAJOR) + "." + std::to_string(LLMCAP_VERSION_MINOR) + "." +
           std::to_string(LLMCAP_VERSION_PATCH);
}

/// Rebuilds a stored cell from its requests (exact statistics) and its stored extras; a mix
/// cell's requests are split by the plan's `mix` and `seed` again.
[[nodiscard]] inline cell_result rebuild(const cell_result& stored,
                                         const std::vector<trace_record>& traces, time_point origin,
                                         const sweep_plan& plan) {
    const bool mixed = plan.mix && stored.key.use_case == mix_cell_name;
    cell_builder b(stored.key, stored.sessions ? stored.sessions->turns_per_conversation : 0,
                   mixed ? &*plan.mix : nullptr, plan.seed, stored.first_index);
    for (const trace_record& r : traces)
        b.record(r.trace, r.warmup);
    cell_context ctx;
    ctx.stop_reason = stored.stop_reason;
    ctx.stop_error = stored.stop_error;
    ctx.complete = stored.complete;
    ctx.simulated = stored.simulated;
    ctx.origin = origin;
    ctx.wall_start = stored.wall_start;
    ctx.wall_end = stored.wall_end;
    ctx.server = stored.server;
    ctx.energy = stored.energy;
    ctx.energy_error = stored.energy_error;
    ctx.sessions = stored.sessions;
    ctx.dataset = stored.dataset;
    cell_result c = b.finish(ctx);
    c.warmup_requests = std::max(c.warmup_requests, stored.warmup_requests);
    return c;
}

/// One run of run_sweep: its directory, the cells done so far and the three steps (measure a
/// cell, search a use case's capacity, assemble the results).
template <cell_runner Runner>
class sweep_session {
public:
    sweep_session(sweep_plan plan, Runner& runner, sweep_options options)
        : plan_(std::move(plan)), runner_(runner), options_(std::move(options)),
          origin_(runner.origin()) {}

    /// Identifies the server and creates the run's directory, or reopens it on resume (the
    /// stored plan replaces the given one; stored cells are rebuilt from their requests).
    boost::asio::awaitable<void> open() {
        const server_identity identity = co_await runner_.identify();
        if (options_.resume) {
            resumed_state state;
            dir_.emplace(
                output_dir::reopen(options_.output_dir, origin_, state, !options_.read_only));
            plan_ = std::move(state.plan);
            run_ = std::move(state.run);
            next_index_ = state.next_index;
            outcome_.discarded_requests = state.discarded_requests;
            outcome_.warnings = std::move(state.warnings);
            for (const cell_result& c : state.cells) {
                done_by_id_[c.key.id()] = done_.size();
                done_.push_back(rebuild(c, state.traces[c.key.id()], origin_, plan_));
            }
            co_return;
        }
        dir_.emplace(output_dir::create(options_.output_dir));
        run_.tool_version = version_string();
        run_.preset = plan_.name;
        run_.model = plan_.model.empty() ? identity.model_id : plan_.model;
        run_.server_url = runner_.url();
        run_.dialect = identity.dialect;
        run_.server = identity;
        run_.engine_version = !options_.engine_version.empty() ? options_.engine_version
                              : identity.version.empty()
                                  ? std::string()
                                  : identity.dialect + " " + identity.version;
        run_.gpu = options_.gpu;
        run_.hardware = options_.hardware;
        run_.host = this_host();
        run_.started_at = utc_now();
        run_.seed = plan_.seed;
        run_.options = to_json(plan_);
        if (!options_.client.empty())
            run_.options["client"] = options_.client;
        dir_->write_run(run_, plan_);
    }

    /// The plan in force (the stored one after a resume).
    [[nodiscard]] const sweep_plan& plan() const noexcept {
        return plan_;
    }

    /// Runs one cell, or takes it from the resumed state; false when the run was interrupted
    /// (or, read-only, when the cell was never measured).
    boost::asio::awaitable<bool>
    measure(cell_key key, workload::text_style style, const std::string& prompt,
            const std::optional<analysis::session_workload>& sessions = std::nullopt,
            bool dataset = false, bool trace = false, bool mix = false) {
        key.sessions = sessions.has_value();
        // An open-loop cell is named by its arrival rate too: its own (a rate sweep's cells),
        // else the plan's.
        if (plan_.load.open && !sessions && !key.rate_per_s)
            key.rate_per_s = plan_.load.rate_per_s;
        const std::string id = key.id();
        if (done_by_id_.contains(id))
            co_return true;
        if (stopped() || options_.read_only)
            co_return false;
        if (mix && !plan_.mix)
            throw std::invalid_argument("a mix cell in a plan without a mix");
        cell_builder builder(key, sessions ? sessions->turns : 0, mix ? &*plan_.mix : nullptr,
                             plan_.seed, next_index_);
        const trace_callback on_trace = [&](const request_trace& t, bool warmup) {
            builder.record(t, warmup);
            dir_->append_request(trace_record{id, warmup, t}, origin_);
            if (options_.on_trace)
                options_.on_trace(t, key, warmup);
        };
        cell_spec spec;
        spec.key = key;
        spec.style = style;
        spec.prompt = prompt;
        spec.dataset = dataset;
        spec.trace = trace;
        if (mix)
            spec.mix = plan_.mix;
        spec.warmup_requests = plan_.requests.warmup_requests;
        spec.sessions = sessions;
        spec.stop = sessions ? plan_.requests.session_rule_for(key.concurrency, sessions->turns)
                             : plan_.requests.rule_for(key.concurrency);
        if (mix && spec.stop.requests > 0) // enough requests for every class to be judged
            spec.stop.requests =
                std::max(spec.stop.requests,
                         analysis::mix_requests_for(*plan_.mix, analysis::mix_min_class_requests));
        spec.load = plan_.load;
        if (key.rate_per_s) {
            spec.load.open = true;
            spec.load.rate_per_s = *key.rate_per_s;
        }
        spec.first_index = next_index_;
        spec.seed = plan_.seed;
        spec.stop_signal = options_.stop;
        for (const cell_result& c : done_)
            if (c.requests_started > 0) {
                const time_point end = origin_ + std::chrono::nanoseconds(c.end_ns);
                spec.previous_end = spec.previous_end ? std::max(*spec.previous_end, end) : end;
            }
        cell_context ctx;
        ctx.origin = origin_;
        ctx.wall_start = utc_now();
        const cell_run r = co_await runner_.run_cell(spec, on_trace);
        ctx.wall_end = utc_now();
        next_index_ = std::max(next_index_, r.next_index);
        if (r.stop_reason == workload::stop_reason::cancelled || stopped())
            co_return false;
        ctx.stop_reason = r.error.empty() ? r.stop_reason : workload::stop_reason::error;
        ctx.stop_error = r.error;
        ctx.simulated = r.simulated;
        ctx.server = r.server;
        ctx.energy = r.energy;
        ctx.energy_error = r.energy_error;
        ctx.sessions = r.sessions;
        ctx.dataset = r.dataset;
        if (ctx.sessions && sessions)
            ctx.sessions->turns_per_conversation = sessions->turns;
        cell_result c = builder.finish(ctx);
        c.warmup_requests = std::max(c.warmup_requests, r.warmup_requests);
        dir_->append_cell(c);
        if (options_.on_cell)
            options_.on_cell(c);
        done_by_id_[id] = done_.size();
        done_.push_back(std::move(c));
        co_return true;
    }

    /// Runs the capacity search of one use case (analysis::capacity_search), measuring each
    /// level it asks for that no earlier cell of the same context and output measured (a use
    /// case's own cell first, then a grid cell). Appends the outcome to `use_cases`, or the
    /// reason to the outcome's search_errors; false when the run was interrupted.
    boost::asio::awaitable<bool> search(const use_case_search& s,
                                        std::vector<use_case_result>& use_cases) {
        const analysis::use_case& uc = s.use_case;
        analysis::search_options so;
        so.max_concurrency = s.max_concurrency;
        so.max_cells = s.max_cells;
        std::optional<analysis::capacity_search> search;
        try {
            search.emplace(uc, so);
        } catch (const std::invalid_argument& e) {
            outcome_.search_errors.push_back(uc.name + ": " + e.what());
            co_return true;
        }
        while (const std::optional<std::uint32_t> level = search->next_level()) {
            const cell_result* cell = stored(uc, *level);
            if (cell == nullptr) {
                if (!co_await measure(
                        cell_key{uc.context_tokens, uc.output_tokens, *level, uc.name}, s.style, {},
                        uc.sessions)) {
                    if (options_.read_only)
                        outcome_.search_errors.push_back(
                            uc.name + (uc.sessions ? ": users " : ": concurrency ") +
                            std::to_string(*level) + " was never measured");
                    co_return false;
                }
                cell = stored(uc, *level);
            }
            try {
                search->add(cell->summary);
            } catch (const std::invalid_argument& e) {
                outcome_.search_errors.push_back(uc.name + ": " + e.what());
                co_return true;
            }
        }
        analysis::search_result found = search->result();
        use_case_result u;
        u.use_case = uc;
        for (const analysis::cell_summary& c : found.cells)
            u.measured_concurrency.push_back(c.concurrency);
        u.converged = found.converged;
        u.budget_exhausted = found.budget_exhausted;
        u.capacity = std::move(found.analysis);
        use_cases.push_back(std::move(u));
        co_return true;
    }

    /// Runs a search for the highest sustainable arrival rate (rate_finder), measuring an
    /// open-loop cell per rate it asks for (named by its rate, so a grid cell of the same rate is
    /// reused). A rate is kept up when its cell measured something, kept its schedule, did not
    /// saturate the server (arrival_check) and failed at most rate_search_max_failures of its
    /// requests; a cell too short to tell ends the search with an error in search_errors.
    /// Appends the outcome to `found`; false when the run was interrupted.
    boost::asio::awaitable<bool> find_rate(const rate_search& s,
                                           std::vector<rate_search_result>& found) {
        std::optional<rate_finder> finder;
        try {
            finder.emplace(s);
        } catch (const std::invalid_argument& e) {
            outcome_.search_errors.push_back("rate search: " + std::string(e.what()));
            co_return true;
        }
        while (const std::optional<double> rate = finder->next_rate()) {
            const cell_key key =
                s.mix ? cell_key{0, 0, s.max_in_flight, std::string(mix_cell_name), *rate}
                      : cell_key{s.dataset ? 0u : s.context_tokens, s.output_tokens,
                                 s.max_in_flight, s.dataset ? "dataset" : "", *rate};
            if (!co_await measure(key, workload::text_style::prose, {}, std::nullopt, s.dataset,
                                  false, s.mix)) {
                if (options_.read_only)
                    outcome_.search_errors.push_back(
                        "rate search at " + std::to_string(s.context_tokens) +
                        " context tokens: " + key.id() + " was never measured");
                co_return false;
            }
            const cell_result& c = done_[done_by_id_.at(key.id())];
            // Failures, or a schedule the cap held back, are a verdict whatever the length.
            const bool fell_behind = c.measured_nothing() || !c.arrivals || c.arrivals->late ||
                                     1.0 - c.success_rate() > rate_search_max_failures;
            if (!fell_behind && c.arrivals->too_short) {
                outcome_.search_errors.push_back(
                    "rate search at " + key.id() +
                    ": the cell was too short to tell whether the server kept up (its arrivals "
                    "must span " +
                    std::to_string(static_cast<int>(saturation_min_span)) +
                    " times its first requests' time in the system); give a longer --duration "
                    "or more requests per cell");
                break;
            }
            const bool kept_up =
                !fell_behind && !c.arrivals->saturated && (!s.mix || every_class_holds(c));
            finder->add(*rate, kept_up);
        }
        found.push_back(finder->result());
        co_return true;
    }

    /// Runs the capacity search of the plan's traffic mix (analysis::level_search over mix
    /// cells, "mix/ctx0/out0/cN"): a load passes when every class meets its own thresholds on
    /// its own requests. Sets `found`; false when the run was interrupted.
    boost::asio::awaitable<bool> search_mix(const mix_search_plan& s,
                                            std::optional<mix_search_result>& found) {
        const analysis::traffic_mix& mix = *plan_.mix;
        std::optional<analysis::level_search> levels;
        try {
            levels.emplace(s.max_concurrency, s.max_cells);
        } catch (const std::invalid_argument& e) {
            outcome_.search_errors.push_back("mix: " + std::string(e.what()));
            co_return true;
        }
        mix_search_result r;
        r.mix = mix;
        r.max_concurrency = s.max_concurrency;
        std::vector<std::vector<analysis::cell_summary>> by_class(mix.classes.size());
        while (const std::optional<std::uint32_t> level = levels->next_level()) {
            cell_key key{0, 0, *level, std::string(mix_cell_name)};
            if (!co_await measure(key, workload::text_style::prose, {}, std::nullopt, false, false,
                                  true)) {
                if (options_.read_only)
                    outcome_.search_errors.push_back("mix: concurrency " + std::to_string(*level) +
                                                     " was never measured");
                co_return false;
            }
            if (plan_.load.open)
                key.rate_per_s = plan_.load.rate_per_s;
            const cell_result& c = done_[done_by_id_.at(key.id())];
            mix_level l{*level, class_verdicts(mix, c.classes)};
            for (std::size_t k = 0; k < mix.classes.size(); ++k)
                if (k < c.classes.size() && c.classes[k].requests_succeeded > 0)
                    by_class[k].push_back(c.classes[k].summary);
            levels->add(l.passes());
            r.levels.push_back(std::move(l));
        }
        r.capacity = levels->passing();
        r.lowest_failing = levels->lowest_failing();
        r.converged = levels->converged();
        r.budget_exhausted = levels->budget_exhausted();
        for (std::size_t k = 0; k < mix.classes.size(); ++k) {
            std::optional<analysis::capacity_result>& cap = r.class_capacity.emplace_back();
            if (by_class[k].size() != r.levels.size() || by_class[k].empty())
                continue; // a load where the class measured nothing
            try {
                cap = analysis::compute_capacity(mix.classes[k].workload, by_class[k]);
            } catch (const std::invalid_argument&) {
                cap.reset();
            }
        }
        // Of the classes failing at the lowest failing load, the one whose own crossing comes
        // first gives way first.
        for (const mix_level& l : r.levels) {
            if (!r.lowest_failing || l.concurrency != *r.lowest_failing)
                continue;
            double first = 0.0;
            for (std::size_t k = 0; k < l.classes.size(); ++k) {
                if (l.classes[k].unmet.empty())
                    continue;
                const std::optional<analysis::capacity_result>& cap = r.class_capacity[k];
                const double x = !cap            ? 0.0
                                 : cap->crossing ? *cap->crossing
                                                 : static_cast<double>(cap->capacity);
                if (r.gives_way_first.empty() || x < first) {
                    r.gives_way_first = l.classes[k].name;
                    first = x;
                }
            }
        }
        found = std::move(r);
        co_return true;
    }

    /// The results from every completed cell (in measurement order: the same for a resumed run
    /// as for an uninterrupted one, since files keep that order), written to `results.json`
    /// (and run.json's finish time when the run ended).
    [[nodiscard]] sweep_outcome assemble(std::vector<use_case_result> use_cases, bool interrupted,
                                         std::vector<rate_search_result> rates = {},
                                         std::optional<mix_search_result> mix = std::nullopt) {
        const std::vector<cell_result>& cells = done_;
        if (options_.read_only && cells.empty())
            throw std::runtime_error("cannot rebuild the results of " +
                                     options_.output_dir.string() +
                                     ": cells.jsonl holds no completed cell (nothing was "
                                     "measured; nothing was changed)");
        sweep_result& result = outcome_.result;
        result.run = run_;
        result.cells = cells;
        result.use_cases = std::move(use_cases);
        result.rate_searches = std::move(rates);
        result.mix = std::move(mix);
        std::vector<analysis::cell_summary> grid;
        for (const cell_result& c : cells)
            if (c.key.use_case.empty())
                grid.push_back(c.summary);
        result.scaling = analysis::scaling_efficiency(grid);
        result.simulated = !cells.empty();
        for (const cell_result& c : cells)
            result.simulated = result.simulated && c.simulated;
        result.complete = !interrupted;
        if (!interrupted && !options_.read_only) {
            result.run.finished_at = utc_now();
            dir_->write_run(result.run, plan_);
        }
        dir_->write_results(result);
        outcome_.interrupted = interrupted;
        const std::string where = options_.output_dir.string();
        if (options_.read_only)
            outcome_.message =
                "rebuilt " + std::to_string(cells.size()) + " cells from " + where +
                (interrupted ? " (the run is incomplete: it stopped before its end)" : "") +
                ", results in " + where + "/results.json";
        else
            outcome_.message =
                interrupted ? "interrupted after " + std::to_string(cells.size()) +
                                  " complete cells; the requests of the unfinished cell will be "
                                  "discarded. Resume with --resume " +
                                  where
                            : "sweep complete: " + std::to_string(cells.size()) +
                                  " cells, results in " + where + "/results.json";
        return std::move(outcome_);
    }

private:
    [[nodiscard]] bool stopped() const {
        return options_.stop != nullptr && options_.stop->stop_requested();
    }

    /// True when every class of the plan's mix met its own thresholds in mix cell `c`.
    [[nodiscard]] bool every_class_holds(const cell_result& c) const {
        return plan_.mix &&
               mix_level{c.key.concurrency, class_verdicts(*plan_.mix, c.classes)}.passes();
    }

    /// The completed cell of `uc` at `level`: its own, else a grid cell of the same context
    /// and output; nullptr when neither was measured.
    [[nodiscard]] const cell_result* stored(const analysis::use_case& uc,
                                            std::uint32_t level) const {
        for (const std::string& name : {uc.name, std::string()}) {
            if (uc.sessions && name.empty())
                break; // grid cells are single requests, never a session's
            cell_key key{uc.context_tokens, uc.output_tokens, level, name};
            key.sessions = uc.sessions.has_value();
            if (plan_.load.open && !uc.sessions)
                key.rate_per_s = plan_.load.rate_per_s;
            if (const auto it = done_by_id_.find(key.id()); it != done_by_id_.end())
                return &done_[it->second];
        }
        return nullptr;
    }

    sweep_plan plan_;
    Runner& runner_;
    sweep_options options_;
    time_point origin_;
    std::optional<output_dir> dir_;
    run_info run_;
    std::vector<cell_result> done_;
    std::map<std::string, std::size_t> done_by_id_;
    std::uint64_t next_index_ = 0;
    sweep_outcome outcome_;
};

} // namespace detail

/**
 * Runs a sweep cell by cell (DESIGN.md §1): for each planned cell the runner calibrates
 * prompts, warms up, runs and scrapes; every finished request is appended to
 * `requests.jsonl` as it finishes and every finished cell to `cells.jsonl`; then each use
 * case's capacity search (analysis::capacity_search, measuring only the levels it asks for and
 * reusing grid cells of the same context, output and concurrency); finally scaling efficiency
 * and `results.json`. An open-loop plan's cells carry its arrival rate in their key.
 *
 * Resume reopens the directory: completed cells are not run again and their statistics are
 * recomputed from their stored requests, so a resumed run's cells equal an uninterrupted
 * run's. On request_stop() the current cell's requests end cancelled, the cell is not recorded
 * (it runs again on resume), and the outcome says how to resume.
 *
 * Throws std::runtime_error for an unusable directory (see output_dir).
 */
template <cell_runner Runner>
boost::asio::awaitable<sweep_outcome> run_sweep(sweep_plan plan, Runner& runner,
                                                sweep_options options) {
    detail::sweep_session<Runner> session(std::move(plan), runner, std::move(options));
    co_await session.open();
    bool interrupted = false;
    for (const planned_cell& p : session.plan().cells)
        if (!co_await session.measure(p.key, p.style, p.prompt, p.sessions, p.dataset, p.trace,
                                      p.mix)) {
            interrupted = true;
            break;
        }
    std::vector<rate_search_result> rates;
    for (const rate_search& s : session.plan().rate_searches)
        if (interrupted || !co_await session.find_rate(s, rates)) {
            interrupted = true;
            break;
        }
    std::optional<mix_search_result> mix;
    if (const std::optional<mix_search_plan>& m = session.plan().mix_search; m && !interrupted)
        interrupted = !co_await session.search_mix(*m, mix);
    std::vector<use_case_result> use_cases;
    for (const use_case_search& s : session.plan().searches)
        if (interrupted || !co_await session.search(s, use_cases)) {
            interrupted = true;
            break;
        }
    co_return session.assemble(std::move(use_cases), interrupted, std::move(rates), std::move(mix));
}

/// A cell_runner that measures nothing: for rebuilding results from a run's files.
class stored_runner {
public:
    /// Now: stored times are placed relative to it (only differences matter).
    [[nodiscard]] time_point origin() const noexcept {
        return origin_;
    }
    /// Empty: the stored run.json names the server.
    [[nodiscard]] std::string url() const {
        return {};
    }
    /// Nothing: the stored run.json holds the identity.
    boost::asio::awaitable<server_identity> identify() {
        co_return server_identity{};
    }
    /// Runs nothing: every cell not stored stays unmeasured.
    boost::asio::awaitable<cell_run> run_cell(const cell_spec& spec, const trace_callback&) {
        cell_run r;
        r.stop_reason = workload::stop_reason::cancelled;
        r.next_index = spec.first_index;
        co_return r;
    }

private:
    time_point origin_ = stamp();
};

static_assert(cell_runner<stored_runner>);

/**
 * Rebuilds a run's results from its files alone (the `report DIR` command): the plan and run
 * information from `run.json`, each completed cell's statistics recomputed from its requests in
 * `requests.jsonl` (with the server metrics and energy of `cells.jsonl`), the capacity searches
 * replayed on the stored cells, and scaling efficiency. Numbers are read back exactly as they
 * were written, so the `results.json` of a finished run is reproduced byte for byte. Writes
 * `results.json` and changes nothing else.
 *
 * In the outcome, `result.complete` is false (and `interrupted` true) when cells of the plan
 * were never completed; `search_errors` names each capacity search that stopped at a level
 * never measured. Blocking (runs its own io_context on the calling thread). Throws
 * std::runtime_error for unusable files, naming the file and, for JSONL files, the line, and
 * when the files hold no completed cell; `results.json` is then left as it was.
 */
[[nodiscard]] inline sweep_outcome rebuild_results(const std::filesystem::path& dir) {
    boost::asio::io_context io;
    stored_runner runner;
    sweep_options o;
    o.output_dir = dir;
    o.resume = true;
    o.read_only = true;
    std::optional<sweep_outcome> out;
    std::exception_ptr failure;
    boost::asio::co_spawn(io, run_sweep(sweep_plan{}, runner, std::move(o)),
                          [&](std::exception_ptr e, sweep_outcome r) {
                              failure = e;
                              if (!e)
                                  out = std::move(r);
                          });
    io.run();
    if (failure)
        std::rethrow_exception(failure);
    return std::move(*out);
}

} // namespace llmcap::sweep
