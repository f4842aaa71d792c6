#pragma once

// Seeded data sets and sample orders shared by the stats tests.

#include <algorithm> // sort, reverse
#include <cmath>     // pow, abs
#include <cstddef>   // size_t
#include <cstdint>   // uint64_t
#include <random>    // mt19937_64, distributions
#include <string>    // string
#include <vector>    // vector

namespace llmcap::stats::test {

/// A named data set.
struct data_set {
    std::string name;
    std::vector<double> values;
};

/// Lognormal durations (median e^-2 s ≈ 0.135 s, sigma 1).
inline std::vector<double> lognormal(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> d(-2.0, 1.0);
    std::vector<double> v(n);
    for (double& x : v) {
        x = d(rng);
    }
    return v;
}

/// Pareto with shape 1.1 (heavy tail) and scale 1 ms: x = 0.001 / U^(1/1.1).
inline std::vector<double> pareto(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<double> v(n);
    for (double& x : v) {
        x = 0.001 / std::pow(1.0 - u(rng), 1.0 / 1.1);
    }
    return v;
}

/// Two modes: 70% around 50 ms, 30% around 2 s.
inline std::vector<double> bimodal(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> fast(0.05, 0.005);
    std::normal_distribution<double> slow(2.0, 0.2);
    std::bernoulli_distribution pick_fast(0.7);
    std::vector<double> v(n);
    for (double& x : v) {
        x = std::abs(pick_fast(rng) ? fast(rng) : slow(rng));
    }
    return v;
}

/// Every sample the same.
inline std::vector<double> constant(std::size_t n, double value) {
    return std::vector<double>(n, value);
}

/// The four data sets of the property suite.
inline std::vector<data_set> property_data(std::size_t n) {
    return {{"lognormal", lognormal(n, 11)},
            {"pareto(1.1)", pareto(n, 12)},
            {"bimodal", bimodal(n, 13)},
            {"constant", constant(n, 0.25)}};
}

/// Adversarial orders: as generated, sorted, reverse sorted, alternating smallest/largest.
inline std::vector<data_set> orders_of(const data_set& d) {
    std::vector<double> sorted = d.values;
    std::sort(sorted.begin(), sorted.end());
    std::vector<double> reversed(sorted.rbegin(), sorted.rend());
    std::vector<double> alternating;
    alternating.reserve(sorted.size());
    for (std::size_t lo = 0, hi = sorted.size(); lo < hi;) {
        alternating.push_back(sorted[lo++]);
        if (lo < hi) {
            alternating.push_back(sorted[--hi]);
        }
    }
    return {{d.name + "/random", d.values},
            {d.name + "/sorted", sorted},
            {d.name + "/reverse", reversed},
            {d.name + "/alternating", alternating}};
}

} // namespace llmcap::stats::test
