#pragma once

// Rebuilds a sweep_result from a run directory's run.json, cells.jsonl and requests.jsonl,
// reading only: the statistics of every cell are recomputed from its stored requests (whose
// times are integers), capacity searches are replayed on the stored cells, scaling is
// recomputed. The same files always give the same result.

#include <llmcap/analysis/adaptive_search.hpp>
#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/scaling.hpp>
#include <llmcap/emulator/simulator.hpp>
#include <llmcap/sweep/plan.hpp>
#include <llmcap/sweep/result.hpp>
#include <llmcap/sweep/run_sweep.hpp>
#include <llmcap/sweep/trace_json.hpp>

#include "precise_json.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace llmcap_sweep {

namespace fs = std::filesystem;
namespace ls = llmcap::sweep;
namespace la = llmcap::analysis;

/// A run directory as stored, rebuilt.
struct loaded_run {
    ls::sweep_plan plan;
    ls::sweep_result result;
    /// Use cases whose capacity could not be replayed (a level was never measured).
    std::vector<std::string> search_errors;
};

/// Calls f(value, line number) for every non-empty line of a JSONL file; a cut last line (a
/// crash while writing) is skipped. Throws std::runtime_error naming the file and line.
template <class F>
void for_each_json_line(const fs::path& p, F&& f) {
    std::ifstream in(p, std::ios::binary);
    if (!in)
        throw std::runtime_error(p.string() + ": cannot open");
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].empty())
            continue;
        boost::system::error_code ec;
        const boost::json::value v = precise_parse(lines[i], ec);
        if (ec) {
            if (i + 1 == lines.size())
                break; // cut short by a crash
            throw std::runtime_error(p.string() + ": line " + std::to_string(i + 1) + ": " +
                                     ec.message());
        }
        f(v, i + 1);
    }
}

inline loaded_run load_run(const fs::path& dir) {
    loaded_run out;
    const fs::path run_file = dir / "run.json";
    std::ifstream in(run_file, std::ios::binary);
    if (!in)
        throw std::runtime_error(run_file.string() + ": cannot open (is " + dir.string() +
                                 " a run directory?)");
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    boost::system::error_code ec;
    const boost::json::value run = precise_parse(text, ec);
    if (ec || !run.is_object() || !run.as_object().contains("plan") ||
        !run.as_object().contains("run"))
        throw std::runtime_error(run_file.string() +
                                 ": expected an object with \"run\" and \"plan\"");
    auto plan = ls::plan_from_json(run.at("plan"));
    if (!plan)
        throw std::runtime_error(run_file.string() + ": plan: " + plan.error().message());
    out.plan = std::move(*plan);
    auto info = ls::run_info_from_json(run.at("run"));
    if (!info)
        throw std::runtime_error(run_file.string() + ": run: " + info.error().message());

    const llmcap::time_point origin = llmcap::emulator::virtual_epoch();
    std::vector<ls::cell_result> stored;
    std::set<std::string> ids;
    for_each_json_line(dir / "cells.jsonl", [&](const boost::json::value& v, std::size_t line) {
        auto c = ls::cell_result_from_json(v);
        if (!c)
            throw std::runtime_error((dir / "cells.jsonl").string() + ": line " +
                                     std::to_string(line) + ": " + c.error().message());
        if (ids.insert(c->key.id()).second)
            stored.push_back(std::move(*c));
    });
    std::map<std::string, std::vector<ls::trace_record>> traces;
    for_each_json_line(dir / "requests.jsonl", [&](const boost::json::value& v, std::size_t line) {
        auto r = ls::trace_record_from_json(v, origin);
        if (!r)
            throw std::runtime_error((dir / "requests.jsonl").string() + ": line " +
                                     std::to_string(line) + ": " + r.error().message());
        if (ids.count(r->cell) != 0)
            traces[r->cell].push_back(std::move(*r));
    });

    ls::sweep_result& result = out.result;
    result.run = std::move(*info);
    std::map<std::string, std::size_t> by_id;
    for (const ls::cell_result& c : stored) {
        by_id[c.key.id()] = result.cells.size();
        result.cells.push_back(ls::detail::rebuild(c, traces[c.key.id()], origin));
    }
    bool complete = true;
    for (const ls::planned_cell& p : out.plan.cells)
        complete = complete && by_id.contains(p.key.id());
    for (const ls::use_case_search& search : out.plan.searches) {
        const la::use_case& uc = search.use_case;
        la::search_options so;
        so.max_concurrency = search.max_concurrency;
        so.max_cells = search.max_cells;
        const auto lookup = [&](std::uint32_t c) -> const ls::cell_result* {
            for (const std::string& id :
                 {ls::cell_key{uc.context_tokens, uc.output_tokens, c, uc.name}.id(),
                  ls::cell_key{uc.context_tokens, uc.output_tokens, c, ""}.id()})
                if (const auto it = by_id.find(id); it != by_id.end())
                    return &result.cells[it->second];
            return nullptr;
        };
        try {
            la::search_result found = la::find_capacity(
                uc,
                [&](std::uint32_t c) {
                    const ls::cell_result* cell = lookup(c);
                    if (cell == nullptr)
                        throw ls::detail::need_cell{c};
                    return cell->summary;
                },
                so);
            ls::use_case_result u;
            u.use_case = uc;
            for (const la::cell_summary& c : found.cells)
                u.measured_concurrency.push_back(c.concurrency);
            u.converged = found.converged;
            u.budget_exhausted = found.budget_exhausted;
            u.capacity = std::move(found.analysis);
            result.use_cases.push_back(std::move(u));
        } catch (const ls::detail::need_cell& n) {
            complete = false;
            out.search_errors.push_back(uc.name + ": concurrency " + std::to_string(n.concurrency) +
                                        " was never measured");
            break; // the run stopped here: later searches never ran
        } catch (const std::invalid_argument& e) {
            out.search_errors.push_back(uc.name + ": " + e.what());
        }
    }
    std::vector<la::cell_summary> grid;
    for (const ls::cell_result& c : result.cells)
        if (c.key.use_case.empty())
            grid.push_back(c.summary);
    result.scaling = la::scaling_efficiency(grid);
    result.simulated = !result.cells.empty();
    for (const ls::cell_result& c : result.cells)
        result.simulated = result.simulated && c.simulated;
    result.complete = complete;
    return out;
}

} // namespace llmcap_sweep
