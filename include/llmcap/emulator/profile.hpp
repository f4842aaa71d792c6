#pragma once

#include <llmcap/analysis/catalogue.hpp>
#include <llmcap/analysis/catalogue_json.hpp>
#include <llmcap/analysis/gpu_spec.hpp>
#include <llmcap/analysis/model_spec.hpp>
#include <llmcap/core/json_error.hpp>
#include <llmcap/core/json_parse.hpp>
#include <llmcap/core/json_reader.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>     // uint32_t, uint64_t
#include <filesystem>  // path
#include <fstream>     // ifstream
#include <optional>    // optional
#include <sstream>     // ostringstream
#include <string>      // string
#include <string_view> // string_view
#include <type_traits> // is_same_v
#include <utility>     // move, pair
#include <vector>      // vector

namespace llmcap::emulator {

// The model and GPU of a profile are the catalogue's (analysis/catalogue.hpp): one description
// of each, shared with the roofline bounds. Their names are visible here too.
using analysis::attention_kind;
using analysis::attention_spec;
using analysis::gpu_spec;
using analysis::model_spec;
using analysis::precision;

/// Scheduler and memory settings of the serving engine (vLLM's names where they exist).
struct engine_settings {
    /// Token budget of one engine step, shared by decodes and prefill chunks
    /// (`max_num_batched_tokens`).
    std::uint32_t max_num_batched_tokens = 8192;
    /// Most sequences running at once (`max_num_seqs`).
    std::uint32_t max_num_seqs = 256;
    /// Tokens per KV-cache block (`block_size`).
    std::uint32_t block_size = 16;
    /// Fraction of device memory the engine may use (`gpu_memory_utilization`).
    double gpu_memory_utilization = 0.9;
    /// Memory kept for activations, CUDA graphs and the runtime, bytes.
    double activation_reserve_bytes = 0.0;
    /// KV-cache capacity in tokens; 0 derives it from memory (see kv_cache_tokens()).
    std::uint64_t kv_cache_tokens = 0;
    /// Steps of at most this many tokens replay a captured CUDA graph (cheap launch); larger
    /// steps run eagerly.
    std::uint32_t cuda_graph_max_tokens = 512;
    /// Automatic prefix caching (`--enable-prefix-caching`, on by default in vLLM v1): full
    /// KV-cache blocks are kept and shared by requests whose tokens start the same (see
    /// engine). Optional in a profile's JSON, true when absent.
    bool enable_prefix_caching = true;
};

/// Fractions of peak that kernels reach and fixed costs, fitted per profile.
struct efficiency_factors {
    /// Fraction of peak bandwidth reached reading weights.
    double weight_bandwidth = 0.8;
    /// Fraction of peak bandwidth reached reading the KV cache in decode attention.
    double kv_bandwidth = 0.6;
    /// Fraction of peak FLOP/s reached by the linear layers (projections, experts).
    double linear_compute = 0.4;
    /// Fraction of peak FLOP/s reached by prefill attention.
    double attention_compute = 0.5;
    /// Fixed cost of a step that replays a CUDA graph, seconds.
    double graph_step_overhead_s = 0.003;
    /// Fixed cost of a step run eagerly (more tokens than cuda_graph_max_tokens), seconds.
    double eager_step_overhead_s = 0.03;
    /// Cost per sequence in a step (scheduling, sampling, detokenizing), seconds.
    double per_sequence_overhead_s = 0.0;
};

/// The HTTP front end in front of the engine.
struct frontend_settings {
    /// From the request's first byte to its arrival at the engine, fixed part, seconds.
    double request_overhead_s = 0.001;
    /// Tokenization and templating, seconds per prompt token.
    double tokenize_s_per_token = 0.0;
    /// From arrival at the engine to the response headers, seconds.
    double header_delay_s = 0.0005;
};

/// Everything the emulator needs to imitate one model on one GPU under one engine.
struct profile {
    /// Identifier, e.g. `glm-4.7-flash-h200-bf16`.
    std::string name;
    /// One line saying what the profile imitates.
    std::string description;
    /// The reasoning behind the numbers: sources, assumptions.
    std::vector<std::string> notes;
    /// Which measured figures the efficiency factors were fitted to.
    std::vector<std::string> fitted_to;
    /// Model architecture.
    model_spec model;
    /// Accelerator.
    gpu_spec gpu;
    /// Engine settings.
    engine_settings engine;
    /// Efficiency factors.
    efficiency_factors efficiency;
    /// Front-end delays.
    frontend_settings frontend;
};

// --- what the emulator reads from the catalogue's figures ---

/// Peak FLOP/s of the profile's linear layers: the GPU's dense peak at the model's
/// linear_precision.
[[nodiscard]] inline double linear_peak_flops_per_s(const profile& p) noexcept {
    return p.gpu.peak(p.model.linear_precision);
}

/// Peak FLOP/s of the profile's attention: the GPU's dense peak at the model's
/// attention_precision.
[[nodiscard]] inline double attention_peak_flops_per_s(const profile& p) noexcept {
    return p.gpu.peak(p.model.attention_precision);
}

/// KV-cache capacity in tokens: the setting when given, else what the memory the driver reports
/// leaves after weights and the activation reserve, rounded down to whole blocks.
[[nodiscard]] inline std::uint64_t kv_cache_tokens(const profile& p) noexcept {
    if (p.engine.kv_cache_tokens > 0)
        return p.engine.kv_cache_tokens;
    const double free_bytes = p.gpu.device_memory_bytes() * p.engine.gpu_memory_utilization -
                              weight_bytes(p.model) - p.engine.activation_reserve_bytes;
    if (!(free_bytes > 0.0))
        return 0;
    const double tokens = free_bytes / kv_bytes_per_token(p.model);
    const auto blocks = static_cast<std::uint64_t>(tokens / p.engine.block_size);
    return blocks * p.engine.block_size;
}

/// A profile that could not be read; what() names the file and the field's JSONPath, and
/// error() holds the json_error when the text was read.
class profile_error : public json_exception {
public:
    using json_exception::json_exception;
};

namespace detail {

/**
 * Reads the `key` ("model" or "gpu") of a profile: a catalogue name, or an object in the
 * catalogue's entry format (with `"base"`: that catalogue entry with the fields given changed).
 */
template <class Spec>
void read_catalogue_entry(json_reader& in, const boost::json::object& root, std::string_view key,
                          const analysis::catalogue& c, const std::string& origin, Spec& out) {
    constexpr bool is_gpu = std::is_same_v<Spec, gpu_spec>;
    const std::string at = "$." + std::string(key);
    const auto unknown = [&](const std::string& path, const std::string& name) {
        in.fail(path, std::string("names no ") + (is_gpu ? "GPU" : "model") +
                          " of the catalogue (got \"" + name + "\"; known: " +
                          analysis::detail::names_of(analysis::detail::entries_of<Spec>(c)) + ")");
    };
    const boost::json::value* v = in.member(root, key, "$");
    if (v == nullptr)
        return;
    if (v->is_string()) {
        const std::string name(v->get_string());
        if (const Spec* s = analysis::detail::find_entry<Spec>(c, name))
            out = *s;
        else
            unknown(at, name);
        return;
    }
    if (!v->is_object()) {
        in.fail(at, "expected a catalogue name or an object, got " + json_kind(*v));
        return;
    }
    const boost::json::object& o = v->get_object();
    std::string base;
    in.optional_field(o, "base", at, base);
    const Spec* from = base.empty() ? nullptr : analysis::detail::find_entry<Spec>(c, base);
    if (in.ok() && !base.empty() && from == nullptr)
        return unknown(at + ".base", base);
    if (from != nullptr)
        out = *from;
    if constexpr (is_gpu)
        analysis::detail::read_gpu(in, o, at, out, from != nullptr, origin);
    else
        analysis::detail::read_model(in, o, at, out, from != nullptr, origin);
}

/// The object `root[key]` (required), or null after recording an error.
inline const boost::json::object* section(json_reader& in, const boost::json::object& root,
                                          std::string_view key) {
    const boost::json::value* v = in.member(root, key, "$");
    return v == nullptr ? nullptr : in.object(*v, "$." + std::string(key));
}

inline void read_profile(json_reader& in, const boost::json::object& root, profile& p,
                         const analysis::catalogue& c) {
    using analysis::detail::bound;
    using analysis::detail::integer_field;
    using analysis::detail::number_field;
    using analysis::detail::only_fields;
    only_fields(in, root, "$",
                {"name", "description", "notes", "fitted_to", "model", "gpu", "engine",
                 "efficiency", "frontend"});
    in.field(root, "name", "$", p.name);
    in.optional_field(root, "description", "$", p.description);
    in.optional_field(root, "notes", "$", p.notes);
    in.optional_field(root, "fitted_to", "$", p.fitted_to);

    const std::string origin = "profile " + p.name;
    read_catalogue_entry(in, root, "model", c, origin, p.model);
    read_catalogue_entry(in, root, "gpu", c, origin, p.gpu);
    for (const auto& [use, precision_used] :
         {std::pair{"$.model.linear_precision", p.model.linear_precision},
          std::pair{"$.model.attention_precision", p.model.attention_precision}})
        if (in.ok() && !(p.gpu.peak(precision_used) > 0.0))
            in.fail("$.gpu.peak_flops_per_s", "has no \"" +
                                                  std::string(analysis::to_string(precision_used)) +
                                                  "\" entry, which " + use + " needs");

    if (const auto* e = section(in, root, "engine")) {
        const std::string at = "$.engine";
        only_fields(in, *e, at,
                    {"max_num_batched_tokens", "max_num_seqs", "block_size",
                     "gpu_memory_utilization", "activation_reserve_bytes", "kv_cache_tokens",
                     "cuda_graph_max_tokens", "enable_prefix_caching"});
        engine_settings& s = p.engine;
        integer_field(in, *e, "max_num_batched_tokens", at, s.max_num_batched_tokens, true);
        integer_field(in, *e, "max_num_seqs", at, s.max_num_seqs, true);
        integer_field(in, *e, "block_size", at, s.block_size, true);
        number_field(in, *e, "gpu_memory_utilization", at, s.gpu_memory_utilization,
                     bound::fraction);
        number_field(in, *e, "activation_reserve_bytes", at, s.activation_reserve_bytes,
                     bound::non_negative);
        integer_field(in, *e, "kv_cache_tokens", at, s.kv_cache_tokens, false, false);
        integer_field(in, *e, "cuda_graph_max_tokens", at, s.cuda_graph_max_tokens, false);
        in.optional_field(*e, "enable_prefix_caching", at, s.enable_prefix_caching);
    }

    if (const auto* f = section(in, root, "efficiency")) {
        const std::string at = "$.efficiency";
        only_fields(in, *f, at,
                    {"weight_bandwidth", "kv_bandwidth", "linear_compute", "attention_compute",
                     "graph_step_overhead_s", "eager_step_overhead_s", "per_sequence_overhead_s"});
        efficiency_factors& s = p.efficiency;
        number_field(in, *f, "weight_bandwidth", at, s.weight_bandwidth, bound::fraction);
        number_field(in, *f, "kv_bandwidth", at, s.kv_bandwidth, bound::fraction);
        number_field(in, *f, "linear_compute", at, s.linear_compute, bound::fraction);
        number_field(in, *f, "attention_compute", at, s.attention_compute, bound::fraction);
        number_field(in, *f, "graph_step_overhead_s", at, s.graph_step_overhead_s,
                     bound::non_negative);
        number_field(in, *f, "eager_step_overhead_s", at, s.eager_step_overhead_s,
                     bound::non_negative);
        number_field(in, *f, "per_sequence_overhead_s", at, s.per_sequence_overhead_s,
                     bound::non_negative);
    }

    if (const auto* f = section(in, root, "frontend")) {
        const std::string at = "$.frontend";
        only_fields(in, *f, at, {"request_overhead_s", "tokenize_s_per_token", "header_delay_s"});
        frontend_settings& s = p.frontend;
        number_field(in, *f, "request_overhead_s", at, s.request_overhead_s, bound::non_negative);
        number_field(in, *f, "tokenize_s_per_token", at, s.tokenize_s_per_token,
                     bound::non_negative);
        number_field(in, *f, "header_delay_s", at, s.header_delay_s, bound::non_negative);
    }

    if (in.ok() && kv_cache_tokens(p) < p.engine.block_size)
        in.fail("$.engine.kv_cache_tokens",
                "leaves no room: weights and the activation reserve exceed usable memory");
}

} // namespace detail

/**
 * Reads a profile from JSON text (the format of docs/emulator.md) with the JSON toolkit
 * (numbers exact, core/json.hpp); its `model` and `gpu` name entries of `c` or describe them
 * inline. Returns the profile, or a json_error naming the field's JSONPath when the text is not
 * JSON, a required field is missing, a field has the wrong type, a value is out of range, or a
 * name is not in `c`: `profile: $.gpu.memory_bandwidth_bytes_per_s: must be positive (got -1)`.
 * Never throws on bad input.
 */
[[nodiscard]] inline json_result<profile>
profile_from_json(std::string_view json,
                  const analysis::catalogue& c = analysis::builtin_catalogue()) {
    const json_result<boost::json::value> root = parse_json(json, "profile");
    if (!root)
        return root.error();
    json_reader in("profile");
    profile p;
    if (const boost::json::object* o = in.object(*root, "$"))
        detail::read_profile(in, *o, p, c);
    return in.result(std::move(p));
}

/**
 * Reads a profile from JSON text as profile_from_json does. Returns nothing and sets
 * `error_message` to the json_error's message on an error, e.g.
 * `profile: $.gpu.memory_bandwidth_bytes_per_s: must be positive (got -1)`.
 */
[[nodiscard]] inline std::optional<profile>
parse_profile(std::string_view json, std::string& error_message,
              const analysis::catalogue& c = analysis::builtin_catalogue()) {
    json_result<profile> p = profile_from_json(json, c);
    if (!p) {
        error_message = p.error().message();
        return std::nullopt;
    }
    error_message.clear();
    return std::move(*p);
}

/// Reads a profile from JSON text, names resolved in `c`; throws profile_error carrying
/// profile_from_json's json_error.
[[nodiscard]] inline profile
load_profile(std::string_view json, const analysis::catalogue& c = analysis::builtin_catalogue()) {
    json_result<profile> p = profile_from_json(json, c);
    if (!p)
        throw profile_error(p.error());
    return std::move(*p);
}

/// Reads a profile from a JSON file, names resolved in `c`; throws profile_error naming the file
/// when it cannot be read or its content is not a valid profile
/// (`file: profile: $.engine.max_num_seqs: ...`).
[[nodiscard]] inline profile
load_profile_file(const std::filesystem::path& file,
                  const analysis::catalogue& c = analysis::builtin_catalogue()) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw profile_error("profile: cannot open " + file.string());
    std::ostringstream content;
    content << in.rdbuf();
    json_result<profile> p = profile_from_json(content.str(), c);
    if (!p) {
        json_error e = p.error();
        e.subject = file.string() + ": " + e.subject;
        throw profile_error(std::move(e));
    }
    return std::move(*p);
}

} // namespace llmcap::emulator
