#pragma once

#include <llmcap/analysis/gpu_spec.hpp>
#include <llmcap/analysis/model_spec.hpp>

#include <string>      // string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

/**
 * The one description of GPUs and models llmcap knows: what the roofline bounds
 * (analysis/roofline.hpp) and the emulator's profiles (emulator/profile.hpp) take their
 * hardware and architecture figures from. Every figure carries its source. The built-in
 * entries are below; analysis/catalogue_json.hpp reads more (or replacements) from JSON files.
 */
namespace llmcap::analysis {

/// GPUs and models by name. Names compare by catalogue_key (case and punctuation ignored).
class catalogue {
public:
    /// The GPUs, in the order added.
    [[nodiscard]] const std::vector<gpu_spec>& gpus() const noexcept {
        return gpus_;
    }

    /// The models, in the order added.
    [[nodiscard]] const std::vector<model_spec>& models() const noexcept {
        return models_;
    }

    /// The GPU named `name`; nullptr when there is none. O(entries).
    [[nodiscard]] const gpu_spec* find_gpu(std::string_view name) const {
        return find(gpus_, name);
    }

    /// The model named `name`; nullptr when there is none. O(entries).
    [[nodiscard]] const model_spec* find_model(std::string_view name) const {
        return find(models_, name);
    }

    /// Adds `g`, replacing the GPU of the same name if there is one.
    void add(gpu_spec g) {
        put(gpus_, std::move(g));
    }

    /// Adds `m`, replacing the model of the same name if there is one.
    void add(model_spec m) {
        put(models_, std::move(m));
    }

private:
    template <class Spec>
    static const Spec* find(const std::vector<Spec>& specs, std::string_view name) {
        const std::string key = catalogue_key(name);
        for (const Spec& s : specs)
            if (catalogue_key(s.name) == key)
                return &s;
        return nullptr;
    }

    template <class Spec>
    static void put(std::vector<Spec>& specs, Spec s) {
        const std::string key = catalogue_key(s.name);
        for (Spec& old : specs)
            if (catalogue_key(old.name) == key) {
                old = std::move(s);
                return;
            }
        specs.push_back(std::move(s));
    }

    std::vector<gpu_spec> gpus_;
    std::vector<model_spec> models_;
};

// --- built-in entries ---

/**
 * GLM-4.7-Flash in BF16 (Z.ai, "30B-A3B"), from its `config.json` (architecture
 * `Glm4MoeLiteForCausalLM`, the multi-token-prediction layer excluded). Derived from these
 * fields (model_spec.hpp): 29,943,390,976 parameters, 3,579,568,896 active per token, 54,144
 * KV-cache bytes per token (MLA caches kv_lora_rank + qk_rope_head_dim = 576 values per layer),
 * attention width 20 · ((192 + 64) + 256) = 10,240.
 */
[[nodiscard]] inline model_spec glm_4_7_flash_bf16() {
    model_spec m;
    m.name = "GLM-4.7-Flash";
    m.display_name = "GLM-4.7-Flash (BF16)";
    m.layers = 47;
    m.dense_layers = 1;
    m.hidden_size = 2048;
    m.vocab_size = 154'880;
    m.tied_embeddings = false;
    m.dense_intermediate_size = 10'240;
    m.experts = 64;
    m.experts_per_token = 4;
    m.shared_experts = 1;
    m.expert_intermediate_size = 1536;
    m.attention = {.kind = attention_kind::mla,
                   .heads = 20,
                   .q_lora_rank = 768,
                   .kv_lora_rank = 512,
                   .qk_nope_head_dim = 192,
                   .qk_rope_head_dim = 64,
                   .v_head_dim = 256};
    m.weight_bytes_per_param = 2.0;
    m.kv_bytes_per_element = 2.0;
    m.linear_precision = precision::bf16;
    m.attention_precision = precision::bf16;
    m.max_context_tokens = 202'752;
    m.source = "config.json of zai-org/GLM-4.7-Flash on Hugging Face "
               "(https://huggingface.co/zai-org/GLM-4.7-Flash): hidden_size, num_hidden_layers, "
               "first_k_dense_replace, intermediate_size, moe_intermediate_size, n_routed_experts, "
               "num_experts_per_tok, n_shared_experts, num_attention_heads, q_lora_rank, "
               "kv_lora_rank, qk_nope_head_dim, qk_rope_head_dim, v_head_dim, vocab_size, "
               "tie_word_embeddings, max_position_embeddings";
    m.sources = {
        {"weight_bytes_per_param", "the BF16 checkpoint (torch_dtype bfloat16 in config.json)"},
        {"kv_bytes_per_element", "a BF16 KV cache (vLLM's default kv_cache_dtype \"auto\" follows "
                                 "the weights)"},
        {"linear_precision", "BF16 weights and activations"},
        {"attention_precision", "a BF16 KV cache"},
    };
    return m;
}

/// NVIDIA H100 SXM5 80 GB, from NVIDIA's H100 Tensor Core GPU datasheet (SXM column).
[[nodiscard]] inline gpu_spec nvidia_h100_sxm() {
    gpu_spec g;
    g.name = "H100 SXM";
    g.display_name = "NVIDIA H100 SXM 80GB";
    g.memory_bytes = 80e9;
    g.reported_memory_bytes = 85.52e9;
    g.memory_bandwidth_bytes_per_s = 3.35e12;
    g.set_peak(precision::bf16, 989.5e12);
    g.set_peak(precision::fp16, 989.5e12);
    g.set_peak(precision::fp8, 1979e12);
    g.source = "NVIDIA H100 Tensor Core GPU datasheet, H100 SXM column "
               "(https://www.nvidia.com/en-us/data-center/h100/): 80 GB HBM3, 3.35 TB/s";
    g.sources = {
        {"reported_memory_bytes", "nvidia-smi on an H100 SXM 80GB: 81,559 MiB total, written "
                                  "85.52e9 bytes"},
        {"peak_flops_per_s.bf16", "same datasheet: BF16 Tensor Core 1,979 TFLOPS with sparsity, "
                                  "half of it dense"},
        {"peak_flops_per_s.fp16", "same datasheet: FP16 Tensor Core 1,979 TFLOPS with sparsity, "
                                  "half of it dense"},
        {"peak_flops_per_s.fp8", "same datasheet: FP8 Tensor Core 3,958 TFLOPS with sparsity, "
                                 "half of it dense"},
    };
    return g;
}

/// NVIDIA H200 SXM 141 GB, from NVIDIA's H200 Tensor Core GPU datasheet (SXM column).
[[nodiscard]] inline gpu_spec nvidia_h200_sxm() {
    gpu_spec g;
    g.name = "H200 SXM";
    g.display_name = "NVIDIA H200 SXM 141GB";
    g.memory_bytes = 141e9;
    g.reported_memory_bytes = 150.75e9;
    g.memory_bandwidth_bytes_per_s = 4.8e12;
    g.set_peak(precision::bf16, 989.5e12);
    g.set_peak(precision::fp16, 989.5e12);
    g.set_peak(precision::fp8, 1979e12);
    g.source = "NVIDIA H200 Tensor Core GPU datasheet, H200 SXM column "
               "(https://www.nvidia.com/en-us/data-center/h200/): 141 GB HBM3e, 4.8 TB/s";
    g.sources = {
        {"reported_memory_bytes", "nvidia-smi on an H200 SXM: 143,771 MiB total, written "
                                  "150.75e9 bytes"},
        {"peak_flops_per_s.bf16", "same datasheet: BF16 Tensor Core 1,979 TFLOPS with sparsity, "
                                  "half of it dense"},
        {"peak_flops_per_s.fp16", "same datasheet: FP16 Tensor Core 1,979 TFLOPS with sparsity, "
                                  "half of it dense"},
        {"peak_flops_per_s.fp8", "same datasheet: FP8 Tensor Core 3,958 TFLOPS with sparsity, "
                                 "half of it dense"},
    };
    return g;
}

/// One NVIDIA B200 of an HGX/DGX B200, from NVIDIA's DGX B200 datasheet divided by its 8 GPUs.
[[nodiscard]] inline gpu_spec nvidia_b200() {
    gpu_spec g;
    g.name = "B200";
    g.display_name = "NVIDIA B200 180GB";
    g.memory_bytes = 180e9;
    g.memory_bandwidth_bytes_per_s = 8e12;
    g.set_peak(precision::bf16, 2.25e15);
    g.set_peak(precision::fp8, 4.5e15);
    g.source = "NVIDIA DGX B200 datasheet (https://www.nvidia.com/en-us/data-center/dgx-b200/), "
               "divided by its 8 GPUs: 1,440 GB HBM3e and 64 TB/s in total, 180 GB and 8 TB/s "
               "each";
    g.sources = {
        {"peak_flops_per_s.fp8", "same datasheet: FP8 72 PFLOPS with sparsity for 8 GPUs, "
                                 "4.5 PFLOPS dense each"},
        {"peak_flops_per_s.bf16", "half the dense FP8 rate of the same datasheet (BF16 tensor "
                                  "cores run at half the FP8 rate): 2.25 PFLOPS"},
    };
    return g;
}

/// The built-in catalogue: GPUs H100 SXM, H200 SXM and B200; model GLM-4.7-Flash.
[[nodiscard]] inline catalogue builtin_catalogue() {
    catalogue c;
    c.add(nvidia_h100_sxm());
    c.add(nvidia_h200_sxm());
    c.add(nvidia_b200());
    c.add(glm_4_7_flash_bf16());
    return c;
}

} // namespace llmcap::analysis
