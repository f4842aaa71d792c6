#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/sweep/detail/precise_json.hpp>
#include <llmcap/sweep/plan.hpp>
#include <llmcap/sweep/result.hpp>
#include <llmcap/sweep/trace_json.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>    // max
#include <cstdint>      // uint64_t
#include <cstdio>       // FILE, fopen, fwrite, fflush, fclose
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
#include <utility>      // move
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
    /// Opens `dir` for a new run: creates it; throws when it already holds requests.
    static output_dir create(const std::filesystem::path& dir) {
        std::filesystem::create_directories(dir);
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
     * completed cells. Throws std::runtime_error when a file is missing or malformed (a cut
     * last line of `requests.jsonl` or `cells.jsonl` is tolerated and dropped). With `rewrite`
     * false nothing is changed and nothing can be appended (reading for a report).
     */
    static output_dir reopen(const std::filesystem::path& dir, time_point origin,
                             resumed_state& state, bool rewrite = true) {
        output_dir d(dir);
        read_run_file(dir, state);
        std::set<std::string> done;
        read_lines(dir / "cells.jsonl", [&](const boost::json::value& v, std::size_t line) {
            auto c = cell_result_from_json(v);
            if (!c)
                throw std::runtime_error(file(dir / "cells.jsonl") + ": line " +
                                         std::to_string(line) + ": " + c.error().path + ": " +
                                         c.error().what);
            if (done.insert(c->key.id()).second)
                state.cells.push_back(std::move(*c));
        });
        std::vector<std::string> kept;
        state.truncated_tail =
            read_lines(dir / "requests.jsonl", [&](const boost::json::value& v, std::size_t line) {
                auto r = trace_record_from_json(v, origin);
                if (!r)
                    throw std::runtime_error(file(dir / "requests.jsonl") + ": line " +
                                             std::to_string(line) + ": " + r.error().path + ": " +
                                             r.error().what);
                state.next_index = std::max(state.next_index, r->trace.index + 1);
                if (done.count(r->cell) == 0) {
                    ++state.discarded_requests;
                    return;
                }
                kept.push_back(boost::json::serialize(v));
                state.traces[r->cell].push_back(std::move(*r));
            });
        if (!rewrite)
            return d;
        // Rewrite atomically: a crash during resume leaves either file whole.
        const auto tmp = dir / "requests.jsonl.tmp";
        {
            std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
            for (const std::string& line : kept)
                out << line << '\n';
            out.flush();
            if (!out)
                throw std::runtime_error("cannot write " + tmp.string());
        }
        std::filesystem::rename(tmp, dir / "requests.jsonl");
        // cells.jsonl may end in a cut line too: rewrite it from what was read.
        {
            std::ofstream out(dir / "cells.jsonl.tmp", std::ios::binary | std::ios::trunc);
            for (const cell_result& c : state.cells)
                out << boost::json::serialize(to_json(c)) << '\n';
        }
        std::filesystem::rename(dir / "cells.jsonl.tmp", dir / "cells.jsonl");
        d.open_appending(false);
        return d;
    }

    output_dir(output_dir&& o) noexcept
        : dir_(std::move(o.dir_)), requests_(o.requests_), cells_(o.cells_) {
        o.requests_ = nullptr;
        o.cells_ = nullptr;
    }
    output_dir& operator=(output_dir&&) = delete;
    output_dir(const output_dir&) = delete;
    output_dir& operator=(const output_dir&) = delete;
    ~output_dir() {
        if (requests_ != nullptr)
            std::fclose(requests_);
        if (cells_ != nullptr)
            std::fclose(cells_);
    }

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
        append(requests_, boost::json::serialize(to_json(r, origin)), "requests.jsonl");
    }

    /// Appends one finished cell to `cells.jsonl` and flushes it.
    void append_cell(const cell_result& c) {
        append(cells_, boost::json::serialize(to_json(c)), "cells.jsonl");
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
        auto plan = plan_from_json(ro->at("plan"));
        if (!plan)
            throw std::runtime_error(p.string() + ": plan: " + plan.error().message());
        state.plan = std::move(*plan);
        auto info = run_info_from_json(ro->at("run"));
        if (!info)
            throw std::runtime_error(p.string() + ": run: " + info.error().message());
        state.run = std::move(*info);
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
        boost::json::value v = detail::precise_parse(text, ec);
        if (ec)
            throw std::runtime_error(p.string() + ": invalid JSON (" + ec.message() + ")");
        return v;
    }

    /**
     * Calls `f(value, line_number)` for each line of a JSONL file (a missing file has none),
     * numbers exactly as written (detail::precise_parse). Returns true when the last line was
     * cut short (no final newline and not valid JSON): it is skipped. Any other invalid line
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
            const boost::json::value v = detail::precise_parse(s, ec);
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
        const char* mode = truncate ? "wb" : "ab";
        requests_ = std::fopen((dir_ / "requests.jsonl").c_str(), mode);
        cells_ = std::fopen((dir_ / "cells.jsonl").c_str(), mode);
        if (requests_ == nullptr || cells_ == nullptr)
            throw std::runtime_error("cannot open the run files in " + dir_.string());
    }

    static void append(std::FILE* f, std::string line, const char* name) {
        if (f == nullptr)
            throw std::runtime_error(std::string("cannot append to ") + name +
                                     ": opened read-only");
        line += '\n';
        if (std::fwrite(line.data(), 1, line.size(), f) != line.size() || std::fflush(f) != 0)
            throw std::runtime_error(std::string("cannot append to ") + name);
    }

    static void write_file(const std::filesystem::path& p, const std::string& text) {
        const auto tmp = std::filesystem::path(p.string() + ".tmp");
        {
            std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
            out << text << '\n';
            out.flush();
            if (!out)
                throw std::runtime_error("cannot write " + p.string());
        }
        std::filesystem::rename(tmp, p);
    }

    std::filesystem::path dir_;
    std::FILE* requests_ = nullptr;
    std::FILE* cells_ = nullptr;
};

} // namespace llmcap::sweep
