#pragma once

#include <cstddef>          // size_t, ptrdiff_t
#include <cstdint>          // uint8_t, uint32_t, int64_t
#include <initializer_list> // initializer_list
#include <iterator>         // forward_iterator_tag
#include <optional>         // optional
#include <span>             // span
#include <string>           // string
#include <string_view>      // string_view
#include <vector>           // vector

namespace llmcap::prometheus {

/// The type a `# TYPE` line gives a metric family; `untyped` when there is none.
enum class metric_type : std::uint8_t {
    /// No TYPE line, or `# TYPE name untyped`.
    untyped,
    /// A monotonically increasing total.
    counter,
    /// A value that goes up and down.
    gauge,
    /// Cumulative `_bucket{le=...}` counts plus `_sum` and `_count`.
    histogram,
    /// `{quantile=...}` samples plus `_sum` and `_count`.
    summary,
};

/// The keyword of a metric type as written on a TYPE line.
[[nodiscard]] constexpr std::string_view metric_type_name(metric_type t) noexcept {
    switch (t) {
    case metric_type::untyped:
        return "untyped";
    case metric_type::counter:
        return "counter";
    case metric_type::gauge:
        return "gauge";
    case metric_type::histogram:
        return "histogram";
    case metric_type::summary:
        return "summary";
    }
    return "untyped";
}

/// A label name and value; also a matcher (the sample's label `name` must equal `value`).
struct label {
    /// The label name.
    std::string_view name;
    /// The label value, escapes resolved.
    std::string_view value;

    friend bool operator==(const label&, const label&) = default;
};

class scrape;
class parse_error;
[[nodiscard]] inline parse_error parse(std::string_view text, scrape& out);

namespace detail {

/// Where a string lives inside a scrape: in the copy of the input text, or (top bit of
/// `offset` set) in the buffer of unescaped values.
struct text_span {
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
};

inline constexpr std::uint32_t unescaped_flag = 0x8000'0000u;

struct label_record {
    text_span name;
    text_span value;
};

struct sample_record {
    text_span name;
    std::uint32_t first_label = 0;
    std::uint32_t label_count = 0;
    std::uint32_t family = 0;
    bool has_timestamp = false;
    double value = 0;
    std::int64_t timestamp_ms = 0;
};

struct family_record {
    text_span name;
    text_span help;
    metric_type type = metric_type::untyped;
    bool has_type = false;
    bool has_help = false;
    std::uint32_t first_sample = 0;
    std::uint32_t sample_count = 0;
};

struct scrape_storage {
    std::string text;
    std::string unescaped;
    std::vector<label_record> labels;
    std::vector<sample_record> samples;
    std::vector<family_record> families;

    [[nodiscard]] std::string_view str(text_span s) const noexcept {
        if (s.offset & unescaped_flag)
            return std::string_view(unescaped).substr(s.offset & ~unescaped_flag, s.size);
        return std::string_view(text).substr(s.offset, s.size);
    }
};

} // namespace detail

/// The labels of one sample, in the order written. A view into its scrape: valid while the
/// scrape lives and is not parsed into again.
class labels_view {
public:
    /// Iterates the labels as `label` values.
    class iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = label;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = label;

        iterator() = default;
        /// The label at this position.
        [[nodiscard]] label operator*() const noexcept {
            return {store_->str(rec_->name), store_->str(rec_->value)};
        }
        /// Moves to the next label.
        iterator& operator++() noexcept {
            ++rec_;
            return *this;
        }
        /// Moves to the next label, returning the old position.
        iterator operator++(int) noexcept {
            iterator old = *this;
            ++rec_;
            return old;
        }
        friend bool operator==(const iterator& a, const iterator& b) noexcept {
            return a.rec_ == b.rec_;
        }

    private:
        friend class labels_view;
        iterator(const detail::scrape_storage* s, const detail::label_record* r) noexcept
            : store_(s), rec_(r) {}
        const detail::scrape_storage* store_ = nullptr;
        const detail::label_record* rec_ = nullptr;
    };

    /// The first label.
    [[nodiscard]] iterator begin() const noexcept {
        return {store_, first_};
    }
    /// Past the last label.
    [[nodiscard]] iterator end() const noexcept {
        return {store_, first_ + count_};
    }
    /// Number of labels.
    [[nodiscard]] std::size_t size() const noexcept {
        return count_;
    }
    /// True when the sample has no labels.
    [[nodiscard]] bool empty() const noexcept {
        return count_ == 0;
    }
    /// The value of label `name`; empty when the sample has no such label. O(labels).
    [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const noexcept {
        for (std::size_t i = 0; i < count_; ++i)
            if (store_->str(first_[i].name) == name)
                return store_->str(first_[i].value);
        return std::nullopt;
    }
    /// True when every matcher's label is present with exactly that value (an empty matcher
    /// list matches everything). O(labels × matchers).
    [[nodiscard]] bool matches(std::span<const label> matchers) const noexcept {
        for (const label& m : matchers) {
            const std::optional<std::string_view> v = get(m.name);
            if (!v || *v != m.value)
                return false;
        }
        return true;
    }

private:
    friend class sample_view;
    labels_view(const detail::scrape_storage* s, const detail::label_record* first,
                std::size_t count) noexcept
        : store_(s), first_(first), count_(count) {}
    const detail::scrape_storage* store_;
    const detail::label_record* first_;
    std::size_t count_;
};

/// One sample line: metric name, labels, value and optional timestamp. A view into its
/// scrape: valid while the scrape lives and is not parsed into again.
class sample_view {
public:
    /// The sample's metric name as written (with `_bucket`, `_sum`, `_count` suffixes).
    [[nodiscard]] std::string_view name() const noexcept {
        return store_->str(rec_->name);
    }
    /// The sample's labels.
    [[nodiscard]] labels_view labels() const noexcept {
        return {store_, store_->labels.data() + rec_->first_label, rec_->label_count};
    }
    /// The value; may be ±infinity or NaN.
    [[nodiscard]] double value() const noexcept {
        return rec_->value;
    }
    /// The timestamp written after the value, milliseconds since the Unix epoch; empty when
    /// none was written.
    [[nodiscard]] std::optional<std::int64_t> timestamp_ms() const noexcept {
        if (!rec_->has_timestamp)
            return std::nullopt;
        return rec_->timestamp_ms;
    }
    /// The type of the family the sample belongs to.
    [[nodiscard]] metric_type type() const noexcept {
        return store_->families[rec_->family].type;
    }

private:
    friend class scrape;
    friend class family_view;
    sample_view(const detail::scrape_storage* s, const detail::sample_record* r) noexcept
        : store_(s), rec_(r) {}
    const detail::scrape_storage* store_;
    const detail::sample_record* rec_;
};

/// A metric family: the samples under one HELP/TYPE header (a histogram's `_bucket`, `_sum`
/// and `_count` samples, a summary's quantiles, `_sum` and `_count`). Samples with no header
/// form an untyped family of their own name.
class family_view {
public:
    /// The family name as on its TYPE/HELP line (without `_bucket`, `_sum`, `_count`).
    [[nodiscard]] std::string_view name() const noexcept {
        return store_->str(rec_->name);
    }
    /// The HELP text with escapes resolved; empty when there was no HELP line.
    [[nodiscard]] std::string_view help() const noexcept {
        return store_->str(rec_->help);
    }
    /// The declared type; `untyped` when there was no TYPE line.
    [[nodiscard]] metric_type type() const noexcept {
        return rec_->type;
    }
    /// Number of samples in the family.
    [[nodiscard]] std::size_t size() const noexcept {
        return rec_->sample_count;
    }
    /// The i-th sample of the family; precondition i < size().
    [[nodiscard]] sample_view operator[](std::size_t i) const noexcept {
        return {store_, store_->samples.data() + rec_->first_sample + i};
    }

private:
    friend class scrape;
    family_view(const detail::scrape_storage* s, const detail::family_record* r) noexcept
        : store_(s), rec_(r) {}
    const detail::scrape_storage* store_;
    const detail::family_record* rec_;
};

/**
 * The samples of one `/metrics` page, owned: the parser copies the text in, so a scrape stays
 * valid after the input buffer is gone and copies of it are independent. Parsing into the same
 * scrape again reuses its storage (no allocation once it has grown to the page's size).
 *
 * Lookups scan the samples: O(samples) each, a few microseconds for a few hundred samples.
 */
class scrape {
public:
    /// Iterates the samples in input order.
    class iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = sample_view;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = sample_view;

        iterator() = default;
        /// The sample at this position.
        [[nodiscard]] sample_view operator*() const noexcept {
            return {store_, rec_};
        }
        /// Moves to the next sample.
        iterator& operator++() noexcept {
            ++rec_;
            return *this;
        }
        /// Moves to the next sample, returning the old position.
        iterator operator++(int) noexcept {
            iterator old = *this;
            ++rec_;
            return old;
        }
        friend bool operator==(const iterator& a, const iterator& b) noexcept {
            return a.rec_ == b.rec_;
        }

    private:
        friend class scrape;
        iterator(const detail::scrape_storage* s, const detail::sample_record* r) noexcept
            : store_(s), rec_(r) {}
        const detail::scrape_storage* store_ = nullptr;
        const detail::sample_record* rec_ = nullptr;
    };

    /// The first sample.
    [[nodiscard]] iterator begin() const noexcept {
        return {&s_, s_.samples.data()};
    }
    /// Past the last sample.
    [[nodiscard]] iterator end() const noexcept {
        return {&s_, s_.samples.data() + s_.samples.size()};
    }
    /// Number of samples.
    [[nodiscard]] std::size_t size() const noexcept {
        return s_.samples.size();
    }
    /// True when the scrape holds no samples.
    [[nodiscard]] bool empty() const noexcept {
        return s_.samples.empty();
    }
    /// The i-th sample in input order; precondition i < size().
    [[nodiscard]] sample_view operator[](std::size_t i) const noexcept {
        return {&s_, s_.samples.data() + i};
    }

    /// Number of metric families.
    [[nodiscard]] std::size_t family_count() const noexcept {
        return s_.families.size();
    }
    /// The i-th family in input order; precondition i < family_count().
    [[nodiscard]] family_view family(std::size_t i) const noexcept {
        return {&s_, s_.families.data() + i};
    }
    /// The family called `name` (its TYPE/HELP name); empty when there is none.
    [[nodiscard]] std::optional<family_view> find_family(std::string_view name) const noexcept {
        for (const detail::family_record& f : s_.families)
            if (s_.str(f.name) == name)
                return family_view{&s_, &f};
        return std::nullopt;
    }

    /// Calls `f(sample_view)` for every sample named `name` whose labels match `matchers`.
    template <class F>
    void for_each(std::string_view name, std::span<const label> matchers, F&& f) const {
        for (const detail::sample_record& r : s_.samples) {
            if (s_.str(r.name) != name)
                continue;
            const sample_view v{&s_, &r};
            if (v.labels().matches(matchers))
                f(v);
        }
    }

    /// The first sample named `name` whose labels match `matchers`; empty when there is none.
    [[nodiscard]] std::optional<sample_view>
    find(std::string_view name, std::span<const label> matchers = {}) const noexcept {
        for (const detail::sample_record& r : s_.samples) {
            if (s_.str(r.name) != name)
                continue;
            const sample_view v{&s_, &r};
            if (v.labels().matches(matchers))
                return v;
        }
        return std::nullopt;
    }
    /// As find(name, matchers), matchers given inline: `s.find("m", {{"gpu", "0"}})`.
    [[nodiscard]] std::optional<sample_view>
    find(std::string_view name, std::initializer_list<label> matchers) const noexcept {
        return find(name, std::span<const label>(matchers.begin(), matchers.size()));
    }

    /// The sum of the values of every sample named `name` whose labels match `matchers` (the
    /// total over series, as PromQL `sum(name{matchers})`); empty when no sample matches.
    [[nodiscard]] std::optional<double> sum(std::string_view name,
                                            std::span<const label> matchers = {}) const noexcept {
        std::optional<double> total;
        for_each(name, matchers,
                 [&](const sample_view& v) { total = total.value_or(0.0) + v.value(); });
        return total;
    }
    /// As sum(name, matchers), matchers given inline.
    [[nodiscard]] std::optional<double> sum(std::string_view name,
                                            std::initializer_list<label> matchers) const noexcept {
        return sum(name, std::span<const label>(matchers.begin(), matchers.size()));
    }

    /// The text the scrape was parsed from (its own copy).
    [[nodiscard]] std::string_view text() const noexcept {
        return s_.text;
    }

    /// Removes every sample and family, keeping the storage for the next parse.
    void clear() noexcept {
        s_.text.clear();
        s_.unescaped.clear();
        s_.labels.clear();
        s_.samples.clear();
        s_.families.clear();
    }

private:
    friend parse_error parse(std::string_view text, scrape& out);
    detail::scrape_storage s_;
};

} // namespace llmcap::prometheus
