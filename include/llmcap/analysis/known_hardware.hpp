#pragma once

#include <llmcap/analysis/roofline.hpp>

namespace llmcap::analysis {

/**
 * GLM-4.7-Flash in BF16 (Z.ai). Source: the model's `config.json` on Hugging Face
 * (huggingface.co/zai-org/GLM-4.7-Flash, architecture `Glm4MoeLiteForCausalLM`): hidden size
 * 2048, 47 layers (the first dense with intermediate size 10240, then 46 MoE layers of 64 routed
 * experts + 1 shared, 4 routed per token, expert intermediate size 1536), Multi-head Latent
 * Attention with 20 heads, q_lora_rank 768, kv_lora_rank 512, qk_nope_head_dim 192,
 * qk_rope_head_dim 64, v_head_dim 256, vocabulary 154,880, untied embeddings. The model card
 * calls it "30B-A3B".
 *
 * Derived here from those fields (the multi-token-prediction layer excluded):
 * - attention per layer 21,763,328 parameters; one expert 3 · 2048 · 1536 = 9,437,184;
 * - total 29,943,390,976 parameters;
 * - active per token: the dense layer, 46 × (attention + router + 5 experts) and the output head
 *   = 3,579,568,896 parameters;
 * - KV cache: MLA stores kv_lora_rank + qk_rope_head_dim = 576 values per layer per token,
 *   576 · 2 bytes · 47 layers = 54,144 bytes per token;
 * - attention width 20 · ((192 + 64) + 256) = 10,240.
 */
[[nodiscard]] inline model_description glm_4_7_flash_bf16() {
    return {.name = "GLM-4.7-Flash (BF16)",
            .total_parameters = 29'943'390'976.0,
            .active_parameters = 3'579'568'896.0,
            .bytes_per_parameter = 2.0,
            .layers = 47,
            .kv_cache_bytes_per_token = 54'144.0,
            .attention_width = 10'240.0};
}

/// NVIDIA H100 SXM5 80 GB. Source: NVIDIA H100 Tensor Core GPU datasheet (SXM column): 80 GB
/// HBM3, 3.35 TB/s, BF16 Tensor Core 1,979 TFLOPS with sparsity, i.e. 989.5 TFLOPS dense.
[[nodiscard]] inline gpu_description nvidia_h100_sxm() {
    return {.name = "NVIDIA H100 SXM 80GB",
            .memory_bandwidth_bytes_per_s = 3.35e12,
            .peak_flops_per_s = 989.5e12,
            .memory_bytes = 80e9};
}

/// NVIDIA H200 SXM 141 GB. Source: NVIDIA H200 Tensor Core GPU datasheet (SXM column): 141 GB
/// HBM3e, 4.8 TB/s, BF16 Tensor Core 1,979 TFLOPS with sparsity, i.e. 989.5 TFLOPS dense.
[[nodiscard]] inline gpu_description nvidia_h200_sxm() {
    return {.name = "NVIDIA H200 SXM 141GB",
            .memory_bandwidth_bytes_per_s = 4.8e12,
            .peak_flops_per_s = 989.5e12,
            .memory_bytes = 141e9};
}

/// NVIDIA B200 (one GPU of an HGX/DGX B200). Source: NVIDIA DGX B200 datasheet, divided by its
/// 8 GPUs: 1,440 GB HBM3e and 64 TB/s in total (180 GB, 8 TB/s each); FP8 72 PFLOPS with
/// sparsity in total, i.e. 4.5 PFLOPS dense FP8 and 2.25 PFLOPS dense BF16 per GPU.
[[nodiscard]] inline gpu_description nvidia_b200() {
    return {.name = "NVIDIA B200 180GB",
            .memory_bandwidth_bytes_per_s = 8e12,
            .peak_flops_per_s = 2.25e15,
            .memory_bytes = 180e9};
}

} // namespace llmcap::analysis
