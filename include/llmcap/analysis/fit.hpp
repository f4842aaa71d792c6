#pragma once

#include <Eigen/Dense>

#include <cmath>    // exp, log, pow, sqrt, isfinite
#include <cstddef>  // size_t
#include <cstdint>  // uint8_t
#include <optional> // optional
#include <span>     // span
#include <string_view>
#include <vector> // vector

namespace llmcap::analysis {

/// A two-parameter model of a metric y as a function of concurrency c.
enum class fit_model : std::uint8_t {
    /// y = a + b·c: latencies that grow linearly with load (TTFT, E2E under queueing).
    affine,
    /// y = a / (1 + b·c): per-user speeds shared among c users.
    saturating,
    /// y = a·c^b: anything scaling as a power of load.
    power,
};

/// The stable name of a fit model ("affine", "saturating", "power").
[[nodiscard]] constexpr std::string_view fit_model_name(fit_model m) noexcept {
    switch (m) {
    case fit_model::affine:
        return "affine";
    case fit_model::saturating:
        return "saturating";
    case fit_model::power:
        return "power";
    }
    return "unknown";
}

/// A fitted model with its quality. Predictions outside the fitted range are estimates.
struct fit_result {
    /// The model.
    fit_model model = fit_model::affine;
    /// First parameter (intercept, scale).
    double a = 0.0;
    /// Second parameter (slope, saturation rate, exponent).
    double b = 0.0;
    /// Coefficient of determination on the original scale: 1 − SSE/SST (1 for a perfect fit).
    double r_squared = 0.0;
    /// Root mean square residual, in the metric's unit.
    double rmse = 0.0;
    /// Points fitted.
    std::size_t points = 0;

    /// The model's value at concurrency c.
    [[nodiscard]] double predict(double c) const noexcept {
        switch (model) {
        case fit_model::affine:
            return a + b * c;
        case fit_model::saturating:
            return a / (1.0 + b * c);
        case fit_model::power:
            return a * std::pow(c, b);
        }
        return 0.0;
    }

    /// The concurrency at which the model equals y; empty when it never does (or only at
    /// c ≤ 0).
    [[nodiscard]] std::optional<double> solve(double y) const noexcept {
        double c = 0.0;
        switch (model) {
        case fit_model::affine:
            if (b == 0.0)
                return std::nullopt;
            c = (y - a) / b;
            break;
        case fit_model::saturating:
            if (b == 0.0 || y == 0.0)
                return std::nullopt;
            c = (a / y - 1.0) / b;
            break;
        case fit_model::power:
            if (b == 0.0 || a == 0.0 || y / a <= 0.0)
                return std::nullopt;
            c = std::pow(y / a, 1.0 / b);
            break;
        }
        if (!std::isfinite(c) || c <= 0.0)
            return std::nullopt;
        return c;
    }
};

namespace detail {

// Least squares of y = p0 + p1·x by QR (Eigen); false when x has fewer than two distinct values.
inline bool affine_least_squares(std::span<const double> x, std::span<const double> y, double& p0,
                                 double& p1) {
    const auto n = static_cast<Eigen::Index>(x.size());
    Eigen::MatrixXd design(n, 2);
    Eigen::VectorXd rhs(n);
    for (Eigen::Index i = 0; i < n; ++i) {
        design(i, 0) = 1.0;
        design(i, 1) = x[static_cast<std::size_t>(i)];
        rhs(i) = y[static_cast<std::size_t>(i)];
    }
    const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(design);
    if (qr.rank() < 2)
        return false;
    const Eigen::Vector2d p = qr.solve(rhs);
    p0 = p(0);
    p1 = p(1);
    return std::isfinite(p0) && std::isfinite(p1);
}

inline double sum_squared_error(const fit_result& f, std::span<const double> x,
                                std::span<const double> y) {
    double sse = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double r = y[i] - f.predict(x[i]);
        sse += r * r;
    }
    return sse;
}

// Gauss–Newton refinement of a two-parameter model on original-scale residuals, with step
// halving so the error never grows. Starts from the linearised fit in `f`.
inline void gauss_newton(fit_result& f, std::span<const double> x, std::span<const double> y) {
    const auto n = static_cast<Eigen::Index>(x.size());
    double sse = sum_squared_error(f, x, y);
    for (int iteration = 0; iteration < 100; ++iteration) {
        Eigen::MatrixXd jacobian(n, 2);
        Eigen::VectorXd residual(n);
        for (Eigen::Index i = 0; i < n; ++i) {
            const double xi = x[static_cast<std::size_t>(i)];
            residual(i) = y[static_cast<std::size_t>(i)] - f.predict(xi);
            if (f.model == fit_model::saturating) {
                const double d = 1.0 + f.b * xi;
                jacobian(i, 0) = 1.0 / d;
                jacobian(i, 1) = -f.a * xi / (d * d);
            } else { // power
                const double p = std::pow(xi, f.b);
                jacobian(i, 0) = p;
                jacobian(i, 1) = f.a * p * std::log(xi);
            }
        }
        const Eigen::Vector2d step = jacobian.colPivHouseholderQr().solve(residual);
        if (!std::isfinite(step(0)) || !std::isfinite(step(1)))
            return;
        double scale = 1.0;
        bool improved = false;
        for (int halving = 0; halving < 30; ++halving, scale *= 0.5) {
            fit_result trial = f;
            trial.a += scale * step(0);
            trial.b += scale * step(1);
            bool valid = true;
            if (trial.model == fit_model::saturating)
                for (double xi : x)
                    valid = valid && 1.0 + trial.b * xi > 0.0;
            const double trial_sse = valid ? sum_squared_error(trial, x, y) : sse;
            if (valid && trial_sse < sse) {
                const double gain = sse - trial_sse;
                f = trial;
                sse = trial_sse;
                improved = gain > 1e-15 * (1.0 + sse);
                break;
            }
        }
        if (!improved)
            return;
    }
}

} // namespace detail

/**
 * Least-squares fit of `model` to points (x_i, y_i), x being concurrency. `affine` is linear
 * least squares; `saturating` starts from the affine fit of 1/y and `power` from the affine fit
 * of log y on log x, each then refined by Gauss–Newton on the original-scale residuals. Needs
 * two or more distinct x (and y > 0 for `saturating`, x, y > 0 for `power`); empty otherwise.
 * O(n) per iteration.
 */
[[nodiscard]] inline std::optional<fit_result> fit(fit_model model, std::span<const double> x,
                                                   std::span<const double> y) {
    if (x.size() != y.size() || x.size() < 2)
        return std::nullopt;
    fit_result f;
    f.model = model;
    f.points = x.size();
    switch (model) {
    case fit_model::affine:
        if (!detail::affine_least_squares(x, y, f.a, f.b))
            return std::nullopt;
        break;
    case fit_model::saturating: {
        std::vector<double> inverse(y.size());
        for (std::size_t i = 0; i < y.size(); ++i) {
            if (!(y[i] > 0.0))
                return std::nullopt;
            inverse[i] = 1.0 / y[i];
        }
        double p0 = 0.0;
        double p1 = 0.0;
        if (!detail::affine_least_squares(x, inverse, p0, p1) || p0 <= 0.0)
            return std::nullopt;
        f.a = 1.0 / p0; // 1/y = 1/a + (b/a)·c
        f.b = p1 / p0;
        for (double xi : x)
            if (1.0 + f.b * xi <= 0.0)
                return std::nullopt;
        detail::gauss_newton(f, x, y);
        break;
    }
    case fit_model::power: {
        std::vector<double> log_x(x.size());
        std::vector<double> log_y(y.size());
        for (std::size_t i = 0; i < x.size(); ++i) {
            if (!(x[i] > 0.0) || !(y[i] > 0.0))
                return std::nullopt;
            log_x[i] = std::log(x[i]);
            log_y[i] = std::log(y[i]);
        }
        double p0 = 0.0;
        double p1 = 0.0;
        if (!detail::affine_least_squares(log_x, log_y, p0, p1))
            return std::nullopt;
        f.a = std::exp(p0);
        f.b = p1;
        detail::gauss_newton(f, x, y);
        break;
    }
    }
    double mean_y = 0.0;
    for (double v : y)
        mean_y += v;
    mean_y /= static_cast<double>(y.size());
    double sst = 0.0;
    for (double v : y)
        sst += (v - mean_y) * (v - mean_y);
    const double sse = detail::sum_squared_error(f, x, y);
    f.r_squared = sst > 0.0 ? 1.0 - sse / sst : (sse == 0.0 ? 1.0 : 0.0);
    f.rmse = std::sqrt(sse / static_cast<double>(y.size()));
    return f;
}

} // namespace llmcap::analysis
