#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/core/file_io.hpp>
#include <llmcap/core/json_parse.hpp>
#include <llmcap/sweep/plan.hpp>
#include <llmcap/sweep/result.hpp>
#include <llmcap/sweep/result_json.hpp>
#include <llmcap/sweep/trace_json.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>    // max
#include <cstdint>      // uint64_t
#include <ctime>        // time, gmtime_r, strftime
#include <filesystem>   // path, create_directories, rename
#include <fstream>      // ifstream, ofstream
#include <iterator>     // istreambuf_iterator
#include <map>          // map
#include <optional>     // optional
#include <set>          // set
#include <stdexcept>    // runtime_error
#include <string>       // string, getline
#include <system_error> // error_code
#include <utility>      // move, pair
#include <vector>       // vector

namespace llmcap::sweep {

/// What a run directory held when it was reopened for resume.
struct resumed_state {
    /// The plan stored in `run.json`.
    sweep_plan plan;
    /// The run information stored in `run.json`.
    run_info run;
    /// Completed cells from `cells.jsonl`, by cell id, in file order of first appearance.
    std::vector<cell_result> cells;
    /// The kept requests (those of completed cells), by cell id, in file order.
    std::map<std::string, std::vector<trace_record>> traces;
    /// Requests dropped because their cell had not completed.
    std::uint64_t discarded_requests = 0;
    /// True when the last line of `requests.jsonl` was cut short (a crash while writing).
    bool truncated_tail = false;
    /// Completed cells whose requests in `requests.jsonl` did not match `cells.jsonl` (a line
    /// lost or cut): on resume they are measured again, each with a line saying why.
    std::vector<std::string> warnings;
    /// One past the largest request index in the file (the next index to use).
    std::uint64_t next_index = 0;
};

namespace detail {

/// Current UTC time as ISO 8601 ("2026-11-23T14:32:42Z").
[[nodiscard]] inline std::string utc_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

} // namespace detail

/**
 * The files of one run (DESIGN.md §1 durability): `run.json` (configuration, server identity,
 * host), `requests.jsonl` (every finished request, appended and flushed as it finishes, so a
 * crash loses at most the requests in flight), `cells.jsonl` (each finished cell) and
 * `results.json` (the whole sweep, at the end).
 *
 * Reopening a directory (resume) keeps the requests of completed cells, drops those of a cell
 * that never completed (and a line cut short by a crash) by rewriting `requests.jsonl`, so no
 * request is ever counted twice. Errors (unreadable files, malformed lines) throw
 * std::runtime_error naming the file and line: they happen at the tool's edge.
 */
class output_dir {
public:
    /// Opens `dir` for a new run: creates it; throws when it already holds requests, and
    /// file_error when it cannot be written.
    static output_dir create(const std::filesystem::path& dir) {
        ensure_writable_directory(dir);
        const auto req = dir / "requests.jsonl";
        if (std::filesystem::exists(req) && std::filesystem::file_size(req) > 0)
            throw std::runtime_error("output directory " + dir.string() +
                                     " already holds a run (requests.jsonl); use --resume " +
                                     dir.string() + " to continue it, or choose another");
        output_dir d(dir);
        d.open_appending(true);
        return d;
    }

    /**
     * Reopens `dir` for resume: reads `run.json`, `cells.jsonl` and `requests.jsonl` (times
     * placed relative to `origin`), and rewrites `requests.jsonl` with only the requests of
     * completed cells. Throws std::runtime_error when a file is missing or malformed, naming
     * the file and line: a request index or a cell that appears twice, a line that is not
     * valid. A cut last line is tolerated and dropped, unless it belonged to a completed cell.
     * A completed cell whose measured requests in `requests.jsonl` differ in number from its
     * record in `cells.jsonl` is an error when reading for a report; on resume it is measured
     * again (state.warnings says so).
     *
     * With `rewrite` false nothing is changed and nothing can be appended (reading for a
     * report); both JSONL files must then exist.
     */
    static output_dir reopen(const std::filesystem::path& dir, time_point origin,
                             resumed_state& state, bool rewrite = true) {
        output_dir d(dir);
        read_run_file(dir, state);
        const std::filesystem::path cells_file = dir / "cells.jsonl";
        const std::filesystem::path requests_file = dir / "requests.jsonl";
        if (!rewrite)
            for (const std::filesystem::path& p : {cells_file, requests_file})
                if (!std::filesystem::exists(p))
                    throw std::runtime_error("cannot rebuild the results of " + dir.string() +
                                             ": " + p.filename().string() +
                                             " is missing (nothing was changed)");
        const auto where = [](const std::filesystem::path& p, std::size_t line) {
            return file(p) + ": line " + std::to_string(line) + ": ";
        };
        std::map<std::string, std::size_t> cell_line;
        read_lines(cells_file, [&](const boost::json::value& v, std::size_t line) {
            auto c = cell_result_from_json(v);
            if (!c)
                throw std::runtime_error(where(cells_file, line) + c.error().path + ": " +
                                         c.error().what);
            const auto [it, fresh] = cell_line.emplace(c->key.id(), line);
            if (!fresh)
                throw std::runtime_error(where(cells_file, line) + "cell " + c->key.id() +
                                         " repeats line " + std::to_string(it->second));
            state.cells.push_back(std::move(*c));
        });
        std::map<std::uint64_t, std::size_t> index_line;
        std::map<std::string, std::uint64_t> measured;
        std::vector<std::pair<std::string, std::string>> lines; // (cell, JSON) in file order
        state.truncated_tail =
            read_lines(requests_file, [&](const boost::json::value& v, std::size_t line) {
                auto r = trace_record_from_json(v, origin);
                if (!r)
                    throw std::runtime_error(where(requests_file, line) + r.error().path + ": " +
                                             r.error().what);
                const auto [it, fresh] = index_line.emplace(r->trace.index, line);
                if (!fresh)
                    throw std::runtime_error(where(requests_file, line) + "request index " +
                                             std::to_string(r->trace.index) + " repeats line " +
                                             std::to_string(it->second) +
                                             " (a request must be counted once)");
                state.next_index = std::max(state.next_index, r->trace.index + 1);
                if (!cell_line.contains(r->cell)) {
                    ++state.discarded_requests;
                    return;
                }
                if (!r->warmup)
                    ++measured[r->cell];
                if (rewrite)
                    lines.emplace_back(r->cell, boost::json::serialize(v));
                state.traces[r->cell].push_back(std::move(*r));
            });
        // Every completed cell must have all of its measured requests.
        std::set<std::string> incomplete;
        for (const cell_result& c : state.cells) {
            const std::uint64_t have = measured[c.key.id()];
            if (have == c.requests_started)
                continue;
            const std::string why =
                file(requests_file) + ": cell " + c.key.id() + " (" + file(cells_file) + ": line " +
                std::to_string(cell_line[c.key.id()]) + ") has " + std::to_string(have) +
                " of its " + std::to_string(c.requests_started) + " measured requests" +
                (state.truncated_tail ? " (the file's last line is cut short)" : "");
            if (!rewrite)
                throw std::runtime_error(why + "; results.json was left as it was");
            state.warnings.push_back(why + "; the cell will be measured again");
            incomplete.insert(c.key.id());
        }
        if (!incomplete.empty()) {
            std::erase_if(state.cells,
                          [&](const cell_result& c) { return incomplete.contains(c.key.id()); });
            for (const std::string& id : incomplete) {
                state.discarded_requests += state.traces[id].size();
                state.traces.erase(id);
            }
        }
        if (!rewrite)
            return d;
        // Rewrite atomically: a crash during resume leaves either file whole. cells.jsonl may
        // end in a cut line too: it is rewritten from what was read.
        std::string text;
        for (const auto& [cell, line] : lines)
            if (!incomplete.contains(cell))
                (text += line) += '\n';
        write_file_atomic(dir / "requests.jsonl", text);
        text.clear();
        for (const cell_result& c : state.cells)
            (text += boost::json::serialize(to_json(c))) += '\n';
        write_file_atomic(dir / "cells.jsonl", text);
        d.open_appending(false);
        return d;
    }

    output_dir(output_dir&&) noexcept = default;
    output_dir& operator=(output_dir&&) = delete;
    output_dir(const output_dir&) = delete;
    output_dir& operator=(const output_dir&) = delete;
    ~output_dir() = default;

    /// The directory.
    [[nodiscard]] const std::filesystem::path& path() const noexcept {
        return dir_;
    }

    /// Writes `run.json` (replacing it): schema version, run information and plan.
    void write_run(const run_info& run, const sweep_plan& plan) const {
        write_file(dir_ / "run.json",
                   boost::json::serialize(boost::json::object{{"schema_version", schema_version},
                                                              {"run", to_json(run)},
                                                              {"plan", to_json(plan)}}));
    }

    /// Appends one finished request to `requests.jsonl` and flushes it.
    void append_request(const trace_record& r, time_point origin) {
        requests_.append(boost::json::serialize(to_json(r, origin)));
    }

    /// Appends one finished cell to `cells.jsonl` and flushes it.
    void append_cell(const cell_result& c) {
        cells_.append(boost::json::serialize(to_json(c)));
    }

    /// Writes `results.json` (replacing it).
    void write_results(const sweep_result& r) const {
        write_file(dir_ / "results.json", boost::json::serialize(to_json(r)));
    }

    /**
     * Reads the plan and the run information of `dir/run.json` into `state` (nothing else):
     * what a resumed run or a report needs first. Throws std::runtime_error naming the file
     * when it is missing, not JSON, or not a run file.
     */
    static void read_run_file(const std::filesystem::path& dir, resumed_state& state) {
        const std::filesystem::path p = dir / "run.json";
        if (!std::filesystem::exists(p))
            throw std::runtime_error("cannot read " + p.string() + " (is " + dir.string() +
                                     " a run directory?)");
        const boost::json::value run = read_json_file(p);
        const boost::json::object* ro = run.if_object();
        if (ro == nullptr || !ro->contains("plan") || !ro->contains("run"))
            throw std::runtime_error(p.string() + ": expected an object with \"run\" and \"plan\"");
        check_schema_version(p, ro->if_contains("schema_version"));
        auto plan = plan_from_json(ro->at("plan"));
        if (!plan)
            throw std::runtime_error(p.string() + ": plan: " + plan.error().message());
        state.plan = std::move(*plan);
        auto info = run_info_from_json(ro->at("run"));
        if (!info)
            throw std::runtime_error(p.string() + ": run: " + info.error().message());
        state.run = std::move(*info);
    }

    /**
     * Checks a file's `schema_version`: present, an integer from 1 to this library's
     * schema_version. Throws std::runtime_error naming the file otherwise (a newer version is
     * named as such: the file comes from a newer llmcap).
     */
    static void check_schema_version(const std::filesystem::path& p, const boost::json::value* v) {
        if (v == nullptr)
            throw std::runtime_error(p.string() + ": schema_version: missing");
        const std::string got = boost::json::serialize(*v);
        if (!v->is_int64() && !v->is_uint64())
            throw std::runtime_error(p.string() + ": schema_version: expected an integer, got " +
                                     got.substr(0, 40));
        const bool negative = v->is_int64() && v->get_int64() < 1;
        const std::uint64_t n = v->is_uint64() ? v->get_uint64()
                                : negative     ? 0
                                               : static_cast<std::uint64_t>(v->get_int64());
        if (negative || n < 1)
            throw std::runtime_error(p.string() + ": schema_version: " + got +
                                     " is not a version (versions start at 1)");
        if (n > schema_version)
            throw std::runtime_error(
                p.string() + ": schema_version: " + got + " is newer than this llmcap reads (" +
                std::to_string(schema_version) + "); use a newer llmcap-sweep");
    }

    /// Reads a whole JSON file, numbers exactly as written; throws std::runtime_error naming it
    /// when unreadable or invalid.
    static boost::json::value read_json_file(const std::filesystem::path& p) {
        std::ifstream in(p, std::ios::binary);
        if (!in)
            throw std::runtime_error("cannot read " + p.string());
        const std::string text((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
        boost::system::error_code ec;
        boost::json::value v = parse_json(text, ec);
        if (ec)
            throw std::runtime_error(p.string() + ": invalid JSON (" + ec.message() + ")");
        return v;
    }

    /**
     * Calls `f(value, line_number)` for each line of a JSONL file (a missing file has none),
     * numbers exactly as written (parse_json, core/json_parse.hpp). Returns true when the last line
     * was cut short (no final newline and not valid JSON): it is skipped. Any other invalid line
     * throws std::runtime_error naming the file and line.
     */
    template <class F>
    static bool read_lines(const std::filesystem::path& p, F&& f) {
        std::ifstream in(p, std::ios::binary);
        if (!in)
            return false;
        const std::string text((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
        std::size_t pos = 0;
        std::size_t line = 0;
        while (pos < text.size()) {
            std::size_t end = text.find('\n', pos);
            const bool last_unterminated = end == std::string::npos;
            if (last_unterminated)
                end = text.size();
            const std::string_view s(text.data() + pos, end - pos);
            pos = end + 1;
            ++line;
            if (s.find_first_not_of(" \t\r") == std::string_view::npos)
                continue;
            boost::system::error_code ec;
            const boost::json::value v = parse_json(s, ec);
            if (ec) {
                if (last_unterminated)
                    return true;
                throw std::runtime_error(file(p) + ": line " + std::to_string(line) +
                                         ": invalid JSON (" + ec.message() + ")");
            }
            f(v, line);
        }
        return false;
    }

private:
    explicit output_dir(std::filesystem::path dir) : dir_(std::move(dir)) {}

    static std::string file(const std::filesystem::path& p) {
        return p.string();
    }

    void open_appending(bool truncate) {
        requests_ = line_appender(dir_ / "requests.jsonl", truncate);
        cells_ = line_appender(dir_ / "cells.jsonl", truncate);
    }

    static void write_file(const std::filesystem::path& p, const std::string& text) {
        write_file_atomic(p, text + '\n');
    }

    std::filesystem::path dir_;
    line_appender requests_; // closed when the directory is only read
    line_appender cells_;
};

} // namespace llmcap::sweep
