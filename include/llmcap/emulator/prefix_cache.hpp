#pragma once

// What the engine's prefix cache is keyed by and what it counts: the chained hash of a full
// KV-cache block, the hash of a request's `cache_salt`, and the lookup statistics vLLM exports.

#include <cstddef>     // size_t
#include <cstdint>     // uint32_t, uint64_t
#include <span>        // span
#include <string_view> // string_view
#include <vector>      // vector

namespace llmcap::emulator {

/// MurmurHash3's 64-bit finaliser: a bijection that spreads every input bit over the output.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDull;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ull;
    x ^= x >> 33;
    return x;
}

/**
 * The hash of a request's `cache_salt` text (vLLM 0.9.0 and later): never 0, which stands for
 * "no salt" in request_spec::cache_salt. Requests with different salts share no cached block.
 * O(size).
 */
[[nodiscard]] constexpr std::uint64_t cache_salt_hash(std::string_view salt) noexcept {
    std::uint64_t h = 14695981039346656037ull; // FNV-1a
    for (const char c : salt) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ull;
    }
    h = mix64(h);
    return h == 0 ? 1 : h;
}

/**
 * The key of one full KV-cache block, as vLLM's automatic prefix caching keys it: a hash of the
 * key of the block before it (`parent`, 0 for a request's first block), the block's token ids,
 * and the request's salt (`salt`, given for the first block only: every later key covers it
 * through its parent). Two requests share a block only when their tokens up to the end of it
 * and their salts are equal. O(ids).
 */
[[nodiscard]] constexpr std::uint64_t
block_key(std::uint64_t parent, std::span<const std::uint32_t> ids, std::uint64_t salt) noexcept {
    std::uint64_t h = mix64(parent + 0x9E3779B97F4A7C15ull * (salt + 1));
    std::size_t i = 0;
    for (; i + 1 < ids.size(); i += 2) { // two ids a round
        h = (h ^ (ids[i] | std::uint64_t{ids[i + 1]} << 32)) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
    }
    if (i < ids.size()) {
        h = (h ^ ids[i]) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
    }
    return mix64(h ^ ids.size());
}

/**
 * Appends to `out` the key (block_key) of every full block of `block_size` tokens of the
 * sequence `prompt` followed by `output`, with `salt` (0 for none); a partial last block has no
 * key. O(prompt + output); `out` grows by (prompt + output) / block_size.
 */
inline void append_block_keys(std::span<const std::uint32_t> prompt,
                              std::span<const std::uint32_t> output, std::uint64_t salt,
                              std::uint32_t block_size, std::vector<std::uint64_t>& out) {
    if (block_size == 0)
        return;
    const std::size_t total = prompt.size() + output.size();
    const std::size_t blocks = total / block_size;
    out.reserve(out.size() + blocks);
    std::vector<std::uint32_t> straddling; // the block with both prompt and output tokens
    std::uint64_t parent = 0;
    for (std::size_t b = 0; b < blocks; ++b) {
        const std::size_t begin = b * block_size;
        const std::size_t end = begin + block_size;
        std::span<const std::uint32_t> ids;
        if (end <= prompt.size()) {
            ids = prompt.subspan(begin, block_size);
        } else if (begin >= prompt.size()) {
            ids = output.subspan(begin - prompt.size(), block_size);
        } else {
            straddling.assign(prompt.begin() + static_cast<std::ptrdiff_t>(begin), prompt.end());
            straddling.insert(straddling.end(), output.begin(),
                              output.begin() + static_cast<std::ptrdiff_t>(end - prompt.size()));
            ids = straddling;
        }
        parent = block_key(parent, ids, b == 0 ? salt : 0);
        out.push_back(parent);
    }
}

/**
 * Prefix-cache lookups counted in tokens, as vLLM v1 counts them (`PrefixCacheStats`): each
 * lookup is recorded when its request is admitted (scheduled from the waiting queue), with the
 * tokens it queried (the request's tokens so far: its prompt, plus its output for a request
 * resuming after a preemption) and the tokens found cached. A request resuming after a
 * preemption is counted apart (`preempted_*`), so that finding its own blocks again does not
 * count as hits; vLLM exports only `queries` and `hits`. A request that skips the lookup
 * (llama.cpp's `cache_prompt: false`, no token ids, caching disabled) is not counted.
 */
struct prefix_cache_stats {
    /// Lookups of requests never preempted.
    std::uint64_t requests = 0;
    /// Tokens they queried (`vllm:prefix_cache_queries`).
    std::uint64_t queries = 0;
    /// Tokens they found cached (`vllm:prefix_cache_hits`).
    std::uint64_t hits = 0;
    /// Lookups of requests resuming after a preemption.
    std::uint64_t preempted_requests = 0;
    /// Tokens those queried.
    std::uint64_t preempted_queries = 0;
    /// Tokens those found cached.
    std::uint64_t preempted_hits = 0;

    /// Counts one lookup of `tokens` tokens that found `hit_tokens` cached.
    constexpr void record(std::uint64_t tokens, std::uint64_t hit_tokens, bool preempted) noexcept {
        if (preempted) {
            ++preempted_requests;
            preempted_queries += tokens;
            preempted_hits += hit_tokens;
        } else {
            ++requests;
            queries += tokens;
            hits += hit_tokens;
        }
    }

    /// Adds the counts of `o`.
    constexpr prefix_cache_stats& operator+=(const prefix_cache_stats& o) noexcept {
        requests += o.requests;
        queries += o.queries;
        hits += o.hits;
        preempted_requests += o.preempted_requests;
        preempted_queries += o.preempted_queries;
        preempted_hits += o.preempted_hits;
        return *this;
    }

    /// Equal when every count is.
    friend constexpr bool operator==(const prefix_cache_stats&,
                                     const prefix_cache_stats&) = default;
};

} // namespace llmcap::emulator
