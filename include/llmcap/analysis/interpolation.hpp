#pragma once

#include <algorithm> // upper_bound, is_sorted, adjacent_find
#include <cmath>     // sqrt, isfinite
#include <cstddef>   // size_t
#include <cstdint>   // uint8_t
#include <optional>  // optional
#include <stdexcept> // invalid_argument
#include <string_view>
#include <utility> // move
#include <vector>  // vector

namespace llmcap::analysis {

/// How values between measured points are interpolated.
enum class interpolation_method : std::uint8_t {
    /// Straight lines between neighbouring points (the default).
    linear,
    /**
     * Monotone piecewise cubic Hermite (Fritsch & Carlson, "Monotone piecewise cubic
     * interpolation", SIAM J. Numer. Anal. 17(2), 1980): smooth, and monotone on every interval,
     * so it never overshoots its data.
     */
    monotone_cubic,
};

/// The stable name of an interpolation method ("linear" or "monotone_cubic").
[[nodiscard]] constexpr std::string_view interpolation_name(interpolation_method m) noexcept {
    return m == interpolation_method::linear ? "linear" : "monotone_cubic";
}

/**
 * An interpolant through points (x_i, y_i) with strictly increasing x. Within each interval
 * [x_i, x_{i+1}] it lies between y_i and y_{i+1} for both methods: it never overshoots.
 * Evaluation outside [x_0, x_{n-1}] is refused (no extrapolation).
 */
class interpolant {
public:
    /// Builds the interpolant. Throws std::invalid_argument when the lengths differ, there is no
    /// point, a value is not finite or x is not strictly increasing. O(n).
    interpolant(std::vector<double> xs, std::vector<double> ys,
                interpolation_method method = interpolation_method::linear)
        : xs_(std::move(xs)), ys_(std::move(ys)), method_(method) {
        if (xs_.size() != ys_.size())
            throw std::invalid_argument("interpolant: x and y differ in length");
        if (xs_.empty())
            throw std::invalid_argument("interpolant: no points");
        for (std::size_t i = 0; i < xs_.size(); ++i) {
            if (!std::isfinite(xs_[i]) || !std::isfinite(ys_[i]))
                throw std::invalid_argument("interpolant: values must be finite");
            if (i > 0 && !(xs_[i] > xs_[i - 1]))
                throw std::invalid_argument("interpolant: x must be strictly increasing");
        }
        if (method_ == interpolation_method::monotone_cubic)
            compute_slopes();
    }

    /// The points' x values.
    [[nodiscard]] const std::vector<double>& xs() const noexcept {
        return xs_;
    }
    /// The points' y values.
    [[nodiscard]] const std::vector<double>& ys() const noexcept {
        return ys_;
    }
    /// The method.
    [[nodiscard]] interpolation_method method() const noexcept {
        return method_;
    }

    /// The interpolated value at x; empty outside [x_0, x_{n-1}]. O(log n).
    [[nodiscard]] std::optional<double> operator()(double x) const noexcept {
        if (!(x >= xs_.front() && x <= xs_.back()))
            return std::nullopt;
        if (xs_.size() == 1)
            return ys_.front();
        const auto it = std::upper_bound(xs_.begin(), xs_.end(), x);
        std::size_t k = static_cast<std::size_t>(it - xs_.begin());
        k = k == 0 ? 0 : k - 1;
        if (k >= xs_.size() - 1)
            k = xs_.size() - 2;
        return on_interval(k, x);
    }

    /**
     * Solves interpolant(x) = level for x in [x_k, x_{k+1}], where `level` lies between y_k and
     * y_{k+1} (inclusive); empty otherwise. The interpolant is monotone on the interval, so the
     * answer is exact for `linear` and found by bisection to within 1e-12 of the interval's
     * width for `monotone_cubic`.
     */
    [[nodiscard]] std::optional<double> solve_on_interval(std::size_t k,
                                                          double level) const noexcept {
        if (k + 1 >= xs_.size())
            return std::nullopt;
        const double y0 = ys_[k];
        const double y1 = ys_[k + 1];
        const bool rising = y1 >= y0;
        if (rising ? (level < y0 || level > y1) : (level > y0 || level < y1))
            return std::nullopt;
        if (level == y0)
            return xs_[k];
        if (level == y1)
            return xs_[k + 1];
        if (method_ == interpolation_method::linear)
            return xs_[k] + (level - y0) / (y1 - y0) * (xs_[k + 1] - xs_[k]);
        double lo = xs_[k];
        double hi = xs_[k + 1];
        const double tolerance = 1e-12 * (hi - lo);
        while (hi - lo > tolerance) {
            const double mid = 0.5 * (lo + hi);
            const double v = on_interval(k, mid);
            if (rising ? v < level : v > level)
                lo = mid;
            else
                hi = mid;
        }
        return 0.5 * (lo + hi);
    }

private:
    [[nodiscard]] double on_interval(std::size_t k, double x) const noexcept {
        const double h = xs_[k + 1] - xs_[k];
        const double t = (x - xs_[k]) / h;
        if (method_ == interpolation_method::linear)
            return ys_[k] + t * (ys_[k + 1] - ys_[k]);
        const double t2 = t * t;
        const double t3 = t2 * t;
        const double h00 = 2 * t3 - 3 * t2 + 1;
        const double h10 = t3 - 2 * t2 + t;
        const double h01 = -2 * t3 + 3 * t2;
        const double h11 = t3 - t2;
        return h00 * ys_[k] + h10 * h * slopes_[k] + h01 * ys_[k + 1] + h11 * h * slopes_[k + 1];
    }

    // Fritsch–Carlson: secant-averaged slopes, zero at local extrema and on flat intervals, then
    // scaled into the circle α² + β² ≤ 9, which is sufficient for monotonicity on each interval.
    void compute_slopes() {
        const std::size_t n = xs_.size();
        slopes_.assign(n, 0.0);
        if (n < 2)
            return;
        std::vector<double> secant(n - 1);
        for (std::size_t k = 0; k + 1 < n; ++k)
            secant[k] = (ys_[k + 1] - ys_[k]) / (xs_[k + 1] - xs_[k]);
        slopes_[0] = secant[0];
        slopes_[n - 1] = secant[n - 2];
        for (std::size_t k = 1; k + 1 < n; ++k)
            slopes_[k] = secant[k - 1] * secant[k] > 0.0 ? 0.5 * (secant[k - 1] + secant[k]) : 0.0;
        for (std::size_t k = 0; k + 1 < n; ++k) {
            if (secant[k] == 0.0) {
                slopes_[k] = 0.0;
                slopes_[k + 1] = 0.0;
                continue;
            }
            const double alpha = slopes_[k] / secant[k];
            const double beta = slopes_[k + 1] / secant[k];
            const double r2 = alpha * alpha + beta * beta;
            if (r2 > 9.0) {
                const double tau = 3.0 / std::sqrt(r2);
                slopes_[k] = tau * alpha * secant[k];
                slopes_[k + 1] = tau * beta * secant[k];
            }
        }
    }

    std::vector<double> xs_;
    std::vector<double> ys_;
    std::vector<double> slopes_;
    interpolation_method method_;
};

} // namespace llmcap::analysis
