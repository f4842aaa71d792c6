#pragma once

#include <array>       // array
#include <cctype>      // isalnum, tolower
#include <cstddef>     // size_t
#include <cstdint>     // uint8_t
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace llmcap::analysis {

/// Number formats a GPU's peak arithmetic rate is quoted for, and a model computes in.
enum class precision : std::uint8_t {
    /// IEEE single precision (non-tensor-core or tensor-core FP32).
    fp32,
    /// TensorFloat-32 tensor-core math.
    tf32,
    /// bfloat16.
    bf16,
    /// IEEE half precision.
    fp16,
    /// 8-bit floating point (E4M3/E5M2).
    fp8,
    /// 8-bit integer.
    int8,
    /// 4-bit floating point (FP4/NVFP4/MXFP4).
    fp4,
};

/// How many enumerators `precision` has.
inline constexpr std::size_t precision_count = 7;

/// The lower-case name of `p` as catalogue files write it (`"bf16"`).
[[nodiscard]] constexpr std::string_view to_string(precision p) noexcept {
    constexpr std::array<std::string_view, precision_count> names{"fp32", "tf32", "bf16", "fp16",
                                                                  "fp8",  "int8", "fp4"};
    return names[static_cast<std::size_t>(p)];
}

/// The precision named `name` (lower case, as to_string writes it); empty when unknown.
[[nodiscard]] constexpr std::optional<precision> parse_precision(std::string_view name) noexcept {
    for (std::size_t i = 0; i < precision_count; ++i)
        if (to_string(static_cast<precision>(i)) == name)
            return static_cast<precision>(i);
    return std::nullopt;
}

/// Where one figure of a catalogue entry comes from.
struct figure_source {
    /// The figure, by its field name (`memory_bandwidth_bytes_per_s`, `peak_flops_per_s.bf16`).
    std::string figure;
    /// A document or URL, with how the figure was read from it.
    std::string source;
};

/// The source of `figure` among `sources`, else `fallback` (an entry's general source).
[[nodiscard]] inline const std::string& source_of(const std::vector<figure_source>& sources,
                                                  const std::string& fallback,
                                                  std::string_view figure) noexcept {
    for (const figure_source& s : sources)
        if (s.figure == figure)
            return s.source;
    return fallback;
}

/**
 * What an accelerator offers, as its maker publishes it: memory, memory bandwidth and dense
 * peak arithmetic by precision, each figure with its source. The roofline bounds
 * (analysis/roofline.hpp) and the emulator's cost model (emulator/cost_model.hpp) both read it;
 * analysis/catalogue.hpp holds the known ones.
 */
struct gpu_spec {
    /// Catalogue name (`"H200 SXM"`); lookups ignore case and punctuation.
    std::string name;
    /// Longer label for reports (`"NVIDIA H200 SXM 141GB"`); empty: the name.
    std::string display_name;
    /// Memory size as marketed, bytes.
    double memory_bytes = 0.0;
    /// Memory as the driver reports it (nvidia-smi's total), bytes: what a serving engine's
    /// memory-utilisation fraction applies to. 0: memory_bytes.
    double reported_memory_bytes = 0.0;
    /// Peak memory bandwidth, bytes per second.
    double memory_bandwidth_bytes_per_s = 0.0;
    /// Peak dense (not sparse) tensor throughput by precision, FLOP per second, indexed by
    /// `precision`; 0 where not known.
    std::array<double, precision_count> peak_flops_per_s{};
    /// The source of every figure without an entry in `sources`.
    std::string source;
    /// Sources of single figures, where they differ from `source`.
    std::vector<figure_source> sources;

    /// Peak dense FLOP/s at precision `p`; 0 when not known.
    [[nodiscard]] double peak(precision p) const noexcept {
        return peak_flops_per_s[static_cast<std::size_t>(p)];
    }

    /// Sets the peak dense FLOP/s at precision `p`.
    void set_peak(precision p, double flops_per_s) noexcept {
        peak_flops_per_s[static_cast<std::size_t>(p)] = flops_per_s;
    }

    /// The memory a serving engine sees: reported_memory_bytes when given, else memory_bytes.
    [[nodiscard]] double device_memory_bytes() const noexcept {
        return reported_memory_bytes > 0.0 ? reported_memory_bytes : memory_bytes;
    }

    /// The label for reports.
    [[nodiscard]] const std::string& label() const noexcept {
        return display_name.empty() ? name : display_name;
    }

    /// Where `figure` (a field name, `peak_flops_per_s.<precision>` for a peak) comes from.
    [[nodiscard]] const std::string& source_of(std::string_view figure) const noexcept {
        return analysis::source_of(sources, source, figure);
    }
};

/// The key catalogue lookups compare: `name` in lower case without spaces or punctuation, so
/// `"H200 SXM"`, `"h200-sxm"` and `"h200_sxm"` name the same entry.
[[nodiscard]] inline std::string catalogue_key(std::string_view name) {
    std::string key;
    key.reserve(name.size());
    for (const char c : name)
        if (std::isalnum(static_cast<unsigned char>(c)) != 0)
            key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return key;
}

} // namespace llmcap::analysis
