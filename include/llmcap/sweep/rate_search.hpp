#pragma once

#include <llmcap/core/json_error.hpp>
#include <llmcap/core/json_number.hpp>
#include <llmcap/core/json_reader.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cmath>     // sqrt, isfinite, floor, log10, pow, round
#include <cstddef>   // size_t
#include <cstdint>   // uint32_t
#include <optional>  // optional
#include <stdexcept> // invalid_argument
#include <string>    // string
#include <utility>   // pair
#include <vector>    // vector

namespace llmcap::sweep {

/// A search for the highest arrival rate a server sustains at one prompt and output length
/// (an open loop of Poisson or gamma arrivals, the plan's burstiness).
struct rate_search {
    /// Prompt tokens of its requests.
    std::uint32_t context_tokens = 1024;
    /// Output tokens of its requests.
    std::uint32_t output_tokens = 256;
    /// The first rate tried, requests per second.
    double start_rate_per_s = 1.0;
    /// The cells' cap on requests in flight (their concurrency).
    std::uint32_t max_in_flight = 1024;
    /// The most cells it may measure.
    std::uint32_t max_cells = 8;
    /// True to send the records of the plan's dataset (cells named "dataset", context 0, each
    /// record with its own lengths) instead of generated prompts of context_tokens.
    bool dataset = false;
    /// True to send the plan's traffic mix (cells named "mix", context and output 0, each
    /// request a class of the mix); a rate is then kept up only when every class also meets its
    /// own thresholds on its own requests.
    bool mix = false;

    friend bool operator==(const rate_search&, const rate_search&) = default;
};

/// What a rate search found.
struct rate_search_result {
    /// The search.
    rate_search search;
    /// Each rate measured, in order, with whether the server kept up with it.
    std::vector<std::pair<double, bool>> measured;
    /// The highest rate the server kept up with; empty when none.
    std::optional<double> sustainable_rate_per_s;
    /// The lowest rate it did not keep up with; empty when every rate tried was kept up.
    std::optional<double> unsustainable_rate_per_s;
    /// True when the two are within rate_search_precision of each other.
    bool converged = false;

    friend bool operator==(const rate_search_result&, const rate_search_result&) = default;
};

/// The most failed requests, as a fraction, of a cell a rate search counts as kept up.
inline constexpr double rate_search_max_failures = 0.05;

/// A rate search stops when the lowest rate not kept up is within this factor of the highest
/// rate kept up.
inline constexpr double rate_search_precision = 1.1;

/// `x` (> 0) rounded to three significant digits, so that the rates a search tries have short
/// names (45.3, not 45.254833995939045): 10ⁿ-scaled integers, divided rather than multiplied
/// so that 45.3 is the double nearest 45.3.
[[nodiscard]] inline double three_digits(double x) {
    const double k = std::floor(std::log10(x)) - 2.0;
    if (k >= 0.0) {
        const double scale = std::pow(10.0, k);
        return std::round(x / scale) * scale;
    }
    const double scale = std::pow(10.0, -k);
    return std::round(x * scale) / scale;
}

/**
 * The steps of a rate search: doubling from the start rate until the server stops keeping up
 * (or halving until it keeps up, when the start rate is already too high), then bisecting the
 * bracket geometrically until its ends are within rate_search_precision or the cell budget is
 * spent. Rates after the first are rounded to three significant digits. Which rate comes next
 * depends only on the rates measured and whether each was kept up, so a search replayed on stored
 * cells asks for the same cells.
 */
class rate_finder {
public:
    /// A search; throws std::invalid_argument for a start rate that is not a positive number
    /// or a budget of 0 cells.
    explicit rate_finder(rate_search s) : result_{s, {}, {}, {}, false} {
        if (!(s.start_rate_per_s > 0.0 && std::isfinite(s.start_rate_per_s)))
            throw std::invalid_argument("a rate search needs a positive start rate");
        if (s.max_cells == 0)
            throw std::invalid_argument("a rate search needs a budget of at least one cell");
    }

    /// The next rate to measure; empty when the search is done.
    [[nodiscard]] std::optional<double> next_rate() const {
        const rate_search_result& r = result_;
        if (r.measured.size() >= r.search.max_cells || r.converged)
            return std::nullopt;
        if (r.measured.empty())
            return r.search.start_rate_per_s;
        const auto& lo = r.sustainable_rate_per_s;
        const auto& hi = r.unsustainable_rate_per_s;
        if (lo && hi)
            return three_digits(std::sqrt(*lo * *hi));
        if (lo)
            return three_digits(*lo * 2.0);
        return three_digits(*hi / 2.0);
    }

    /// Adds the outcome of measuring `rate`.
    void add(double rate, bool kept_up) {
        rate_search_result& r = result_;
        r.measured.emplace_back(rate, kept_up);
        if (kept_up && (!r.sustainable_rate_per_s || rate > *r.sustainable_rate_per_s))
            r.sustainable_rate_per_s = rate;
        if (!kept_up && (!r.unsustainable_rate_per_s || rate < *r.unsustainable_rate_per_s))
            r.unsustainable_rate_per_s = rate;
        r.converged = r.sustainable_rate_per_s && r.unsustainable_rate_per_s &&
                      *r.unsustainable_rate_per_s <=
                          *r.sustainable_rate_per_s * rate_search_precision * (1.0 + 1e-12);
    }

    /// What the search found so far.
    [[nodiscard]] const rate_search_result& result() const noexcept {
        return result_;
    }

private:
    rate_search_result result_;
};

/// A rate search as JSON (in run.json's plan).
[[nodiscard]] inline boost::json::object to_json(const rate_search& s) {
    boost::json::object o{{"context_tokens", s.context_tokens},
                          {"output_tokens", s.output_tokens},
                          {"start_rate_per_s", s.start_rate_per_s},
                          {"max_in_flight", s.max_in_flight},
                          {"max_cells", s.max_cells},
                          {"dataset", s.dataset}};
    if (s.mix) // absent: generated prompts or a dataset
        o["mix"] = true;
    return o;
}

/// A rate search's outcome as JSON (in results.json).
[[nodiscard]] inline boost::json::object to_json(const rate_search_result& r) {
    boost::json::array measured;
    for (const auto& [rate, kept_up] : r.measured)
        measured.push_back(boost::json::object{{"rate_per_s", rate}, {"kept_up", kept_up}});
    return {{"search", to_json(r.search)},
            {"measured", std::move(measured)},
            {"sustainable_rate_per_s", json_number_or_null(r.sustainable_rate_per_s)},
            {"unsustainable_rate_per_s", json_number_or_null(r.unsustainable_rate_per_s)},
            {"converged", r.converged}};
}

/// Reads a rate search at `path`; false (with the error in `in`) when it is malformed.
inline bool read_rate_search(json_reader& in, const boost::json::value& v, const std::string& path,
                             rate_search& out) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    in.field(*o, "context_tokens", path, out.context_tokens);
    in.field(*o, "output_tokens", path, out.output_tokens);
    in.field(*o, "start_rate_per_s", path, out.start_rate_per_s);
    in.field(*o, "max_in_flight", path, out.max_in_flight);
    in.field(*o, "max_cells", path, out.max_cells);
    in.optional_field(*o, "dataset", path, out.dataset);
    in.optional_field(*o, "mix", path, out.mix);
    if (in.ok() && !out.mix &&
        ((out.context_tokens == 0 && !out.dataset) || out.output_tokens == 0))
        in.fail(path, "context_tokens and output_tokens must be at least 1");
    if (in.ok() && !(out.start_rate_per_s > 0.0 && std::isfinite(out.start_rate_per_s)))
        in.fail(path + ".start_rate_per_s", "must be a positive number");
    if (in.ok() && (out.max_in_flight == 0 || out.max_cells == 0))
        in.fail(path, "max_in_flight and max_cells must be at least 1");
    return in.ok();
}

/// Reads a rate search's outcome at `path`.
inline bool read_rate_search_result(json_reader& in, const boost::json::value& v,
                                    const std::string& path, rate_search_result& out) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    if (const boost::json::value* s = in.member(*o, "search", path))
        read_rate_search(in, *s, path + ".search", out.search);
    if (const boost::json::value* m = in.member(*o, "measured", path); m && in.ok()) {
        const std::string mp = path + ".measured";
        if (const boost::json::array* a = in.array(*m, mp))
            for (std::size_t i = 0; i < a->size() && in.ok(); ++i) {
                const std::string at = mp + "[" + std::to_string(i) + "]";
                if (const boost::json::object* e = in.object((*a)[i], at)) {
                    std::pair<double, bool> x{};
                    in.field(*e, "rate_per_s", at, x.first);
                    in.field(*e, "kept_up", at, x.second);
                    if (in.ok() && !(x.first > 0.0 && std::isfinite(x.first)))
                        in.fail(at + ".rate_per_s", "must be a positive number");
                    out.measured.push_back(x);
                }
            }
    }
    in.field(*o, "sustainable_rate_per_s", path, out.sustainable_rate_per_s);
    in.field(*o, "unsustainable_rate_per_s", path, out.unsustainable_rate_per_s);
    in.field(*o, "converged", path, out.converged);
    return in.ok();
}

} // namespace llmcap::sweep
