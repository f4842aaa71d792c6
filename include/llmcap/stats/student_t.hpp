#pragma once

#include <cmath>     // erfc, exp, log, lgamma, sqrt, tan, abs, isinf
#include <limits>    // numeric_limits
#include <numbers>   // pi
#include <stdexcept> // invalid_argument

namespace llmcap::stats {

namespace detail {

/// Continued fraction of the regularized incomplete beta function (modified Lentz).
[[nodiscard]] inline double incomplete_beta_fraction(double a, double b, double x) noexcept {
    constexpr double tiny = 1e-300;
    constexpr double eps = 1e-16;
    const double qab = a + b;
    const double qap = a + 1.0;
    const double qam = a - 1.0;
    double c = 1.0;
    double d = 1.0 - qab * x / qap;
    if (std::abs(d) < tiny) {
        d = tiny;
    }
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 1000; ++m) {
        const double md = m;
        const double m2 = 2.0 * md;
        double aa = md * (b - md) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = std::abs(d) < tiny ? tiny : d;
        c = 1.0 + aa / c;
        c = std::abs(c) < tiny ? tiny : c;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + md) * (qab + md) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = std::abs(d) < tiny ? tiny : d;
        c = 1.0 + aa / c;
        c = std::abs(c) < tiny ? tiny : c;
        d = 1.0 / d;
        const double del = d * c;
        h *= del;
        if (std::abs(del - 1.0) < eps) {
            break;
        }
    }
    return h;
}

/// The regularized incomplete beta function I_x(a, b), a, b > 0, 0 <= x <= 1.
[[nodiscard]] inline double regularized_incomplete_beta(double a, double b, double x) noexcept {
    if (x <= 0.0) {
        return 0.0;
    }
    if (x >= 1.0) {
        return 1.0;
    }
    const double log_front =
        std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
    const double front = std::exp(log_front);
    if (x < (a + 1.0) / (a + b + 2.0)) {
        return front * incomplete_beta_fraction(a, b, x) / a;
    }
    return 1.0 - front * incomplete_beta_fraction(b, a, 1.0 - x) / b;
}

/// P(T > t) for t >= 0: 0.5 I_{df/(df+t²)}(df/2, 1/2), computed without cancellation.
[[nodiscard]] inline double student_t_upper_tail(double t, double df) noexcept {
    const double t2 = t * t;
    // x = df / (df + t²) loses precision for small t; use 1 - x = t² / (df + t²) there.
    if (t2 < df) {
        return 0.5 - 0.5 * regularized_incomplete_beta(0.5, 0.5 * df, t2 / (df + t2));
    }
    return 0.5 * regularized_incomplete_beta(0.5 * df, 0.5, df / (df + t2));
}

/// Density of Student's t with df degrees of freedom.
[[nodiscard]] inline double student_t_density(double t, double df) noexcept {
    const double log_c = std::lgamma(0.5 * (df + 1.0)) - std::lgamma(0.5 * df) -
                         0.5 * std::log(df * std::numbers::pi);
    return std::exp(log_c - 0.5 * (df + 1.0) * std::log1p(t * t / df));
}

} // namespace detail

/**
 * Quantile function of the standard normal distribution: z with Φ(z) = p, 0 < p < 1 (±infinity
 * at 0 and 1). Acklam's rational approximation refined by two Halley steps on erfc, accurate to
 * about 1e-15 relative. Throws std::invalid_argument for p outside [0, 1] or NaN.
 */
[[nodiscard]] inline double normal_quantile(double p) {
    if (!(p >= 0.0 && p <= 1.0)) {
        throw std::invalid_argument("normal_quantile: p must lie in [0, 1]");
    }
    if (p == 0.0) {
        return -std::numeric_limits<double>::infinity();
    }
    if (p == 1.0) {
        return std::numeric_limits<double>::infinity();
    }
    constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                            1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                            6.680131188771972e+01, -1.328068155288572e+01};
    constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                            -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                            3.754408661907416e+00};
    constexpr double p_low = 0.02425;
    double x = 0.0;
    if (p < p_low || p > 1.0 - p_low) {
        const double q = std::sqrt(-2.0 * std::log(p < p_low ? p : 1.0 - p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
        x = p < p_low ? x : -x;
    } else {
        const double q = p - 0.5;
        const double r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
    }
    for (int i = 0; i < 2; ++i) { // Halley's method on Φ(x) - p
        const double e = 0.5 * std::erfc(-x / std::numbers::sqrt2) - p;
        const double u = e * std::sqrt(2.0 * std::numbers::pi) * std::exp(0.5 * x * x);
        x -= u / (1.0 + 0.5 * x * u);
    }
    return x;
}

/**
 * Cumulative distribution function of Student's t with df > 0 degrees of freedom (real df
 * allowed; df = +infinity is the normal distribution), through the regularized incomplete beta
 * function. Throws std::invalid_argument for df <= 0 or NaN.
 */
[[nodiscard]] inline double student_t_cdf(double t, double df) {
    if (!(df > 0.0)) {
        throw std::invalid_argument("student_t_cdf: df must be > 0");
    }
    if (std::isnan(t)) {
        return t;
    }
    if (std::isinf(df)) {
        return 0.5 * std::erfc(-t / std::numbers::sqrt2);
    }
    const double upper = detail::student_t_upper_tail(std::abs(t), df);
    return t >= 0.0 ? 1.0 - upper : upper;
}

/**
 * Quantile function of Student's t: the t with P(T <= t) = p for df > 0 degrees of freedom
 * (real df allowed, df = +infinity gives normal_quantile). No table: df = 1 and df = 2 use
 * their closed forms; otherwise a Cornish-Fisher expansion around the normal quantile
 * (Abramowitz & Stegun 26.7.5) starts a safeguarded Newton iteration on the exact tail
 * probability, converged to ~1e-14 relative. For df > 2000 the expansion alone is used: its
 * truncation error there is below 1e-12 for p up to 0.9999, smaller than the error of the
 * incomplete beta function at such df. There is no table, hence no gap between degrees of
 * freedom.
 * e.g. t(0.975, 1) = 12.7062, t(0.975, 10) = 2.22814, t(0.975, 30) = 2.04227.
 * p = 0 and p = 1 give ∓infinity; throws std::invalid_argument for p outside [0, 1], df <= 0
 * or NaN.
 */
[[nodiscard]] inline double student_t_quantile(double p, double df) {
    if (!(p >= 0.0 && p <= 1.0)) {
        throw std::invalid_argument("student_t_quantile: p must lie in [0, 1]");
    }
    if (!(df > 0.0)) {
        throw std::invalid_argument("student_t_quantile: df must be > 0");
    }
    if (p == 0.0) {
        return -std::numeric_limits<double>::infinity();
    }
    if (p == 1.0) {
        return std::numeric_limits<double>::infinity();
    }
    if (p == 0.5) {
        return 0.0;
    }
    if (std::isinf(df)) {
        return normal_quantile(p);
    }
    // Solve for the upper tail tau = P(T > t) with t > 0, then restore the sign.
    const double tau = p > 0.5 ? 1.0 - p : p;
    const double sign = p > 0.5 ? 1.0 : -1.0;
    if (df == 1.0) {
        return sign / std::tan(std::numbers::pi * tau);
    }
    if (df == 2.0) {
        return sign * (1.0 - 2.0 * tau) / std::sqrt(2.0 * tau * (1.0 - tau));
    }
    const double z = normal_quantile(1.0 - tau);
    const double z2 = z * z;
    const double g1 = (z2 + 1.0) * z / 4.0;
    const double g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    const double g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    const double g4 =
        ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    double t = z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df;
    if (df > 2000.0) {
        return sign * t;
    }
    // Bracket [lo, hi] around the root of tail(t) = tau (tail decreases in t).
    double lo = 0.0;
    double hi = t > 0.0 && std::isfinite(t) ? t : 1.0;
    while (detail::student_t_upper_tail(hi, df) > tau) {
        lo = hi;
        hi *= 2.0;
        if (!std::isfinite(hi)) {
            return sign * std::numeric_limits<double>::infinity();
        }
    }
    if (!(t > lo && t < hi)) {
        t = 0.5 * (lo + hi);
    }
    for (int i = 0; i < 200; ++i) {
        const double f = detail::student_t_upper_tail(t, df) - tau;
        if (f > 0.0) {
            lo = t;
        } else {
            hi = t;
        }
        double next = t + f / detail::student_t_density(t, df);
        if (!(next > lo && next < hi)) {
            next = 0.5 * (lo + hi);
        }
        const bool done = std::abs(next - t) <= 1e-15 * std::abs(next) || hi - lo <= 1e-15 * hi;
        t = next;
        if (done) {
            break;
        }
    }
    return sign * t;
}

} // namespace llmcap::stats
