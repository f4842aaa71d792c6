#pragma once

#include <array>   // array
#include <bit>     // bit_cast
#include <cmath>   // ldexp
#include <cstddef> // size_t
#include <cstdint> // uint64_t, uint32_t

namespace llmcap::stats::detail {

/**
 * Exact sum of finite non-negative doubles (a "superaccumulator"): the sum is held as an
 * integer multiple of 2^-1074 in 32-bit digits, each stored in 64 bits so that additions need no
 * carry propagation for 2^31 adds. Because integer addition is associative, the state, and
 * therefore value(), does not depend on the order in which samples were added or sums merged.
 * 560 bytes; add() is O(1) and never allocates.
 */
class exact_sum {
public:
    /// Number of 32-bit digits: 2^-1074 up to 2^1024 * 2^64 fits.
    static constexpr std::size_t digit_count = 70;

    /// Adds x; precondition: x is finite and x >= 0.
    void add(double x) noexcept {
        const std::uint64_t bits = std::bit_cast<std::uint64_t>(x);
        const std::uint64_t biased = (bits >> 52) & 0x7ff; // the sign bit is 0 by precondition
        std::uint64_t mantissa = bits & ((std::uint64_t{1} << 52) - 1);
        std::uint64_t position = 0; // bit position of the mantissa's lsb above 2^-1074
        if (biased != 0) {
            mantissa |= std::uint64_t{1} << 52;
            position = biased - 1;
        }
        const std::size_t digit = static_cast<std::size_t>(position >> 5);
        const unsigned shift = static_cast<unsigned>(position & 31);
        // mantissa << shift has at most 84 bits: spread it over three 32-bit digits.
        const std::uint64_t low = (mantissa << shift) & 0xffff'ffffU;
        const std::uint64_t mid = (mantissa >> (32 - shift)) & 0xffff'ffffU;
        const std::uint64_t high = shift == 0 ? 0 : mantissa >> (64 - shift);
        digits_[digit] += low;
        digits_[digit + 1] += mid;
        digits_[digit + 2] += high;
        if (++pending_ == pending_limit) {
            normalize();
        }
    }

    /// Adds another exact sum.
    void merge(const exact_sum& other) noexcept {
        exact_sum o = other;
        o.normalize();
        normalize();
        for (std::size_t i = 0; i < digit_count; ++i) {
            digits_[i] += o.digits_[i];
        }
        normalize();
    }

    /// The sum rounded to double (deterministic for a given exact value; within a few ulps).
    [[nodiscard]] double value() const noexcept {
        exact_sum n = *this;
        n.normalize();
        double result = 0.0;
        for (std::size_t i = 0; i < digit_count; ++i) {
            if (n.digits_[i] != 0) {
                result +=
                    std::ldexp(static_cast<double>(n.digits_[i]), static_cast<int>(32 * i) - 1074);
            }
        }
        return result;
    }

    /// The canonical digits (each < 2^32), least significant first; for serialization.
    [[nodiscard]] std::array<std::uint64_t, digit_count> digits() const noexcept {
        exact_sum n = *this;
        n.normalize();
        return n.digits_;
    }

    /// Rebuilds a sum from canonical digits; false (and no change) if a digit is >= 2^32.
    [[nodiscard]] bool assign_digits(const std::array<std::uint64_t, digit_count>& d) noexcept {
        for (std::uint64_t v : d) {
            if (v > 0xffff'ffffU) {
                return false;
            }
        }
        digits_ = d;
        pending_ = 0;
        return true;
    }

    /// Equal exact values.
    [[nodiscard]] friend bool operator==(const exact_sum& a, const exact_sum& b) noexcept {
        return a.digits() == b.digits();
    }

private:
    static constexpr std::uint32_t pending_limit = std::uint32_t{1} << 31;

    void normalize() noexcept {
        std::uint64_t carry = 0;
        for (std::size_t i = 0; i < digit_count; ++i) {
            const std::uint64_t v = digits_[i] + carry;
            digits_[i] = v & 0xffff'ffffU;
            carry = v >> 32;
        }
        pending_ = 0;
    }

    std::array<std::uint64_t, digit_count> digits_{};
    std::uint32_t pending_ = 0;
};

} // namespace llmcap::stats::detail
