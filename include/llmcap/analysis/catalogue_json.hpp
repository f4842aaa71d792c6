#pragma once

#include <llmcap/analysis/catalogue.hpp>
#include <llmcap/analysis/gpu_spec.hpp>
#include <llmcap/analysis/model_spec.hpp>
#include <llmcap/core/json_error.hpp>
#include <llmcap/core/json_parse.hpp>
#include <llmcap/core/json_reader.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <algorithm>        // none_of
#include <cmath>            // isfinite
#include <cstddef>          // size_t
#include <filesystem>       // path
#include <fstream>          // ifstream
#include <initializer_list> // initializer_list
#include <optional>         // optional
#include <sstream>          // ostringstream
#include <string>           // string, to_string
#include <string_view>      // string_view
#include <type_traits>      // is_same_v
#include <utility>          // move
#include <vector>           // vector

/**
 * Catalogue files: JSON that adds GPUs and models to a catalogue or replaces built-in ones
 * (docs/catalogue.md). Shape:
 *
 *     {"gpus": [{"name": "...", "memory_bytes": ..., "memory_bandwidth_bytes_per_s": ...,
 *                "peak_flops_per_s": {"bf16": ...}, "source": "..."}],
 *      "models": [{"name": "...", "layers": ..., "attention": {...}, ...}]}
 *
 * An entry with `"base": "<name>"` starts from that entry and changes only the fields it gives.
 * Read with the JSON toolkit (core/json.hpp, docs/json.md): numbers exact (parse_json), fields
 * through json_reader, errors a json_error naming the entry and the JSONPath of the field:
 * `catalogue: gpu "x": $.gpus[0].memory_bandwidth_bytes_per_s: must be positive (got -1)`, with
 * the file in front when read from one. The entry readers are shared with emulator profiles,
 * whose `model` and `gpu` may be written inline.
 */
namespace llmcap::analysis {

/// A catalogue that could not be read; what() names the file, the entry and the field's
/// JSONPath, and error() holds the json_error when the text was read.
class catalogue_error : public json_exception {
public:
    using json_exception::json_exception;
};

namespace detail {

/// How a number of an entry is bounded.
enum class bound { positive, non_negative, fraction };

/// A number for a message (`-1`, `1.5`, `9.895e+14`).
[[nodiscard]] inline std::string show_number(double x) {
    std::ostringstream s;
    s << x;
    return s.str();
}

/// Reads the number `v` at `path` into `out` and checks it against `b`; null is refused (a
/// figure is never unknown).
inline bool read_bounded(json_reader& in, const boost::json::value& v, const std::string& path,
                         double& out, bound b) {
    if (!in.ok())
        return false;
    if (!v.is_number())
        return in.fail(path, "expected a number, got " + json_kind(v));
    double x = 0.0;
    if (!in.read(v, path, x))
        return false;
    if (!std::isfinite(x))
        return in.fail(path, "must be finite");
    if (b == bound::positive && !(x > 0.0))
        return in.fail(path, "must be positive (got " + show_number(x) + ")");
    if (b == bound::non_negative && x < 0.0)
        return in.fail(path, "must not be negative (got " + show_number(x) + ")");
    if (b == bound::fraction && !(x > 0.0 && x <= 1.0))
        return in.fail(path, "must be in (0, 1] (got " + show_number(x) + ")");
    out = x;
    return true;
}

/// The field `key` of `o` (at `path`) into `out` with json_reader: required, or left as it is
/// when absent.
template <class T>
bool read_field(json_reader& in, const boost::json::object& o, std::string_view key,
                const std::string& path, T& out, bool required) {
    return required ? in.field(o, key, path, out) : in.optional_field(o, key, path, out);
}

/// A bounded number field (read_bounded).
inline bool number_field(json_reader& in, const boost::json::object& o, std::string_view key,
                         const std::string& path, double& out, bound b, bool required = true) {
    if (!in.ok())
        return false;
    const boost::json::value* v = o.if_contains(key);
    if (v == nullptr)
        return required ? in.member(o, key, path) != nullptr : true;
    return read_bounded(in, *v, path + "." + std::string(key), out, b);
}

/// A non-negative integer field (json_reader's ranges), which must not be 0 when `positive`.
template <class Int>
bool integer_field(json_reader& in, const boost::json::object& o, std::string_view key,
                   const std::string& path, Int& out, bool positive, bool required = true) {
    Int x = out;
    if (!read_field(in, o, key, path, x, required))
        return false;
    if (positive && x == 0 && o.contains(key))
        return in.fail(path + "." + std::string(key), "must be positive (got 0)");
    out = x;
    return true;
}

/// json_reader::only with the expected fields listed from `known`.
inline bool only_fields(json_reader& in, const boost::json::object& o, const std::string& path,
                        std::initializer_list<std::string_view> known) {
    std::string expected;
    for (std::string_view k : known)
        (expected += expected.empty() ? "" : ", ") += k;
    return in.only(o, known, path, expected);
}

/// The precision names, quoted and comma-separated, for messages.
[[nodiscard]] inline std::string precision_names() {
    std::string s;
    for (std::size_t i = 0; i < precision_count; ++i)
        s += (i == 0 ? "\"" : ", \"") + std::string(to_string(static_cast<precision>(i))) + "\"";
    return s;
}

/// The optional precision field `key` of `o` into `out`.
inline bool read_precision(json_reader& in, const boost::json::object& o, std::string_view key,
                           const std::string& path, precision& out) {
    std::string name;
    if (!in.ok() || !o.contains(key))
        return in.ok();
    if (!in.field(o, key, path, name))
        return false;
    if (const auto p = parse_precision(name)) {
        out = *p;
        return true;
    }
    return in.fail(path + "." + std::string(key),
                   "must be one of " + precision_names() + " (got \"" + name + "\")");
}

/// Records where the figures `o` gives come from: its `sources` entries, else its `source`,
/// else `origin`. Without a base entry, `source` becomes the entry's general source.
inline void read_sources(json_reader& in, const boost::json::object& o, const std::string& path,
                         bool has_base, const std::string& origin, std::string& source,
                         std::vector<figure_source>& sources,
                         const std::vector<std::string>& given) {
    std::string own;
    in.optional_field(o, "source", path, own);
    std::vector<figure_source> listed;
    if (const boost::json::value* v = in.ok() ? o.if_contains("sources") : nullptr) {
        const std::string at = path + ".sources";
        const boost::json::object* s = in.object(*v, at);
        if (s == nullptr)
            return;
        for (const auto& kv : *s) {
            figure_source f{std::string(kv.key()), {}};
            if (!in.read(kv.value(), at + "." + f.figure, f.source))
                return;
            listed.push_back(std::move(f));
        }
    }
    if (!in.ok())
        return;
    const std::string fallback = own.empty() ? origin : own;
    if (!has_base) {
        source = fallback;
        sources = std::move(listed);
        return;
    }
    const auto set = [&sources](const std::string& figure, const std::string& text) {
        for (figure_source& f : sources)
            if (f.figure == figure) {
                f.source = text;
                return;
            }
        sources.push_back({figure, text});
    };
    for (const figure_source& f : listed)
        set(f.figure, f.source);
    for (const std::string& figure : given)
        if (std::none_of(listed.begin(), listed.end(),
                         [&](const figure_source& f) { return f.figure == figure; }))
            set(figure, fallback);
}

/// The GPU's `peak_flops_per_s` object of `o`, if present, into `g` (replacing the base's
/// peaks it names); each figure read is added to `given`.
inline void read_peaks(json_reader& in, const boost::json::object& o, const std::string& path,
                       gpu_spec& g, bool has_base, std::vector<std::string>& given) {
    const boost::json::value* peaks = in.ok() ? o.if_contains("peak_flops_per_s") : nullptr;
    if (peaks == nullptr) {
        if (!has_base)
            in.member(o, "peak_flops_per_s", path);
        return;
    }
    const std::string at = path + ".peak_flops_per_s";
    if (!peaks->is_object() || peaks->get_object().empty()) {
        in.fail(at, "must be an object of dense peak FLOP/s by precision, e.g. "
                    "{\"bf16\": 989.5e12}");
        return;
    }
    if (!has_base)
        g.peak_flops_per_s = {};
    for (const auto& kv : peaks->get_object()) {
        const std::string key(kv.key());
        const auto p = parse_precision(key);
        double x = 0.0;
        if (!p) {
            in.fail(at + "." + key, "not a precision (one of " + precision_names() + ")");
            return;
        }
        if (!read_bounded(in, kv.value(), at + "." + key, x, bound::positive))
            return;
        g.set_peak(*p, x);
        given.push_back("peak_flops_per_s." + key);
    }
}

/**
 * Reads a GPU entry from `o` (at JSONPath `path`) into `g`. With `has_base`, `g` holds the base
 * entry and only the fields present change; without, the figures are required. `origin` names
 * where figures without a stated source come from.
 */
inline void read_gpu(json_reader& in, const boost::json::object& o, const std::string& path,
                     gpu_spec& g, bool has_base, const std::string& origin) {
    const bool required = !has_base;
    only_fields(in, o, path,
                {"name", "base", "display_name", "memory_bytes", "reported_memory_bytes",
                 "memory_bandwidth_bytes_per_s", "peak_flops_per_s", "source", "sources"});
    read_field(in, o, "name", path, g.name, required);
    in.optional_field(o, "display_name", path, g.display_name);
    number_field(in, o, "memory_bytes", path, g.memory_bytes, bound::positive, required);
    number_field(in, o, "reported_memory_bytes", path, g.reported_memory_bytes, bound::positive,
                 false);
    number_field(in, o, "memory_bandwidth_bytes_per_s", path, g.memory_bandwidth_bytes_per_s,
                 bound::positive, required);
    std::vector<std::string> given;
    for (const char* figure :
         {"memory_bytes", "reported_memory_bytes", "memory_bandwidth_bytes_per_s"})
        if (o.contains(figure))
            given.emplace_back(figure);
    read_peaks(in, o, path, g, has_base, given);
    if (in.ok())
        read_sources(in, o, path, has_base, origin, g.source, g.sources, given);
}

/// Reads an `attention` object (at `at`) into `t`, replacing it whole.
inline void read_attention(json_reader& in, const boost::json::object& a, const std::string& at,
                           attention_spec& t) {
    std::string kind;
    in.field(a, "kind", at, kind);
    if (in.ok() && kind != "gqa" && kind != "mla")
        in.fail(at + ".kind", "must be \"gqa\" or \"mla\" (got \"" + kind + "\")");
    t = {};
    t.kind = kind == "mla" ? attention_kind::mla : attention_kind::gqa;
    if (t.kind == attention_kind::gqa) {
        only_fields(in, a, at, {"kind", "heads", "kv_heads", "head_dim"});
        integer_field(in, a, "heads", at, t.heads, true);
        integer_field(in, a, "kv_heads", at, t.kv_heads, true);
        integer_field(in, a, "head_dim", at, t.head_dim, true);
    } else {
        only_fields(in, a, at,
                    {"kind", "heads", "q_lora_rank", "kv_lora_rank", "qk_nope_head_dim",
                     "qk_rope_head_dim", "v_head_dim"});
        integer_field(in, a, "heads", at, t.heads, true);
        integer_field(in, a, "q_lora_rank", at, t.q_lora_rank, false, false);
        integer_field(in, a, "kv_lora_rank", at, t.kv_lora_rank, true);
        integer_field(in, a, "qk_nope_head_dim", at, t.qk_nope_head_dim, true);
        integer_field(in, a, "qk_rope_head_dim", at, t.qk_rope_head_dim, true);
        integer_field(in, a, "v_head_dim", at, t.v_head_dim, true);
    }
}

/// Reads a model entry from `o` into `m`, as read_gpu does for a GPU, then checks the fields
/// against each other.
inline void read_model(json_reader& in, const boost::json::object& o, const std::string& path,
                       model_spec& m, bool has_base, const std::string& origin) {
    const bool required = !has_base;
    only_fields(in, o, path,
                {"name",
                 "base",
                 "display_name",
                 "layers",
                 "dense_layers",
                 "hidden_size",
                 "vocab_size",
                 "tied_embeddings",
                 "dense_intermediate_size",
                 "experts",
                 "experts_per_token",
                 "shared_experts",
                 "expert_intermediate_size",
                 "expert_popularity_skew",
                 "attention",
                 "weight_bytes_per_param",
                 "kv_bytes_per_element",
                 "linear_precision",
                 "attention_precision",
                 "max_context_tokens",
                 "source",
                 "sources"});
    read_field(in, o, "name", path, m.name, required);
    in.optional_field(o, "display_name", path, m.display_name);
    integer_field(in, o, "layers", path, m.layers, true, required);
    integer_field(in, o, "dense_layers", path, m.dense_layers, false, false);
    integer_field(in, o, "hidden_size", path, m.hidden_size, true, required);
    integer_field(in, o, "vocab_size", path, m.vocab_size, true, required);
    in.optional_field(o, "tied_embeddings", path, m.tied_embeddings);
    integer_field(in, o, "dense_intermediate_size", path, m.dense_intermediate_size, false, false);
    integer_field(in, o, "experts", path, m.experts, false, false);
    integer_field(in, o, "experts_per_token", path, m.experts_per_token, false, false);
    integer_field(in, o, "shared_experts", path, m.shared_experts, false, false);
    integer_field(in, o, "expert_intermediate_size", path, m.expert_intermediate_size, false,
                  false);
    number_field(in, o, "expert_popularity_skew", path, m.expert_popularity_skew,
                 bound::non_negative, false);
    number_field(in, o, "weight_bytes_per_param", path, m.weight_bytes_per_param, bound::positive,
                 false);
    number_field(in, o, "kv_bytes_per_element", path, m.kv_bytes_per_element, bound::positive,
                 false);
    read_precision(in, o, "linear_precision", path, m.linear_precision);
    read_precision(in, o, "attention_precision", path, m.attention_precision);
    integer_field(in, o, "max_context_tokens", path, m.max_context_tokens, true, required);
    if (const boost::json::value* a = in.ok() ? o.if_contains("attention") : nullptr) {
        if (const boost::json::object* ao = in.object(*a, path + ".attention"))
            read_attention(in, *ao, path + ".attention", m.attention);
    } else if (required) {
        in.member(o, "attention", path);
    }
    if (!in.ok())
        return;

    if (m.dense_layers > m.layers) {
        in.fail(path + ".dense_layers", "must not exceed layers");
        return;
    }
    if (m.experts > 0) {
        if (m.experts_per_token == 0 || m.experts_per_token > m.experts) {
            in.fail(path + ".experts_per_token", "must be in [1, experts]");
            return;
        }
        if (m.expert_intermediate_size == 0) {
            in.fail(path + ".expert_intermediate_size", "must be positive when experts > 0");
            return;
        }
    }
    if ((m.experts == 0 || m.dense_layers > 0) && m.dense_intermediate_size == 0) {
        in.fail(path + ".dense_intermediate_size", "must be positive when dense layers exist");
        return;
    }

    std::vector<std::string> given;
    for (const auto& kv : o)
        if (kv.key() != "name" && kv.key() != "base" && kv.key() != "display_name" &&
            kv.key() != "source" && kv.key() != "sources")
            given.emplace_back(kv.key());
    read_sources(in, o, path, has_base, origin, m.source, m.sources, given);
}

template <class Spec>
[[nodiscard]] const std::vector<Spec>& entries_of(const catalogue& c) noexcept {
    if constexpr (std::is_same_v<Spec, gpu_spec>)
        return c.gpus();
    else
        return c.models();
}

template <class Spec>
[[nodiscard]] const Spec* find_entry(const catalogue& c, std::string_view name) {
    if constexpr (std::is_same_v<Spec, gpu_spec>)
        return c.find_gpu(name);
    else
        return c.find_model(name);
}

/// Names of `specs`, comma-separated, for messages.
template <class Spec>
[[nodiscard]] std::string names_of(const std::vector<Spec>& specs) {
    std::string s;
    for (const Spec& e : specs)
        s += (s.empty() ? "" : ", ") + e.name;
    return s;
}

/// Reads the entries of the array `root[key]` into `c`, in order (an entry's base may be an
/// earlier one). An entry's errors are about `catalogue: <kind> "<name>"` once its name is read.
template <class Spec>
[[nodiscard]] std::optional<json_error> read_entries(const boost::json::object& root,
                                                     std::string_view key, std::string_view kind,
                                                     catalogue& c, const std::string& origin) {
    const boost::json::value* v = root.if_contains(key);
    if (v == nullptr)
        return std::nullopt;
    json_reader in("catalogue");
    const std::string list = "$." + std::string(key);
    const boost::json::array* entries = in.array(*v, list);
    for (std::size_t i = 0; entries != nullptr && i < entries->size(); ++i) {
        const std::string at = list + "[" + std::to_string(i) + "]";
        const boost::json::object* o = in.object((*entries)[i], at);
        std::string name;
        if (o == nullptr || !in.field(*o, "name", at, name))
            break;
        json_reader r("catalogue: " + std::string(kind) + " \"" + name + "\"");
        Spec spec;
        std::string base;
        r.optional_field(*o, "base", at, base);
        const Spec* from = nullptr;
        if (r.ok() && !base.empty()) {
            from = find_entry<Spec>(c, base);
            if (from == nullptr)
                r.fail(at + ".base", "names no known " + std::string(kind) + " (got \"" + base +
                                         "\"; known: " + names_of(entries_of<Spec>(c)) + ")");
            else
                spec = *from;
        }
        if constexpr (std::is_same_v<Spec, gpu_spec>)
            read_gpu(r, *o, at, spec, from != nullptr, origin);
        else
            read_model(r, *o, at, spec, from != nullptr, origin);
        if (!r.ok())
            return r.error();
        c.add(std::move(spec));
    }
    if (!in.ok())
        return in.error();
    return std::nullopt;
}

} // namespace detail

/**
 * `c` with the GPUs and models of the catalogue JSON `json` added, replacing entries of the same
 * name; or, when the text is not JSON or an entry is malformed, a json_error naming the entry
 * and the field's JSONPath. Numbers are read exactly (parse_json). `origin` is the source
 * recorded for figures whose entry states none (e.g. the file's name). Never throws on bad
 * input.
 */
[[nodiscard]] inline json_result<catalogue>
catalogue_from_json(std::string_view json, catalogue c = builtin_catalogue(),
                    const std::string& origin = "user catalogue") {
    const json_result<boost::json::value> root = parse_json(json, "catalogue");
    if (!root)
        return root.error();
    json_reader in("catalogue");
    const boost::json::object* o = in.object(*root, "$");
    if (o == nullptr || !detail::only_fields(in, *o, "$", {"gpus", "models", "description"}))
        return in.error();
    if (auto e = detail::read_entries<gpu_spec>(*o, "gpus", "gpu", c, origin))
        return std::move(*e);
    if (auto e = detail::read_entries<model_spec>(*o, "models", "model", c, origin))
        return std::move(*e);
    return c;
}

/**
 * Adds the GPUs and models of the catalogue JSON `json` to `c` (catalogue_from_json). Returns
 * false and sets `error_message` to the json_error's message (leaving `c` unchanged) when the
 * text is not JSON or an entry is malformed.
 */
[[nodiscard]] inline bool read_catalogue(std::string_view json, catalogue& c,
                                         std::string& error_message,
                                         const std::string& origin = "user catalogue") {
    json_result<catalogue> r = catalogue_from_json(json, c, origin);
    if (!r) {
        error_message = r.error().message();
        return false;
    }
    c = std::move(*r);
    error_message.clear();
    return true;
}

/// `c` with the entries of the catalogue JSON `json` added; throws catalogue_error carrying
/// catalogue_from_json's json_error.
[[nodiscard]] inline catalogue load_catalogue(std::string_view json,
                                              catalogue c = builtin_catalogue()) {
    json_result<catalogue> r = catalogue_from_json(json, std::move(c));
    if (!r)
        throw catalogue_error(r.error());
    return std::move(*r);
}

/// `c` with the entries of the catalogue file `file` added; throws catalogue_error naming the
/// file when it cannot be read or is malformed (`file: catalogue: gpu "x": $.gpus[0]...`).
[[nodiscard]] inline catalogue load_catalogue_file(const std::filesystem::path& file,
                                                   catalogue c = builtin_catalogue()) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw catalogue_error("catalogue: cannot open " + file.string());
    std::ostringstream content;
    content << in.rdbuf();
    json_result<catalogue> r =
        catalogue_from_json(content.str(), std::move(c), "catalogue file " + file.string());
    if (!r) {
        json_error e = r.error();
        e.subject = file.string() + ": " + e.subject;
        throw catalogue_error(std::move(e));
    }
    return std::move(*r);
}

} // namespace llmcap::analysis
