#include <llmcap/analysis/catalogue.hpp>

#include <llmcap/analysis/gpu_spec.hpp>
#include <llmcap/analysis/model_spec.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <string>

namespace la = llmcap::analysis;

TEST_CASE("catalogue: GLM-4.7-Flash's figures follow from its config.json") {
    const la::model_spec glm = la::glm_4_7_flash_bf16();
    // Attention projections 21,757,952 and norms 2 · 2048 + 768 + 512 = 5,376 per layer.
    CHECK(la::attention_params_per_layer(glm) == 21'757'952.0);
    CHECK(la::norm_params(glm) == 47.0 * 5'376 + 2048);
    CHECK(la::expert_params(glm) == 9'437'184.0);
    CHECK(la::moe_layers(glm) == 46);
    // The model card's "30B-A3B".
    CHECK(la::total_params(glm) == 29'943'390'976.0);
    CHECK(la::active_params_per_token(glm) == 3'579'568'896.0);
    CHECK(la::linear_params_per_token(glm) == 3'579'568'896.0 - la::norm_params(glm));
    CHECK(la::weight_bytes(glm) == 59'886'781'952.0);
    // MLA caches 512 + 64 values per layer: 576 · 47 · 2 bytes.
    CHECK(la::kv_bytes_per_token(glm) == 54'144.0);
    CHECK(la::attention_width(glm) == 10'240.0);
    CHECK(la::prefill_attention_flops_per_pair(glm) == 2.0 * 10'240 * 47);
    CHECK(la::decode_attention_flops_per_pair(glm) == 2.0 * 20 * (2 * 512 + 64) * 47);
    CHECK(glm.label() == "GLM-4.7-Flash (BF16)");
}

TEST_CASE("catalogue: a dense GQA model's parameters match the published count") {
    // Llama 3.1 8B (config.json of meta-llama/Llama-3.1-8B): 8,030,261,248 parameters.
    la::model_spec m;
    m.name = "Llama-3.1-8B";
    m.layers = 32;
    m.hidden_size = 4096;
    m.vocab_size = 128'256;
    m.dense_intermediate_size = 14'336;
    m.attention = {.kind = la::attention_kind::gqa, .heads = 32, .kv_heads = 8, .head_dim = 128};
    CHECK(la::total_params(m) == 8'030'261'248.0);
    CHECK(la::active_params_per_token(m) == 8'030'261'248.0 - 128'256.0 * 4096);
    CHECK(la::kv_bytes_per_token(m) == 32.0 * 2 * 8 * 128 * 2); // 131,072
    CHECK(la::attention_width(m) == 32.0 * 256);
    CHECK(la::attention_params_per_layer(m) == 4096.0 * 4096 * 2 + 2.0 * 4096 * 1024);
    CHECK(m.label() == "Llama-3.1-8B"); // no display name: the name
}

TEST_CASE("catalogue: the built-in GPUs, by name in any spelling") {
    const la::catalogue c = la::builtin_catalogue();
    REQUIRE(c.gpus().size() == 3);
    REQUIRE(c.models().size() == 1);
    const la::gpu_spec* h200 = c.find_gpu("h200-sxm");
    REQUIRE(h200 != nullptr);
    CHECK(h200 == c.find_gpu("H200 SXM"));
    CHECK(h200 == c.find_gpu("H200_sxm"));
    CHECK(h200->memory_bandwidth_bytes_per_s == 4.8e12);
    CHECK(h200->memory_bytes == 141e9);
    CHECK(h200->device_memory_bytes() == 150.75e9);
    CHECK(h200->peak(la::precision::bf16) == 989.5e12);
    CHECK(h200->peak(la::precision::fp8) == 1979e12);
    CHECK(h200->peak(la::precision::fp4) == 0.0);
    CHECK(h200->label() == "NVIDIA H200 SXM 141GB");
    const la::gpu_spec* h100 = c.find_gpu("h100 sxm");
    REQUIRE(h100 != nullptr);
    CHECK(h100->memory_bandwidth_bytes_per_s == 3.35e12);
    CHECK(h100->device_memory_bytes() == 85.52e9);
    const la::gpu_spec* b200 = c.find_gpu("b200");
    REQUIRE(b200 != nullptr);
    CHECK(b200->peak(la::precision::bf16) == 2.25e15);
    CHECK(b200->device_memory_bytes() == 180e9); // no reported figure: the marketed one
    CHECK(c.find_gpu("H300") == nullptr);
    CHECK(c.find_model("glm-4.7-flash") == c.find_model("GLM 4.7 Flash"));
    CHECK(c.find_model("glm-4.7-flash")->name == "GLM-4.7-Flash");
}

TEST_CASE("catalogue: every built-in figure names its source") {
    const la::catalogue c = la::builtin_catalogue();
    for (const la::gpu_spec& g : c.gpus()) {
        INFO(g.name);
        for (const char* f : {"memory_bytes", "memory_bandwidth_bytes_per_s"})
            CHECK_FALSE(g.source_of(f).empty());
        if (g.reported_memory_bytes > 0.0) {
            CHECK(g.source_of("reported_memory_bytes") != g.source);
            CHECK(g.source_of("reported_memory_bytes").find("MiB") != std::string::npos);
        }
        std::size_t peaks = 0;
        for (std::size_t i = 0; i < la::precision_count; ++i) {
            const auto p = static_cast<la::precision>(i);
            if (g.peak(p) > 0.0) {
                ++peaks;
                const std::string figure = "peak_flops_per_s." + std::string(la::to_string(p));
                INFO(figure);
                CHECK(g.source_of(figure) != g.source); // each peak says how it was read
            }
        }
        CHECK(peaks >= 2);
        CHECK(g.source.find("https://") != std::string::npos);
    }
    for (const la::model_spec& m : c.models()) {
        INFO(m.name);
        CHECK(m.source.find("config.json") != std::string::npos);
        for (const char* f : {"weight_bytes_per_param", "kv_bytes_per_element", "linear_precision",
                              "attention_precision"})
            CHECK(m.source_of(f) != m.source);
    }
}

TEST_CASE("catalogue: add replaces an entry of the same name and appends others") {
    la::catalogue c = la::builtin_catalogue();
    la::gpu_spec faster = la::nvidia_h200_sxm();
    faster.name = "h200-SXM";
    faster.memory_bandwidth_bytes_per_s = 5e12;
    c.add(faster);
    CHECK(c.gpus().size() == 3);
    CHECK(c.find_gpu("H200 SXM")->memory_bandwidth_bytes_per_s == 5e12);
    la::gpu_spec other;
    other.name = "Other";
    c.add(other);
    CHECK(c.gpus().size() == 4);
    CHECK(c.gpus().back().name == "Other");
}

TEST_CASE("catalogue: precision names read back") {
    for (std::size_t i = 0; i < la::precision_count; ++i) {
        const auto p = static_cast<la::precision>(i);
        CHECK(la::parse_precision(la::to_string(p)) == p);
    }
    CHECK_FALSE(la::parse_precision("BF16").has_value());
    CHECK_FALSE(la::parse_precision("fp9").has_value());
    CHECK(la::catalogue_key("GLM-4.7-Flash") == "glm47flash");
}
