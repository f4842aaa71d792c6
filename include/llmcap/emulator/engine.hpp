#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/emulator/cost_model.hpp>
#include <llmcap/emulator/detail/kv_blocks.hpp>
#include <llmcap/emulator/ground_truth.hpp>
#include <llmcap/emulator/prefix_cache.hpp>
#include <llmcap/emulator/profile.hpp>

#include <algorithm> // min, find, erase_if
#include <cstdint>   // uint32_t, uint64_t
#include <deque>     // deque
#include <stdexcept> // invalid_argument, logic_error, out_of_range
#include <string>    // to_string
#include <utility>   // move
#include <vector>    // vector

namespace llmcap::emulator {

/**
 * A request as the engine sees it: prompt and output lengths in tokens and, for prefix caching,
 * the token ids its KV-cache blocks are keyed by. A request without prompt ids is never cached
 * (nor is any request when the profile disables prefix caching).
 */
struct request_spec {
    /// Prompt tokens to prefill.
    std::uint32_t prompt_tokens = 0;
    /// Output tokens to generate (at least 1).
    std::uint32_t output_tokens = 1;
    /// The prompt's token ids: none, or `prompt_tokens` of them. The engine reads them in
    /// add_request() (to key the prompt's blocks) and keeps none.
    std::vector<std::uint32_t> prompt_ids{};
    /// The ids of the tokens the request will generate, in order (at most `output_tokens`), so
    /// that full blocks holding output are cached too, as vLLM caches them.
    std::vector<std::uint32_t> output_ids{};
    /// cache_salt_hash() of the request's `cache_salt`, 0 for none: requests with different
    /// salts share no cached block.
    std::uint64_t cache_salt = 0;
    /// False: the request does not look the prefix cache up and computes its whole prompt
    /// (llama.cpp's `cache_prompt: false`); the blocks it computes are cached all the same.
    bool prefix_cache_lookup = true;
};

/// One token an engine step emitted.
struct token_emission {
    /// The request it belongs to.
    request_id id = 0;
    /// Its position in the request's output, from 0.
    std::uint32_t index = 0;
    /// True for the request's last token (the request finished with it).
    bool last = false;
};

/// One prefill chunk an engine step processed.
struct chunk_record {
    /// The request it belongs to.
    request_id id = 0;
    /// Tokens already in the KV cache before the chunk.
    std::uint64_t cached_tokens = 0;
    /// Tokens in the chunk.
    std::uint32_t tokens = 0;
    /// True when the chunk recomputes tokens lost to a preemption.
    bool recompute = false;
};

/// What one engine step did. Valid until the next call to engine::step().
struct step_result {
    /// When the step started (as given to step()).
    time_point start{};
    /// When it ended: start + its duration.
    time_point end{};
    /// What the step computed.
    step_work work;
    /// Its price.
    step_cost cost;
    /// Tokens emitted, in scheduling order.
    std::vector<token_emission> tokens;
    /// Prefill chunks processed.
    std::vector<chunk_record> prefill_chunks;
    /// Requests scheduled for the first time in this step.
    std::vector<request_id> first_scheduled;
    /// Requests preempted when the step was planned (their KV cache freed).
    std::vector<request_id> preempted;
    /// Requests that finished in this step.
    std::vector<request_id> finished;
    /// Prefix-cache lookups of the requests admitted when the step was planned.
    prefix_cache_stats prefix_cache;
    /// Requests running after the step.
    std::size_t running = 0;
    /// Requests waiting after the step.
    std::size_t waiting = 0;
};

/**
 * A continuous-batching inference engine in the manner of vLLM v1, without I/O or a clock:
 * the driver says when each step starts and the engine says how long it takes.
 *
 * Each step, the scheduler walks the running requests in order, giving each the tokens it
 * still needs (1 for a decode, the rest of its prompt for a prefill) up to the step's token
 * budget, so prefills are chunked; it then admits waiting requests first come first served
 * while budget, KV cache and the running-sequence cap allow. KV-cache blocks are allocated as
 * tokens are scheduled; when a running request needs a block and none is free, the most
 * recently admitted running request is preempted: its blocks are freed and it returns to the
 * front of the queue, to recompute its prompt and the tokens it had produced. No waiting
 * request is admitted in a step that preempted.
 *
 * Prefix caching (engine_settings::enable_prefix_caching), as vLLM v1's automatic prefix
 * caching: every full block of a request's tokens (prompt, then output) is keyed by block_key()
 * of its ids, chained to the blocks before it and salted; a block becomes cached as soon as the
 * step computing its last token is planned. When a request is admitted from the waiting queue
 * it takes the longest run of cached blocks that starts its tokens, never all of them (at least
 * its last token is computed, to sample from), and its prefill starts after them. Cached blocks
 * are shared by reference count; when no request holds one it stays cached and counts as free
 * (kv_free_tokens()), and blocks are taken from the free ones first, then by evicting the
 * cached block released least recently. A request's blocks are released last block first, so
 * its tail is evicted before its head.
 *
 * Driving it: call add_request() as requests arrive; while has_work(), call
 * next_step_duration() (which plans the step) and, once that much time has passed on the
 * driver's clock, step(start) with the time the step began. A wall-clock server does this
 * with a timer; the simulator with a virtual clock. Requests added between the two calls wait
 * for the next step, as in a real engine. Not thread-safe.
 */
class engine {
public:
    /// An idle engine for profile `p`.
    explicit engine(const profile& p)
        : cost_model_(p), settings_(p.engine), max_context_(p.model.max_context_tokens),
          blocks_(kv_cache_tokens(p) / p.engine.block_size) {}

    /// The cost model pricing the steps.
    [[nodiscard]] const cost_model& costs() const noexcept {
        return cost_model_;
    }

    /// KV-cache capacity, tokens.
    [[nodiscard]] std::uint64_t kv_capacity_tokens() const noexcept {
        return blocks_.total() * settings_.block_size;
    }

    /// KV-cache tokens free now (whole blocks): blocks no request holds, cached ones included.
    [[nodiscard]] std::uint64_t kv_free_tokens() const noexcept {
        return blocks_.available() * settings_.block_size;
    }

    /// True when the profile enables prefix caching.
    [[nodiscard]] bool prefix_caching() const noexcept {
        return settings_.enable_prefix_caching;
    }

    /// KV-cache tokens in cached blocks (held by requests or not), whole blocks.
    [[nodiscard]] std::uint64_t kv_cached_tokens() const noexcept {
        return blocks_.cached() * settings_.block_size;
    }

    /// Cached blocks evicted so far to make room for others.
    [[nodiscard]] std::uint64_t prefix_cache_evictions() const noexcept {
        return blocks_.evictions();
    }

    /// Prefix-cache lookups since the engine was created (the sum of every step's).
    [[nodiscard]] const prefix_cache_stats& prefix_cache() const noexcept {
        return prefix_cache_;
    }

    /// True when a request could ever be served: it asks for at least one token and its
    /// prompt plus output fits the model's context and the KV cache.
    [[nodiscard]] bool fits(const request_spec& r) const noexcept {
        const std::uint64_t total = std::uint64_t{r.prompt_tokens} + r.output_tokens;
        return r.output_tokens > 0 && total <= max_context_ && total <= kv_capacity_tokens();
    }

    /// Queues a request that reached the engine at `arrival`; returns its id. With prefix
    /// caching on and prompt ids given, keys its blocks (O(tokens)). Throws
    /// std::invalid_argument when !fits(r) (a server answers such requests with an error), or
    /// when it has prompt ids but not `prompt_tokens` of them, or more output ids than tokens.
    request_id add_request(const request_spec& r, time_point arrival) {
        if (!fits(r))
            throw std::invalid_argument("emulator::engine: request of " +
                                        std::to_string(r.prompt_tokens) + " prompt + " +
                                        std::to_string(r.output_tokens) +
                                        " output tokens does not fit the context or the KV cache");
        if (!r.prompt_ids.empty() && r.prompt_ids.size() != r.prompt_tokens)
            throw std::invalid_argument("emulator::engine: request of " +
                                        std::to_string(r.prompt_tokens) + " prompt tokens has " +
                                        std::to_string(r.prompt_ids.size()) + " prompt ids");
        if (r.output_ids.size() > r.output_tokens)
            throw std::invalid_argument("emulator::engine: request of " +
                                        std::to_string(r.output_tokens) + " output tokens has " +
                                        std::to_string(r.output_ids.size()) + " output ids");
        const request_id id = requests_.size();
        request_state& s = requests_.emplace_back();
        if (settings_.enable_prefix_caching && !r.prompt_ids.empty())
            append_block_keys(r.prompt_ids, r.output_ids, r.cache_salt, settings_.block_size,
                              s.keys);
        s.lookup = r.prefix_cache_lookup;
        s.truth.id = id;
        s.truth.prompt_tokens = r.prompt_tokens;
        s.truth.output_tokens = r.output_tokens;
        s.truth.arrival = arrival;
        s.truth.tokens.reserve(r.output_tokens);
        waiting_.push_back(id);
        return id;
    }

    /// True while any request is waiting or running.
    [[nodiscard]] bool has_work() const noexcept {
        return !waiting_.empty() || !running_.empty();
    }

    /// Requests running (admitted and not finished).
    [[nodiscard]] std::size_t running() const noexcept {
        return running_.size();
    }

    /// Requests waiting for admission.
    [[nodiscard]] std::size_t waiting() const noexcept {
        return waiting_.size();
    }

    /// Requests added so far.
    [[nodiscard]] std::size_t requests() const noexcept {
        return requests_.size();
    }

    /**
     * Plans the next step, if not planned yet, and returns how long it will take; zero when
     * there is no work. Planning schedules: it admits and preempts requests and reserves KV
     * blocks, so the step it plans is what the next step() executes. O(running + admitted).
     */
    [[nodiscard]] duration next_step_duration() {
        if (!planned_)
            plan();
        return planned_duration_;
    }

    /**
     * Executes the planned step (planning it first if needed), which started at `start`, and
     * returns what it did; the result refers to storage reused by the next call. Tokens are
     * emitted and chunks recorded at the step's end, start + next_step_duration().
     */
    const step_result& step(time_point start) {
        if (!planned_)
            plan();
        planned_ = false;
        step_result& r = result_;
        r.start = start;
        r.end = start + planned_duration_;
        r.tokens.clear();
        r.prefill_chunks.clear();
        r.first_scheduled.clear();
        r.finished.clear();
        for (request_id id : r.preempted)
            if (!requests_[id].finished) // not aborted since
                requests_[id].truth.preemptions.push_back(start);
        for (const entry& e : plan_) {
            request_state& s = requests_[e.id];
            if (s.finished) // aborted after the step was planned
                continue;
            if (!s.truth.scheduled) {
                s.truth.scheduled = start;
                s.truth.cached_tokens = static_cast<std::uint32_t>(s.computed); // its hit
                r.first_scheduled.push_back(e.id);
            }
            if (e.prefill) {
                s.truth.prefill_chunks.push_back({r.end, e.tokens, e.recompute});
                r.prefill_chunks.push_back({e.id, s.computed, e.tokens, e.recompute});
            }
            s.computed += e.tokens;
            if (s.computed == s.total_tokens()) {
                s.prefilling = false;
                s.recomputing = false;
                const auto index = static_cast<std::uint32_t>(s.truth.tokens.size());
                s.truth.tokens.push_back(r.end);
                const bool last = s.truth.tokens.size() == s.truth.output_tokens;
                r.tokens.push_back({e.id, index, last});
                if (last) {
                    s.truth.finish = r.end;
                    release_blocks(s, true);
                    s.finished = true;
                    r.finished.push_back(e.id);
                }
            }
        }
        if (!r.finished.empty())
            std::erase_if(running_, [this](request_id id) { return requests_[id].finished; });
        r.running = running_.size();
        r.waiting = waiting_.size();
        plan_.clear();
        return r;
    }

    /**
     * Aborts request `id` at `at`, as vLLM does when a client disconnects: it leaves the
     * waiting queue or the running batch, its KV-cache blocks are freed, and its ground truth
     * records `aborted` (the tokens emitted so far stay; `finish` stays empty). A step already
     * planned still takes the time it was priced at (its work was launched) but emits nothing
     * for the request. Returns false, changing nothing, when the request has already finished
     * or been aborted. Throws std::out_of_range for an unknown id.
     */
    bool abort(request_id id, time_point at) {
        request_state& s = requests_.at(id);
        if (s.finished)
            return false;
        s.finished = true;
        s.truth.aborted = at;
        release_blocks(s, true);
        if (const auto w = std::find(waiting_.begin(), waiting_.end(), id); w != waiting_.end())
            waiting_.erase(w);
        else if (const auto r = std::find(running_.begin(), running_.end(), id);
                 r != running_.end())
            running_.erase(r);
        return true;
    }

    /// The ground truth of request `id` so far. Precondition: id < requests().
    [[nodiscard]] const request_truth& truth(request_id id) const {
        return requests_.at(id).truth;
    }

    /// Moves out the ground truth of a finished or aborted request, releasing its storage
    /// (truth(id) is empty afterwards; a long-running driver calls this for every finished
    /// request so that each keeps about 250 bytes). Throws std::logic_error if it has neither
    /// finished nor been aborted.
    [[nodiscard]] request_truth take_truth(request_id id) {
        request_state& s = requests_.at(id);
        if (!s.finished)
            throw std::logic_error("emulator::engine: take_truth on a request still in progress");
        return std::move(s.truth);
    }

private:
    static constexpr std::uint32_t no_slot = detail::kv_block_pool::none;

    struct request_state {
        request_truth truth;
        std::uint64_t computed = 0;       // tokens in the KV cache
        std::uint64_t blocks = 0;         // KV blocks held, cached ones included
        std::uint64_t held_cached = 0;    // entries of `slots` other than no_slot
        std::vector<std::uint64_t> keys;  // block_key of each full block of its tokens
        std::vector<std::uint32_t> slots; // the cached block held as each of its first blocks
        bool lookup = true;               // looks the prefix cache up when admitted
        bool prefilling = true;
        bool recomputing = false;
        bool preempted = false; // at least once
        bool finished = false;  // or aborted

        // Tokens the request's KV cache must hold before it can sample its next token.
        [[nodiscard]] std::uint64_t total_tokens() const noexcept {
            return std::uint64_t{truth.prompt_tokens} + truth.tokens.size();
        }
    };

    struct entry {
        request_id id;
        std::uint32_t tokens;
        bool prefill;
        bool recompute;
    };

    [[nodiscard]] std::uint64_t blocks_for(std::uint64_t tokens) const noexcept {
        return (tokens + settings_.block_size - 1) / settings_.block_size;
    }

    // Grows the request's blocks to hold `tokens` tokens; false when the cache is too full.
    bool reserve(request_state& s, std::uint64_t tokens) {
        const std::uint64_t needed = blocks_for(tokens);
        if (needed <= s.blocks)
            return true;
        if (needed - s.blocks > blocks_.available())
            return false;
        blocks_.take(needed - s.blocks);
        s.blocks = needed;
        return true;
    }

    // Caches the request's full blocks among its first `tokens` tokens (those a planned step
    // computes), in order; a block whose key is cached already stays private.
    void cache_blocks(request_state& s, std::uint64_t tokens) {
        if (s.slots.size() >= s.keys.size()) // all cached, or nothing to cache (no ids)
            return;
        const std::uint64_t full =
            std::min<std::uint64_t>(tokens / settings_.block_size, s.keys.size());
        while (s.slots.size() < full) {
            const std::uint32_t slot = blocks_.cache(s.keys[s.slots.size()]);
            s.slots.push_back(slot);
            if (slot != no_slot)
                ++s.held_cached;
        }
    }

    // Releases every block the request holds, its last block first; `done`: it will not run
    // again, so its keys go too.
    void release_blocks(request_state& s, bool done) {
        blocks_.give(s.blocks - s.held_cached);
        for (auto it = s.slots.rbegin(); it != s.slots.rend(); ++it)
            if (*it != no_slot)
                blocks_.release(*it);
        s.slots.clear();
        s.held_cached = 0;
        s.blocks = 0;
        if (done) {
            s.keys = {};
            s.slots = {};
        }
    }

    void preempt(request_id id) {
        request_state& s = requests_[id];
        release_blocks(s, false);
        s.computed = 0;
        s.prefilling = true;
        s.recomputing = !s.truth.tokens.empty() || !s.truth.prefill_chunks.empty();
        s.preempted = true;
        waiting_.push_front(id);
        result_.preempted.push_back(id);
    }

    // Admits waiting request `s` (no blocks, nothing computed) with at most `budget` new
    // tokens: takes the longest run of cached blocks starting its tokens (never all of them),
    // then blocks for its first chunk. Returns the chunk's tokens, or 0, changing nothing,
    // when the blocks do not fit.
    std::uint32_t admit(request_state& s, std::uint64_t budget) {
        const bool lookup = s.lookup && !s.keys.empty();
        std::uint64_t hit_blocks = 0;
        std::uint64_t evictable_hits = 0; // hits that stop counting as free once held
        if (lookup) {
            const std::uint64_t most = std::min<std::uint64_t>(
                s.keys.size(), (s.total_tokens() - 1) / settings_.block_size);
            for (; hit_blocks < most; ++hit_blocks) {
                const std::uint32_t slot = blocks_.find(s.keys[hit_blocks]);
                if (slot == no_slot)
                    break;
                s.slots.push_back(slot);
                if (blocks_.is_evictable(slot))
                    ++evictable_hits;
            }
        }
        const std::uint64_t hit_tokens = hit_blocks * settings_.block_size;
        const auto n = static_cast<std::uint32_t>(std::min(s.total_tokens() - hit_tokens, budget));
        if (blocks_for(hit_tokens + n) - hit_blocks + evictable_hits > blocks_.available()) {
            s.slots.clear();
            return 0;
        }
        for (const std::uint32_t slot : s.slots)
            blocks_.hold(slot);
        s.held_cached = hit_blocks;
        s.blocks = hit_blocks;
        s.computed = hit_tokens;
        if (lookup) {
            prefix_cache_.record(s.total_tokens(), hit_tokens, s.preempted);
            result_.prefix_cache.record(s.total_tokens(), hit_tokens, s.preempted);
        }
        (void)reserve(s, hit_tokens + n); // fits: checked above
        cache_blocks(s, hit_tokens + n);
        return n;
    }

    void add_entry(request_state& s, std::uint32_t tokens) {
        plan_.push_back({s.truth.id, tokens, s.prefilling, s.recomputing});
        if (s.prefilling) {
            work_.add_prefill_chunk(s.computed, tokens);
            if (s.computed + tokens == s.total_tokens())
                ++work_.sampled_sequences;
        } else {
            work_.add_decode(s.computed);
        }
    }

    void plan() {
        plan_.clear();
        result_.preempted.clear();
        result_.prefix_cache = {};
        work_ = step_work{};
        std::uint64_t budget = settings_.max_num_batched_tokens;
        bool preempted = false;

        for (std::size_t i = 0; i < running_.size() && budget > 0;) {
            request_state& s = requests_[running_[i]];
            const auto n = static_cast<std::uint32_t>(
                std::min<std::uint64_t>(s.total_tokens() - s.computed, budget));
            bool self_preempted = false;
            while (!reserve(s, s.computed + n)) {
                const request_id victim = running_.back();
                running_.pop_back();
                preempt(victim);
                preempted = true;
                if (&requests_[victim] == &s) {
                    self_preempted = true;
                    break;
                }
            }
            if (self_preempted)
                break;
            cache_blocks(s, s.computed + n);
            add_entry(s, n);
            budget -= n;
            ++i;
        }

        while (!preempted && !waiting_.empty() && budget > 0 &&
               running_.size() < settings_.max_num_seqs) {
            request_state& s = requests_[waiting_.front()];
            const std::uint32_t n = admit(s, budget);
            if (n == 0)
                break;
            waiting_.pop_front();
            running_.push_back(s.truth.id);
            add_entry(s, n);
            budget -= n;
        }

        result_.work = work_;
        result_.cost = cost_model_.price(work_);
        planned_duration_ = from_seconds(result_.cost.duration_s);
        // An empty plan is not kept: a request added next must be planned in.
        planned_ = !plan_.empty() || !result_.preempted.empty();
    }

    cost_model cost_model_;
    engine_settings settings_;
    std::uint64_t max_context_;
    detail::kv_block_pool blocks_;
    prefix_cache_stats prefix_cache_;
    std::vector<request_state> requests_;
    std::deque<request_id> waiting_;
    std::vector<request_id> running_;
    std::vector<entry> plan_;
    step_work work_;
    step_result result_;
    duration planned_duration_{};
    bool planned_ = false;
};

} // namespace llmcap::emulator
