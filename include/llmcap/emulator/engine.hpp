#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/emulator/cost_model.hpp>
#include <llmcap/emulator/ground_truth.hpp>
#include <llmcap/emulator/profile.hpp>

#include <algorithm> // min, find, erase_if
#include <cstdint>   // uint32_t, uint64_t
#include <deque>     // deque
#include <stdexcept> // invalid_argument, logic_error, out_of_range
#include <string>    // to_string
#include <utility>   // move
#include <vector>    // vector

namespace llmcap::emulator {

/// A request as the engine sees it: prompt and output lengths in tokens.
struct request_spec {
    /// Prompt tokens to prefill.
    std::uint32_t prompt_tokens = 0;
    /// Output tokens to generate (at least 1).
    std::uint32_t output_tokens = 1;
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
          total_blocks_(kv_cache_tokens(p) / p.engine.block_size), free_blocks_(total_blocks_) {}

    /// The cost model pricing the steps.
    [[nodiscard]] const cost_model& costs() const noexcept {
        return cost_model_;
    }

    /// KV-cache capacity, tokens.
    [[nodiscard]] std::uint64_t kv_capacity_tokens() const noexcept {
        return total_blocks_ * settings_.block_size;
    }

    /// KV-cache tokens free now (whole blocks).
    [[nodiscard]] std::uint64_t kv_free_tokens() const noexcept {
        return free_blocks_ * settings_.block_size;
    }

    /// True when a request could ever be served: it asks for at least one token and its
    /// prompt plus output fits the model's context and the KV cache.
    [[nodiscard]] bool fits(const request_spec& r) const noexcept {
        const std::uint64_t total = std::uint64_t{r.prompt_tokens} + r.output_tokens;
        return r.output_tokens > 0 && total <= max_context_ && total <= kv_capacity_tokens();
    }

    /// Queues a request that reached the engine at `arrival`; returns its id. Throws
    /// std::invalid_argument when !fits(r) (a server answers such requests with an error).
    request_id add_request(const request_spec& r, time_point arrival) {
        if (!fits(r))
            throw std::invalid_argument("emulator::engine: request of " +
                                        std::to_string(r.prompt_tokens) + " prompt + " +
                                        std::to_string(r.output_tokens) +
                                        " output tokens does not fit the context or the KV cache");
        const request_id id = requests_.size();
        request_state& s = requests_.emplace_back();
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
                    free_blocks_ += s.blocks;
                    s.blocks = 0;
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
        free_blocks_ += s.blocks;
        s.blocks = 0;
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
    /// request so that each keeps about 200 bytes). Throws std::logic_error if it has neither
    /// finished nor been aborted.
    [[nodiscard]] request_truth take_truth(request_id id) {
        request_state& s = requests_.at(id);
        if (!s.finished)
            throw std::logic_error("emulator::engine: take_truth on a request still in progress");
        return std::move(s.truth);
    }

private:
    struct request_state {
        request_truth truth;
        std::uint64_t computed = 0; // tokens in the KV cache
        std::uint64_t blocks = 0;   // KV blocks held
        bool prefilling = true;
        bool recomputing = false;
        bool finished = false; // or aborted

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

    // Grows the request's blocks to hold `tokens` tokens; false when the cache is too full.
    bool reserve(request_state& s, std::uint64_t tokens) noexcept {
        const std::uint64_t needed = (tokens + settings_.block_size - 1) / settings_.block_size;
        if (needed <= s.blocks)
            return true;
        if (needed - s.blocks > free_blocks_)
            return false;
        free_blocks_ -= needed - s.blocks;
        s.blocks = needed;
        return true;
    }

    void preempt(request_id id) {
        request_state& s = requests_[id];
        free_blocks_ += s.blocks;
        s.blocks = 0;
        s.computed = 0;
        s.prefilling = true;
        s.recomputing = !s.truth.tokens.empty() || !s.truth.prefill_chunks.empty();
        waiting_.push_front(id);
        result_.preempted.push_back(id);
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
            add_entry(s, n);
            budget -= n;
            ++i;
        }

        while (!preempted && !waiting_.empty() && budget > 0 &&
               running_.size() < settings_.max_num_seqs) {
            request_state& s = requests_[waiting_.front()];
            const auto n = static_cast<std::uint32_t>(
                std::min<std::uint64_t>(s.total_tokens() - s.computed, budget));
            if (!reserve(s, s.computed + n))
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
    std::uint64_t total_blocks_;
    std::uint64_t free_blocks_;
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
