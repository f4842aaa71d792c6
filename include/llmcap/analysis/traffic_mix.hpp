#pragma once

#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/use_case.hpp>
#include <llmcap/analysis/use_case_json.hpp>
#include <llmcap/core/json_error.hpp>
#include <llmcap/core/json_parse.hpp>
#include <llmcap/core/json_reader.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <algorithm>    // min
#include <charconv>     // from_chars, to_chars
#include <cmath>        // isfinite, abs, ceil
#include <cstddef>      // size_t
#include <cstdint>      // uint64_t
#include <functional>   // function
#include <optional>     // optional
#include <string>       // string
#include <string_view>  // string_view
#include <system_error> // errc
#include <utility>      // move
#include <vector>       // vector

/**
 * A traffic mix (DESIGN.md §5): several use cases served at once, each a share of the requests.
 * A mix cell at load L runs L requests in flight (or arrivals at a rate); each request belongs
 * to one class, drawn by mix_class_of from the run's seed and the request's index, and carries
 * that class's prompt and output lengths. Each class is judged on its own requests against its
 * own thresholds; the mix's capacity is the largest load at which every class holds.
 *
 * JSON (a plan's `mix`, or a file given to `--mix`):
 *
 *     {"classes": [
 *       {"use_case": "code_completion", "share": 0.5},      // a built-in use case by name
 *       {"use_case": {"name": "rag", ...}, "share": 0.5}     // or one as use_case_json reads
 *     ]}
 */
namespace llmcap::analysis {

/// One class of a mix: a use case and its share of the requests.
struct mix_class {
    /// Lengths and thresholds of the class's requests.
    use_case workload;
    /// Fraction of the requests, in (0, 1]; the shares of a checked mix sum to 1.
    double share = 0.0;

    friend bool operator==(const mix_class&, const mix_class&) = default;
};

/// Use cases served together, by request share.
struct traffic_mix {
    /// The classes, in the order given.
    std::vector<mix_class> classes;

    friend bool operator==(const traffic_mix&, const traffic_mix&) = default;
};

/// The smallest share of a class once the shares sum to 1: a class rarer than one request in a
/// thousand would need cells of thousands of requests to be judged.
inline constexpr double mix_min_share = 0.001;

/// Checks `m` and makes its shares sum to 1. Returns an empty string, or why the mix is
/// unusable: no class, a share that is not a positive finite number, a name given twice, a
/// session use case (a mix's requests are single turns), a class without a threshold, a
/// context or output length of 0, or a share below mix_min_share once normalized. `note` receives
/// "shares summed to X; normalized to 1" when they did not sum to 1 (within 1e-9).
[[nodiscard]] inline std::string check_mix(traffic_mix& m, std::string* note = nullptr) {
    if (m.classes.empty())
        return "a mix needs at least one class";
    double sum = 0.0;
    for (std::size_t i = 0; i < m.classes.size(); ++i) {
        const mix_class& c = m.classes[i];
        const std::string who = "class \"" + c.workload.name + "\"";
        if (!(c.share > 0.0 && std::isfinite(c.share)))
            return who + ": a share must be a positive number";
        for (std::size_t j = 0; j < i; ++j)
            if (m.classes[j].workload.name == c.workload.name)
                return who + ": given twice";
        if (c.workload.sessions)
            return who + ": a session use case cannot be mixed (a mix's requests are single "
                         "requests, not conversations)";
        if (c.workload.thresholds.empty())
            return who + ": has no threshold to judge it by";
        if (c.workload.context_tokens == 0 || c.workload.output_tokens == 0)
            return who + ": its context and output lengths must be at least 1";
        sum += c.share;
    }
    if (!std::isfinite(sum))
        return "the shares sum to more than a number can hold";
    if (std::abs(sum - 1.0) > 1e-9) {
        if (note != nullptr) {
            char buf[32];
            const auto [end, ec] =
                std::to_chars(buf, buf + sizeof buf, sum, std::chars_format::general, 6);
            *note = "shares summed to " + (ec == std::errc() ? std::string(buf, end) : "?") +
                    "; normalized to 1";
        }
        for (mix_class& c : m.classes)
            c.share /= sum;
    }
    for (const mix_class& c : m.classes)
        if (!(c.share >= mix_min_share))
            return "class \"" + c.workload.name +
                   "\": its share is below 0.1% of the requests once the shares sum to 1";
    return {};
}

/// The title of the class named `name` in `m`; the name itself when the mix has no such class.
[[nodiscard]] inline std::string class_title(const traffic_mix& m, std::string_view name) {
    for (const mix_class& c : m.classes)
        if (c.workload.name == name)
            return c.workload.title;
    return std::string(name);
}

/// A number in [0, 1) for request `index` of a run seeded `seed`: a golden-ratio (Weyl)
/// sequence in 64-bit fixed point, started at a point the seed picks (splitmix64). Consecutive
/// indices spread evenly over [0, 1): of any n consecutive requests, the number that falls in
/// an interval of length s differs from n·s by at most a few, so even a short cell carries
/// each class in its share.
[[nodiscard]] constexpr double mix_uniform(std::uint64_t seed, std::uint64_t index) noexcept {
    std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    const std::uint64_t point = z + index * 0x9e3779b97f4a7c15ULL; // index / golden ratio
    return static_cast<double>(point >> 11) * 0x1.0p-53;
}

/// The class (its position in m.classes) of the request at `position` in its cell (0 for the
/// cell's first request, warm-ups included) in a run seeded `seed` (mix_uniform against the
/// cumulative shares). Every mix cell of a run draws the same sequence of classes, so cells at
/// different loads differ in their load alone, and the same request belongs to the same class
/// in a run, its resume and its rebuild; each class's count keeps close to its share. `m` must
/// be checked (check_mix).
[[nodiscard]] inline std::size_t mix_class_of(const traffic_mix& m, std::uint64_t seed,
                                              std::uint64_t position) {
    const double u = mix_uniform(seed, position);
    double cumulative = 0.0;
    for (std::size_t i = 0; i < m.classes.size(); ++i) {
        cumulative += m.classes[i].share;
        if (u < cumulative)
            return i;
    }
    return m.classes.empty() ? 0 : m.classes.size() - 1;
}

/// The fewest measured requests a mix cell runs per class (at the smallest share), so that
/// every class has statistics to be judged by.
inline constexpr std::uint64_t mix_min_class_requests = 8;

/// Requests a cell of `m` needs for its smallest class to expect `per_class` of them:
/// ⌈per_class ÷ smallest share⌉. `m` must be checked (check_mix).
[[nodiscard]] inline std::uint64_t mix_requests_for(const traffic_mix& m, std::uint64_t per_class) {
    double smallest = 1.0;
    for (const mix_class& c : m.classes)
        smallest = std::min(smallest, c.share);
    return static_cast<std::uint64_t>(std::ceil(static_cast<double>(per_class) / smallest - 1e-9));
}

/// The thresholds of `uc` that `cell` does not meet ("ttft_s mean < 8" for each), in the use
/// case's order; a statistic the cell lacks (no successful request) counts as not met.
[[nodiscard]] inline std::vector<threshold> unmet_thresholds(const use_case& uc,
                                                             const cell_summary& cell) {
    std::vector<threshold> out;
    for (const threshold& t : uc.thresholds) {
        const std::optional<double> v = cell.value(t.what, t.stat);
        if (!v || !t.holds(*v))
            out.push_back(t);
    }
    return out;
}

/// `m` as JSON (format above, each use case written out in full).
[[nodiscard]] inline boost::json::object to_json(const traffic_mix& m) {
    boost::json::array classes;
    for (const mix_class& c : m.classes)
        classes.push_back(
            boost::json::object{{"use_case", to_json(c.workload)}, {"share", c.share}});
    return boost::json::object{{"classes", std::move(classes)}};
}

/// Resolves a use case named in a mix: a built-in one (find_builtin_use_case) by default.
using use_case_lookup = std::function<std::optional<use_case>(std::string_view)>;

/// Reads a mix (format above) at `path` through `in`, use cases named by a string resolved by
/// `lookup` (built-in use cases when empty), then checks it (check_mix; its normalization note
/// in `note`). False after recording the first error.
inline bool read_traffic_mix(json_reader& in, const boost::json::value& v, const std::string& path,
                             traffic_mix& out, const use_case_lookup& lookup = {},
                             std::string* note = nullptr) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr || !in.only(*o, {"classes"}, path, "classes"))
        return false;
    const boost::json::value* cv = in.member(*o, "classes", path);
    const boost::json::array* list = cv == nullptr ? nullptr : in.array(*cv, path + ".classes");
    if (list == nullptr)
        return false;
    out.classes.clear();
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string cp = path + ".classes[" + std::to_string(i) + "]";
        const boost::json::object* co = in.object((*list)[i], cp);
        if (co == nullptr || !in.only(*co, {"use_case", "share"}, cp, "use_case, share"))
            return false;
        mix_class c;
        const boost::json::value* uv = in.member(*co, "use_case", cp);
        if (uv == nullptr)
            return false;
        if (const boost::json::string* name = uv->if_string()) {
            const std::string_view n(name->data(), name->size());
            std::optional<use_case> found = lookup ? lookup(n) : find_builtin_use_case(n);
            if (!found)
                return in.fail(cp + ".use_case", "no use case \"" + std::string(n) + "\"");
            c.workload = std::move(*found);
        } else if (!read_use_case(in, *uv, cp + ".use_case", c.workload)) {
            return false;
        }
        if (!in.field(*co, "share", cp, c.share))
            return false;
        out.classes.push_back(std::move(c));
    }
    if (const std::string why = check_mix(out, note); !why.empty())
        return in.fail(path + ".classes", why);
    return true;
}

/**
 * Parses a mix as a command line gives it: "code_completion:0.5,general_chatbot:0.3,…" (a use
 * case name, a colon, its share; names resolved by `lookup`, built-in use cases when empty),
 * then checks it. Returns an empty string, or the reason naming the entry at fault. The
 * normalization note goes to `note`.
 */
[[nodiscard]] inline std::string parse_mix_spec(std::string_view spec, traffic_mix& out,
                                                const use_case_lookup& lookup = {},
                                                std::string* note = nullptr) {
    out.classes.clear();
    std::size_t at = 0;
    while (at <= spec.size()) {
        std::size_t end = spec.find(',', at);
        if (end == std::string_view::npos)
            end = spec.size();
        const std::string_view entry = spec.substr(at, end - at);
        const std::size_t colon = entry.rfind(':');
        if (colon == std::string_view::npos || colon == 0)
            return "\"" + std::string(entry) + "\" is not NAME:SHARE (e.g. code_completion:0.5)";
        const std::string_view name = entry.substr(0, colon);
        const std::string_view share = entry.substr(colon + 1);
        mix_class c;
        const auto [ptr, ec] = std::from_chars(share.data(), share.data() + share.size(), c.share);
        if (ec != std::errc() || ptr != share.data() + share.size() ||
            !(c.share > 0.0 && std::isfinite(c.share)))
            return "\"" + std::string(entry) + "\": the share \"" + std::string(share) +
                   "\" is not a positive number";
        std::optional<use_case> found = lookup ? lookup(name) : find_builtin_use_case(name);
        if (!found)
            return "\"" + std::string(entry) + "\": no use case \"" + std::string(name) + "\"";
        c.workload = std::move(*found);
        out.classes.push_back(std::move(c));
        at = end + 1;
    }
    return check_mix(out, note);
}

} // namespace llmcap::analysis
