#pragma once

// The engine's KV-cache blocks with a prefix cache: free blocks, cached blocks shared by
// reference count, and the least recently released cached blocks evicted first.

#include <cstddef> // size_t
#include <cstdint> // uint32_t, uint64_t
#include <limits>  // numeric_limits
#include <utility> // move
#include <vector>  // vector

namespace llmcap::emulator::detail {

/**
 * A hash table from block keys (already well mixed: block_key()) to slot numbers: open
 * addressing with linear probing and backward-shift deletion, at most half full. Cheaper than
 * std::unordered_map by a node allocation per insertion, which the engine pays for every full
 * block it computes.
 */
class block_key_table {
public:
    /// No slot: the key is absent.
    static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

    /// Keys held.
    [[nodiscard]] std::size_t size() const noexcept {
        return size_;
    }

    /// The slot of `key`, or `none`. O(1) on average.
    [[nodiscard]] std::uint32_t find(std::uint64_t key) const noexcept {
        if (size_ == 0)
            return none;
        for (std::size_t i = key & mask_;; i = (i + 1) & mask_) {
            const entry& e = entries_[i];
            if (e.slot == none)
                return none;
            if (e.key == key)
                return e.slot;
        }
    }

    /// Maps `key` to `slot` (not `none`) unless `key` is present; true when inserted.
    bool insert(std::uint64_t key, std::uint32_t slot) {
        if (2 * (size_ + 1) > entries_.size())
            grow();
        std::size_t i = key & mask_;
        for (; entries_[i].slot != none; i = (i + 1) & mask_)
            if (entries_[i].key == key)
                return false;
        entries_[i] = entry{key, slot};
        ++size_;
        return true;
    }

    /// Removes `key`, which is present.
    void erase(std::uint64_t key) noexcept {
        std::size_t i = key & mask_;
        while (entries_[i].key != key || entries_[i].slot == none)
            i = (i + 1) & mask_;
        // Backward shift: move up every later entry of the run that may sit in the hole.
        for (std::size_t j = (i + 1) & mask_; entries_[j].slot != none; j = (j + 1) & mask_) {
            const std::size_t home = entries_[j].key & mask_;
            const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays) {
                entries_[i] = entries_[j];
                i = j;
            }
        }
        entries_[i].slot = none;
        --size_;
    }

private:
    struct entry {
        std::uint64_t key = 0;
        std::uint32_t slot = none;
    };

    void grow() {
        std::vector<entry> old = std::move(entries_);
        entries_.assign(old.empty() ? 4096 : 2 * old.size(), entry{});
        mask_ = entries_.size() - 1;
        size_ = 0;
        for (const entry& e : old)
            if (e.slot != none)
                (void)insert(e.key, e.slot);
    }

    std::vector<entry> entries_; // a power of two of them
    std::size_t mask_ = 0;
    std::size_t size_ = 0;
};

/**
 * A KV cache of `total()` blocks, in the manner of vLLM v1's block pool. A block is free (holds
 * nothing anyone may find), private (held by one request, not findable), or cached (holds the
 * block whose key it is registered under: findable by key, held by `refs` requests). A cached
 * block that no request holds stays cached and findable, and counts as free: taking blocks uses
 * free blocks first, then evicts the cached block released least recently.
 *
 * Only cached blocks have an identity (a slot number); free and private blocks are counted, as
 * the requests holding private ones count their own. Not thread-safe.
 */
class kv_block_pool {
public:
    /// No slot: a block that is not cached.
    static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

    /// A pool of `blocks` free blocks.
    explicit kv_block_pool(std::uint64_t blocks) noexcept : total_(blocks), plain_free_(blocks) {}

    /// Blocks in all.
    [[nodiscard]] std::uint64_t total() const noexcept {
        return total_;
    }

    /// Blocks that can be taken now: free ones and cached ones no request holds.
    [[nodiscard]] std::uint64_t available() const noexcept {
        return plain_free_ + evictable_;
    }

    /// Cached blocks no request holds (evictable).
    [[nodiscard]] std::uint64_t evictable() const noexcept {
        return evictable_;
    }

    /// Cached blocks, held or not.
    [[nodiscard]] std::uint64_t cached() const noexcept {
        return by_key_.size();
    }

    /// Cached blocks evicted so far to make room.
    [[nodiscard]] std::uint64_t evictions() const noexcept {
        return evictions_;
    }

    /// Takes `n` blocks as private blocks of the caller: free blocks first, then the cached
    /// blocks released least recently, which are evicted (forgotten). Precondition:
    /// n <= available(). O(n) when it evicts, else O(1).
    void take(std::uint64_t n) {
        const std::uint64_t plain = n < plain_free_ ? n : plain_free_;
        plain_free_ -= plain;
        for (std::uint64_t i = plain; i < n; ++i)
            evict(head_);
    }

    /// Returns `n` private blocks of the caller to the free blocks.
    void give(std::uint64_t n) noexcept {
        plain_free_ += n;
    }

    /// The slot of the cached block with key `key`, or `none`.
    [[nodiscard]] std::uint32_t find(std::uint64_t key) const noexcept {
        return by_key_.find(key);
    }

    /// True when cached block `slot` is held by no request (so taking it makes one block
    /// fewer available).
    [[nodiscard]] bool is_evictable(std::uint32_t slot) const noexcept {
        return slots_[slot].refs == 0;
    }

    /// One more request holds cached block `slot` (it stops being evictable).
    void hold(std::uint32_t slot) noexcept {
        slot_state& s = slots_[slot];
        if (s.refs++ == 0) {
            unlink(slot);
            --evictable_;
        }
    }

    /// One request fewer holds cached block `slot`; with none left it stays cached, becoming the
    /// most recently released evictable block.
    void release(std::uint32_t slot) noexcept {
        slot_state& s = slots_[slot];
        if (--s.refs == 0) {
            append(slot);
            ++evictable_;
        }
    }

    /**
     * Registers one private block of the caller as the cached block of `key`, held by the
     * caller, and returns its slot; returns `none`, changing nothing, when a block with that key
     * is already cached (the caller's block stays private, as a duplicate). O(1) on average.
     */
    std::uint32_t cache(std::uint64_t key) {
        const std::uint32_t slot =
            spare_.empty() ? static_cast<std::uint32_t>(slots_.size()) : spare_.back();
        if (!by_key_.insert(key, slot))
            return none;
        if (spare_.empty())
            slots_.emplace_back();
        else
            spare_.pop_back();
        slots_[slot] = slot_state{key, 1, none, none};
        return slot;
    }

private:
    struct slot_state {
        std::uint64_t key = 0;
        std::uint32_t refs = 0;
        std::uint32_t prev = none; // the evictable list, least recently released first
        std::uint32_t next = none;
    };

    void unlink(std::uint32_t slot) noexcept {
        slot_state& s = slots_[slot];
        (s.prev == none ? head_ : slots_[s.prev].next) = s.next;
        (s.next == none ? tail_ : slots_[s.next].prev) = s.prev;
        s.prev = s.next = none;
    }

    void append(std::uint32_t slot) noexcept {
        slot_state& s = slots_[slot];
        s.prev = tail_;
        s.next = none;
        (tail_ == none ? head_ : slots_[tail_].next) = slot;
        tail_ = slot;
    }

    // Forgets evictable cached block `slot`; its block becomes a private block of the caller.
    void evict(std::uint32_t slot) {
        unlink(slot);
        --evictable_;
        by_key_.erase(slots_[slot].key);
        spare_.push_back(slot);
        ++evictions_;
    }

    std::uint64_t total_;
    std::uint64_t plain_free_;
    std::uint64_t evictable_ = 0;
    std::uint64_t evictions_ = 0;
    std::vector<slot_state> slots_;
    std::vector<std::uint32_t> spare_; // slots of no cached block
    block_key_table by_key_;
    std::uint32_t head_ = none; // least recently released evictable block
    std::uint32_t tail_ = none;
};

} // namespace llmcap::emulator::detail
