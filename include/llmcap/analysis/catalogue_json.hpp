#pragma once

#include <llmcap/analysis/catalogue.hpp>
#include <llmcap/analysis/gpu_spec.hpp>
#include <llmcap/analysis/model_spec.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>        // find, none_of
#include <cmath>            // isfinite
#include <cstdint>          // uint32_t, uint64_t
#include <filesystem>       // path
#include <fstream>          // ifstream
#include <initializer_list> // initializer_list
#include <sstream>          // ostringstream
#include <stdexcept>        // runtime_error
#include <string>           // string, to_string
#include <string_view>      // string_view
#include <type_traits>      // is_same_v
#include <utility>          // move
#include <vector>           // vector

/**
 * Catalogue files: JSON that adds GPUs and models to a catalogue or replaces built-in ones
 * (docs/analysis.md, "Catalogue files"). Shape:
 *
 *     {"gpus": [{"name": "...", "memory_bytes": ..., "memory_bandwidth_bytes_per_s": ...,
 *                "peak_flops_per_s": {"bf16": ...}, "source": "..."}],
 *      "models": [{"name": "...", "layers": ..., "attention": {...}, ...}]}
 *
 * An entry with `"base": "<name>"` starts from that entry and changes only the fields it gives.
 * Errors name the entry and the field: `catalogue: gpu "x": field
 * "memory_bandwidth_bytes_per_s" must be positive (got -1)`, with the file in front when read
 * from one. The entry readers are shared with emulator profiles, whose `model` and `gpu` may be
 * written inline.
 */
namespace llmcap::analysis {

/// A catalogue file that could not be read; what() names the file, the entry and the field.
class catalogue_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace detail {

/// Reads typed, range-checked fields of JSON objects; keeps the first error, as
/// `<prefix>field "<path>" <what>`.
class spec_reader {
public:
    /// Put in front of every message (`"profile: "`, `"catalogue: gpu \"x\": "`).
    std::string prefix;
    /// The first error; empty while none.
    std::string error;

    [[nodiscard]] bool failed() const noexcept {
        return !error.empty();
    }

    const boost::json::object* object(const boost::json::object& parent, std::string_view key,
                                      const std::string& path, bool required = true) {
        const boost::json::value* v = find(parent, key, path, required);
        if (v == nullptr)
            return nullptr;
        if (!v->is_object()) {
            fail(join(path, key), "must be an object");
            return nullptr;
        }
        return &v->get_object();
    }

    void text(const boost::json::object& parent, std::string_view key, const std::string& path,
              std::string& out, bool required = true) {
        const boost::json::value* v = find(parent, key, path, required);
        if (v == nullptr)
            return;
        if (!v->is_string())
            return fail(join(path, key), "must be a string");
        out = std::string(v->get_string());
    }

    void texts(const boost::json::object& parent, std::string_view key, const std::string& path,
               std::vector<std::string>& out) {
        const boost::json::value* v = find(parent, key, path, false);
        if (v == nullptr)
            return;
        if (!v->is_array())
            return fail(join(path, key), "must be an array of strings");
        out.clear();
        for (const boost::json::value& e : v->get_array()) {
            if (!e.is_string())
                return fail(join(path, key), "must be an array of strings");
            out.emplace_back(e.get_string());
        }
    }

    void flag(const boost::json::object& parent, std::string_view key, const std::string& path,
              bool& out, bool required) {
        const boost::json::value* v = find(parent, key, path, required);
        if (v == nullptr)
            return;
        if (!v->is_bool())
            return fail(join(path, key), "must be true or false");
        out = v->get_bool();
    }

    enum class bound { positive, non_negative, fraction };

    void number(const boost::json::object& parent, std::string_view key, const std::string& path,
                double& out, bound b, bool required = true) {
        const boost::json::value* v = find(parent, key, path, required);
        if (v != nullptr)
            number_value(*v, join(path, key), out, b);
    }

    void number_value(const boost::json::value& v, const std::string& field, double& out, bound b) {
        double x = 0.0;
        if (v.is_double())
            x = v.get_double();
        else if (v.is_int64())
            x = static_cast<double>(v.get_int64());
        else if (v.is_uint64())
            x = static_cast<double>(v.get_uint64());
        else
            return fail(field, "must be a number");
        if (!std::isfinite(x))
            return fail(field, "must be finite");
        if (b == bound::positive && !(x > 0.0))
            return fail(field, "must be positive (got " + show(x) + ")");
        if (b == bound::non_negative && x < 0.0)
            return fail(field, "must not be negative (got " + show(x) + ")");
        if (b == bound::fraction && !(x > 0.0 && x <= 1.0))
            return fail(field, "must be in (0, 1] (got " + show(x) + ")");
        out = x;
    }

    template <class Int>
    void integer(const boost::json::object& parent, std::string_view key, const std::string& path,
                 Int& out, bool positive, bool required = true) {
        const boost::json::value* v = find(parent, key, path, required);
        if (v == nullptr)
            return;
        std::uint64_t x = 0;
        if (v->is_uint64()) {
            x = v->get_uint64();
        } else if (v->is_int64()) {
            if (v->get_int64() < 0)
                return fail(join(path, key),
                            "must not be negative (got " + std::to_string(v->get_int64()) + ")");
            x = static_cast<std::uint64_t>(v->get_int64());
        } else {
            return fail(join(path, key), "must be a whole number");
        }
        if (x > static_cast<std::uint64_t>(static_cast<Int>(-1)))
            return fail(join(path, key), "is too large");
        if (positive && x == 0)
            return fail(join(path, key), "must be positive (got 0)");
        out = static_cast<Int>(x);
    }

    /// Refuses any key of `o` outside `known` (a misspelt field would otherwise be ignored).
    void only(const boost::json::object& o, const std::string& path,
              std::initializer_list<std::string_view> known) {
        for (const auto& kv : o) {
            if (failed())
                return;
            if (std::find(known.begin(), known.end(), kv.key()) == known.end())
                fail(join(path, kv.key()), "is not a known field");
        }
    }

    void fail(const std::string& field, const std::string& what) {
        if (error.empty())
            error = prefix + "field \"" + field + "\" " + what;
    }

    static std::string join(const std::string& path, std::string_view key) {
        return path.empty() ? std::string(key) : path + "." + std::string(key);
    }

    static std::string show(double x) {
        std::ostringstream s;
        s << x;
        return s.str();
    }

private:
    const boost::json::value* find(const boost::json::object& parent, std::string_view key,
                                   const std::string& path, bool required) {
        if (failed())
            return nullptr;
        const boost::json::value* v = parent.if_contains(key);
        if (v == nullptr && required)
            fail(join(path, key), "is missing");
        return v;
    }
};

/// The precision names, quoted and comma-separated, for messages.
[[nodiscard]] inline std::string precision_names() {
    std::string s;
    for (std::size_t i = 0; i < precision_count; ++i)
        s += (i == 0 ? "\"" : ", \"") + std::string(to_string(static_cast<precision>(i))) + "\"";
    return s;
}

inline void read_precision(spec_reader& r, const boost::json::object& o, std::string_view key,
                           const std::string& path, precision& out) {
    std::string name;
    if (o.if_contains(key) == nullptr)
        return;
    r.text(o, key, path, name);
    if (r.failed())
        return;
    if (const auto p = parse_precision(name))
        out = *p;
    else
        r.fail(spec_reader::join(path, key),
               "must be one of " + precision_names() + " (got \"" + name + "\")");
}

/// Records where the figures `o` gives come from: its `sources` entries, else its `source`,
/// else `origin`. Without a base entry, `source` becomes the entry's general source.
inline void read_sources(spec_reader& r, const boost::json::object& o, const std::string& path,
                         bool has_base, const std::string& origin, std::string& source,
                         std::vector<figure_source>& sources,
                         const std::vector<std::string>& given) {
    std::string own;
    r.text(o, "source", path, own, false);
    std::vector<figure_source> listed;
    if (const auto* s = r.object(o, "sources", path, false))
        for (const auto& kv : *s) {
            if (!kv.value().is_string())
                return r.fail(spec_reader::join(path, "sources." + std::string(kv.key())),
                              "must be a string");
            listed.push_back({std::string(kv.key()), std::string(kv.value().get_string())});
        }
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

/**
 * Reads a GPU entry from `o` into `g` (fields at `path`). With `has_base`, `g` holds the base
 * entry and only the fields present change; without, the figures are required. `origin` names
 * where figures without a stated source come from.
 */
inline void read_gpu(spec_reader& r, const boost::json::object& o, const std::string& path,
                     gpu_spec& g, bool has_base, const std::string& origin) {
    using bound = spec_reader::bound;
    const bool required = !has_base;
    r.only(o, path,
           {"name", "base", "display_name", "memory_bytes", "reported_memory_bytes",
            "memory_bandwidth_bytes_per_s", "peak_flops_per_s", "source", "sources"});
    std::vector<std::string> given;
    r.text(o, "name", path, g.name, required);
    r.text(o, "display_name", path, g.display_name, false);
    r.number(o, "memory_bytes", path, g.memory_bytes, bound::positive, required);
    r.number(o, "reported_memory_bytes", path, g.reported_memory_bytes, bound::positive, false);
    r.number(o, "memory_bandwidth_bytes_per_s", path, g.memory_bandwidth_bytes_per_s,
             bound::positive, required);
    for (const char* figure :
         {"memory_bytes", "reported_memory_bytes", "memory_bandwidth_bytes_per_s"})
        if (o.contains(figure))
            given.emplace_back(figure);
    const boost::json::value* peaks = o.if_contains("peak_flops_per_s");
    if (!r.failed() && peaks == nullptr && required)
        r.fail(spec_reader::join(path, "peak_flops_per_s"), "is missing");
    if (!r.failed() && peaks != nullptr) {
        const std::string at = spec_reader::join(path, "peak_flops_per_s");
        if (!peaks->is_object() || peaks->get_object().empty())
            return r.fail(at, "must be an object of dense peak FLOP/s by precision, e.g. "
                              "{\"bf16\": 989.5e12}");
        if (!has_base)
            g.peak_flops_per_s = {};
        for (const auto& kv : peaks->get_object()) {
            const auto p = parse_precision(kv.key());
            if (!p)
                return r.fail(spec_reader::join(at, kv.key()),
                              "is not a precision (one of " + precision_names() + ")");
            double x = 0.0;
            r.number_value(kv.value(), spec_reader::join(at, kv.key()), x, bound::positive);
            if (r.failed())
                return;
            g.set_peak(*p, x);
            given.push_back("peak_flops_per_s." + std::string(kv.key()));
        }
    }
    if (!r.failed())
        read_sources(r, o, path, has_base, origin, g.source, g.sources, given);
}

inline void read_attention(spec_reader& r, const boost::json::object& a, const std::string& at,
                           attention_spec& t) {
    std::string kind;
    r.text(a, "kind", at, kind);
    if (!r.failed() && kind != "gqa" && kind != "mla")
        r.fail(spec_reader::join(at, "kind"), "must be \"gqa\" or \"mla\" (got \"" + kind + "\")");
    t = {};
    t.kind = kind == "mla" ? attention_kind::mla : attention_kind::gqa;
    r.integer(a, "heads", at, t.heads, true);
    if (t.kind == attention_kind::gqa) {
        r.only(a, at, {"kind", "heads", "kv_heads", "head_dim"});
        r.integer(a, "kv_heads", at, t.kv_heads, true);
        r.integer(a, "head_dim", at, t.head_dim, true);
    } else {
        r.only(a, at,
               {"kind", "heads", "q_lora_rank", "kv_lora_rank", "qk_nope_head_dim",
                "qk_rope_head_dim", "v_head_dim"});
        r.integer(a, "q_lora_rank", at, t.q_lora_rank, false, false);
        r.integer(a, "kv_lora_rank", at, t.kv_lora_rank, true);
        r.integer(a, "qk_nope_head_dim", at, t.qk_nope_head_dim, true);
        r.integer(a, "qk_rope_head_dim", at, t.qk_rope_head_dim, true);
        r.integer(a, "v_head_dim", at, t.v_head_dim, true);
    }
}

/// Reads a model entry from `o` into `m`, as read_gpu does for a GPU, then checks the fields
/// against each other.
inline void read_model(spec_reader& r, const boost::json::object& o, const std::string& path,
                       model_spec& m, bool has_base, const std::string& origin) {
    using bound = spec_reader::bound;
    const bool required = !has_base;
    r.only(o, path,
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
    r.text(o, "name", path, m.name, required);
    r.text(o, "display_name", path, m.display_name, false);
    r.integer(o, "layers", path, m.layers, true, required);
    r.integer(o, "dense_layers", path, m.dense_layers, false, false);
    r.integer(o, "hidden_size", path, m.hidden_size, true, required);
    r.integer(o, "vocab_size", path, m.vocab_size, true, required);
    r.flag(o, "tied_embeddings", path, m.tied_embeddings, false);
    r.integer(o, "dense_intermediate_size", path, m.dense_intermediate_size, false, false);
    r.integer(o, "experts", path, m.experts, false, false);
    r.integer(o, "experts_per_token", path, m.experts_per_token, false, false);
    r.integer(o, "shared_experts", path, m.shared_experts, false, false);
    r.integer(o, "expert_intermediate_size", path, m.expert_intermediate_size, false, false);
    r.number(o, "expert_popularity_skew", path, m.expert_popularity_skew, bound::non_negative,
             false);
    r.number(o, "weight_bytes_per_param", path, m.weight_bytes_per_param, bound::positive, false);
    r.number(o, "kv_bytes_per_element", path, m.kv_bytes_per_element, bound::positive, false);
    read_precision(r, o, "linear_precision", path, m.linear_precision);
    read_precision(r, o, "attention_precision", path, m.attention_precision);
    r.integer(o, "max_context_tokens", path, m.max_context_tokens, true, required);
    if (const auto* a = r.object(o, "attention", path, required))
        read_attention(r, *a, spec_reader::join(path, "attention"), m.attention);
    if (r.failed())
        return;

    const auto field = [&path](std::string_view key) { return spec_reader::join(path, key); };
    if (m.dense_layers > m.layers)
        return r.fail(field("dense_layers"), "must not exceed " + field("layers"));
    if (m.experts > 0) {
        if (m.experts_per_token == 0 || m.experts_per_token > m.experts)
            return r.fail(field("experts_per_token"), "must be in [1, " + field("experts") + "]");
        if (m.expert_intermediate_size == 0)
            return r.fail(field("expert_intermediate_size"), "must be positive when experts > 0");
    }
    if ((m.experts == 0 || m.dense_layers > 0) && m.dense_intermediate_size == 0)
        return r.fail(field("dense_intermediate_size"), "must be positive when dense layers exist");

    std::vector<std::string> given;
    for (const auto& kv : o)
        if (kv.key() != "name" && kv.key() != "base" && kv.key() != "display_name" &&
            kv.key() != "source" && kv.key() != "sources")
            given.emplace_back(kv.key());
    read_sources(r, o, path, has_base, origin, m.source, m.sources, given);
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

template <class Spec>
void read_entries(const boost::json::object& root, std::string_view key, std::string_view kind,
                  catalogue& c, const std::string& origin, std::string& error) {
    const boost::json::value* v = root.if_contains(key);
    if (v == nullptr || !error.empty())
        return;
    if (!v->is_array()) {
        error = "catalogue: field \"" + std::string(key) + "\" must be an array";
        return;
    }
    const boost::json::array& entries = v->get_array();
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const std::string at = std::string(key) + "[" + std::to_string(i) + "]";
        if (!entries[i].is_object()) {
            error = "catalogue: " + at + ": must be an object";
            return;
        }
        const boost::json::object& o = entries[i].get_object();
        spec_reader r;
        r.prefix = "catalogue: " + at + ": ";
        std::string name;
        r.text(o, "name", "", name);
        if (r.failed()) {
            error = std::move(r.error);
            return;
        }
        r.prefix = "catalogue: " + std::string(kind) + " \"" + name + "\": ";
        Spec spec;
        std::string base;
        r.text(o, "base", "", base, false);
        const Spec* from = nullptr;
        if (!r.failed() && !base.empty()) {
            from = find_entry<Spec>(c, base);
            if (from == nullptr)
                r.fail("base", "names no known " + std::string(kind) + " (got \"" + base +
                                   "\"; known: " + names_of(entries_of<Spec>(c)) + ")");
            else
                spec = *from;
        }
        if constexpr (std::is_same_v<Spec, gpu_spec>)
            read_gpu(r, o, "", spec, from != nullptr, origin);
        else
            read_model(r, o, "", spec, from != nullptr, origin);
        if (r.failed()) {
            error = std::move(r.error);
            return;
        }
        c.add(std::move(spec));
    }
}

} // namespace detail

/**
 * Adds the GPUs and models of the catalogue JSON `json` to `c`, replacing entries of the same
 * name. Returns false and sets `error_message` (leaving `c` unchanged) when the text is not
 * JSON or an entry is malformed; the message names the entry and the field. `origin` is the
 * source recorded for figures whose entry states none (e.g. the file's name).
 */
[[nodiscard]] inline bool read_catalogue(std::string_view json, catalogue& c,
                                         std::string& error_message,
                                         const std::string& origin = "user catalogue") {
    boost::system::error_code ec;
    const boost::json::value root = boost::json::parse(json, ec);
    if (ec) {
        error_message = "catalogue: not valid JSON: " + ec.message();
        return false;
    }
    if (!root.is_object()) {
        error_message = "catalogue: the document must be a JSON object";
        return false;
    }
    const boost::json::object& o = root.get_object();
    std::string error;
    for (const auto& kv : o)
        if (kv.key() != "gpus" && kv.key() != "models" && kv.key() != "description") {
            error = "catalogue: field \"" + std::string(kv.key()) +
                    "\" is not a known field (expected \"gpus\", \"models\", \"description\")";
            break;
        }
    catalogue out = c;
    detail::read_entries<gpu_spec>(o, "gpus", "gpu", out, origin, error);
    detail::read_entries<model_spec>(o, "models", "model", out, origin, error);
    if (!error.empty()) {
        error_message = std::move(error);
        return false;
    }
    c = std::move(out);
    error_message.clear();
    return true;
}

/// `c` with the entries of the catalogue JSON `json` added; throws catalogue_error with
/// read_catalogue's message.
[[nodiscard]] inline catalogue load_catalogue(std::string_view json,
                                              catalogue c = builtin_catalogue()) {
    std::string message;
    if (!read_catalogue(json, c, message))
        throw catalogue_error(message);
    return c;
}

/// `c` with the entries of the catalogue file `file` added; throws catalogue_error naming the
/// file when it cannot be read or is malformed (`file: catalogue: gpu "x": field ...`).
[[nodiscard]] inline catalogue load_catalogue_file(const std::filesystem::path& file,
                                                   catalogue c = builtin_catalogue()) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw catalogue_error("catalogue: cannot open " + file.string());
    std::ostringstream content;
    content << in.rdbuf();
    std::string message;
    if (!read_catalogue(content.str(), c, message, "catalogue file " + file.string()))
        throw catalogue_error(file.string() + ": " + message);
    return c;
}

} // namespace llmcap::analysis
