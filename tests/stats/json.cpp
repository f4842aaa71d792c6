#include <llmcap/stats/json.hpp>

#include "sketch_data.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <system_error>
#include <vector>

namespace stats = llmcap::stats;
namespace json = boost::json;

namespace {

/// Serialize to text and parse back, as another process would.
json::value through_text(const json::value& v) {
    return json::parse(json::serialize(v));
}

template <class T>
T filled(std::uint64_t seed) {
    T s;
    for (double x : stats::test::lognormal(5'000, seed)) {
        s.add(x);
    }
    return s;
}

template <class T>
void check_error(const json::value& v, stats::error code, const std::string& path) {
    const auto r = stats::from_json<T>(v);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == code);
    CHECK(r.error().path == path);
}

json::value hist_json() {
    stats::log_linear_histogram h;
    h.add(0.5);
    h.add(0.5);
    h.add(0.75);
    return stats::to_json(h);
}

} // namespace

TEST_CASE_TEMPLATE("json: every sketch round-trips bit for bit through text", Sketch,
                   stats::log_linear_histogram, stats::log_bucket_sketch, stats::exact_quantiles) {
    Sketch s = filled<Sketch>(1);
    s.add(0.0);                                      // underflow for the bounded models
    s.add(1e9);                                      // overflow for the histogram
    s.add(-1.0);                                     // invalid
    s.add(std::numeric_limits<double>::quiet_NaN()); // invalid
    for (const Sketch& original : {Sketch{}, s}) {
        const json::value v = through_text(stats::to_json(original));
        const auto back = stats::from_json<Sketch>(v);
        REQUIRE_MESSAGE(back.has_value(), (back ? "" : back.error().message()));
        CHECK(*back == original);
        CHECK(back->count() == original.count());
        CHECK(back->invalid_count() == original.invalid_count());
        if (original.count() != 0) {
            CHECK(back->quantile(0.99) == original.quantile(0.99));
            CHECK(back->sum() == original.sum());
        }
        // Merging the read-back copy equals merging the original.
        Sketch a = filled<Sketch>(2);
        Sketch b = a;
        a.merge(original);
        b.merge(*back);
        CHECK(a == b);
        CHECK(stats::from_json<Sketch>(v, original).has_value());
    }
}

TEST_CASE("json: running_moments and sample_statistics round-trip") {
    stats::running_moments m;
    for (double x : stats::test::pareto(1'000, 4)) {
        m.add(x);
    }
    m.add(std::numeric_limits<double>::infinity());
    const auto back = stats::from_json<stats::running_moments>(through_text(stats::to_json(m)));
    REQUIRE(back.has_value());
    CHECK(*back == m);
    const auto empty = stats::from_json<stats::running_moments>(
        through_text(stats::to_json(stats::running_moments{})));
    REQUIRE(empty.has_value());
    CHECK(*empty == stats::running_moments{});

    stats::sample_statistics<> s;
    for (double x : stats::test::bimodal(2'000, 8)) {
        s.add(x);
    }
    s.add(-3.0);
    const auto sb = stats::from_json<stats::sample_statistics<>>(through_text(stats::to_json(s)));
    REQUIRE(sb.has_value());
    CHECK(*sb == s);
    CHECK(sb->summarize().p99 == s.summarize().p99);
    using bucket_stats = stats::sample_statistics<stats::log_bucket_sketch>;
    bucket_stats d;
    d.add(3.0);
    CHECK(stats::from_json<bucket_stats>(stats::to_json(d)).value() == d);
}

TEST_CASE("json: log_linear_histogram is written sparsely, with exact doubles") {
    const json::value v = hist_json();
    const json::object& o = v.as_object();
    CHECK(o.at("kind") == "log_linear_histogram");
    CHECK(o.at("min") == "0.5");
    CHECK(o.at("max") == "0.75");
    CHECK(o.at("relative_error") == "0.005");
    CHECK(o.at("bucket_count") == 4060);
    // Two occupied buckets, far apart: two runs of one count each.
    const json::array& runs = o.at("buckets").as_array();
    REQUIRE(runs.size() == 2);
    CHECK(runs[0].as_array().size() == 2);
    CHECK(runs[0].as_array()[1] == 2);
    CHECK(runs[1].as_array()[1] == 1);
    CHECK(json::serialize(v).size() < 400);
}

TEST_CASE("json: malformed log_linear_histogram input gives a named error") {
    using H = stats::log_linear_histogram;
    using stats::error;
    const auto with = [](const char* key, json::value x) {
        json::value v = hist_json();
        v.as_object()[key] = std::move(x);
        return v;
    };
    const auto without = [](const char* key) {
        json::value v = hist_json();
        v.as_object().erase(key);
        return v;
    };
    check_error<H>(json::value(42), error::wrong_type, "$");
    check_error<H>(without("kind"), error::missing_field, "$.kind");
    check_error<H>(with("kind", "log_bucket_sketch"), error::wrong_kind, "$.kind");
    check_error<H>(with("kind", 7), error::wrong_type, "$.kind");
    check_error<H>(with("version", 2), error::unsupported_version, "$.version");
    check_error<H>(with("count", "3"), error::wrong_type, "$.count");
    check_error<H>(with("count", -3), error::negative_count, "$.count");
    check_error<H>(with("count", 4), error::count_mismatch, "$.count");
    check_error<H>(with("underflow", 9), error::count_mismatch, "$.count");
    check_error<H>(without("buckets"), error::missing_field, "$.buckets");
    check_error<H>(with("buckets", json::object{}), error::wrong_type, "$.buckets");
    check_error<H>(with("buckets", json::array{json::array{1000, -2}}), error::negative_count,
                   "$.buckets[0][1]");
    check_error<H>(with("buckets", json::array{json::array{1000, 1.5}}), error::wrong_type,
                   "$.buckets[0][1]");
    check_error<H>(with("buckets", json::array{json::array{4060, 3}}), error::index_out_of_range,
                   "$.buckets[0][0]");
    check_error<H>(with("buckets", json::array{json::array{-1, 3}}), error::index_out_of_range,
                   "$.buckets[0][0]");
    check_error<H>(with("buckets", json::array{json::array{4059, 1, 2}}), error::index_out_of_range,
                   "$.buckets[0]");
    check_error<H>(with("buckets", json::array{json::array{7}}), error::wrong_type, "$.buckets[0]");
    check_error<H>(with("buckets", json::array{7}), error::wrong_type, "$.buckets[0]");
    check_error<H>(with("buckets", json::array{json::array{2000, 1}, json::array{1000, 2}}),
                   error::unordered_buckets, "$.buckets[1][0]");
    check_error<H>(with("buckets", json::array{json::array{1000, 1, 1}, json::array{1001, 1}}),
                   error::unordered_buckets, "$.buckets[1][0]");
    check_error<H>(with("buckets", json::array{json::array{
                                       1000, std::numeric_limits<std::uint64_t>::max(), 1}}),
                   error::count_mismatch, "$.buckets[0][2]");
    check_error<H>(with("relative_error", "abc"), error::invalid_value, "$.relative_error");
    check_error<H>(with("relative_error", "nan"), error::invalid_value, "$.relative_error");
    check_error<H>(with("relative_error", "0.005x"), error::invalid_value, "$.relative_error");
    check_error<H>(with("relative_error", json::array{}), error::wrong_type, "$.relative_error");
    check_error<H>(with("relative_error", "0.9"), error::invalid_config, "$");
    check_error<H>(with("lowest", "-1"), error::invalid_config, "$");
    check_error<H>(with("sub_bucket_bits", 6), error::config_mismatch, "$.sub_bucket_bits");
    check_error<H>(with("bucket_count", 4061), error::config_mismatch, "$.bucket_count");
    check_error<H>(with("min", nullptr), error::invalid_value, "$.min");
    check_error<H>(with("min", "0.8"), error::invalid_value, "$.max"); // min > max
    check_error<H>(with("min", "0.25"), error::inconsistent_state, "$.min");
    check_error<H>(with("max", "2"), error::inconsistent_state, "$.max");
    check_error<H>(with("sum", json::array{1}), error::wrong_type, "$.sum");
    check_error<H>(with("sum", json::array{0, "1"}), error::wrong_type, "$.sum[1]");
    check_error<H>(with("sum_saturated", 0), error::wrong_type, "$.sum_saturated");

    // A valid histogram with another layout cannot be merged into ours.
    const stats::log_linear_histogram ours;
    const stats::log_linear_histogram theirs({.lowest = 1e-3, .highest = 1e6});
    const auto r = stats::from_json<H>(stats::to_json(theirs), ours);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == error::config_mismatch);
    CHECK(r.error().path == "$");
    CHECK(stats::from_json<H>(stats::to_json(theirs)).has_value());
}

TEST_CASE("json: error messages and value() throwing") {
    json::value v = hist_json();
    v.as_object()["buckets"] = json::array{json::array{1000, 1, -1}};
    const auto r = stats::from_json<stats::log_linear_histogram>(v);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message() == "stats json: $.buckets[0][2]: negative count");
    CHECK(r.error().code.category().name() == std::string("llmcap.stats"));
    CHECK_THROWS_AS((void)r.value(), std::system_error);
}

TEST_CASE("json: malformed log_bucket_sketch, exact_quantiles and running_moments input") {
    using stats::error;
    stats::log_bucket_sketch d;
    d.add(1.0);
    d.add(2.0);
    const auto dd = [&](const char* key, json::value x) {
        json::value v = stats::to_json(d);
        v.as_object()[key] = std::move(x);
        return v;
    };
    using D = stats::log_bucket_sketch;
    check_error<D>(dd("max_buckets", 1), error::invalid_config, "$");
    check_error<D>(dd("max_buckets", -4), error::invalid_config, "$.max_buckets");
    check_error<D>(dd("relative_error", "0.7"), error::invalid_config, "$");
    check_error<D>(dd("buckets", json::array{json::array{0, 1}, json::array{5000, 1}}),
                   error::index_out_of_range, "$.buckets");
    check_error<D>(dd("buckets", json::array{json::array{std::int64_t{1} << 40, 2}}),
                   error::index_out_of_range, "$.buckets[0][0]");
    check_error<D>(dd("buckets", json::array{json::array{std::uint64_t{1} << 63, 2}}),
                   error::index_out_of_range, "$.buckets[0][0]");
    check_error<D>(dd("sum", json::array{json::array{70, 1}}), error::index_out_of_range,
                   "$.sum[0][0]");
    check_error<D>(dd("sum", json::array{json::array{3, std::uint64_t{1} << 32}}),
                   error::invalid_value, "$.sum[0][1]");
    check_error<D>(dd("sum", json::array{json::array{5, 1}, json::array{4, 1}}),
                   error::unordered_buckets, "$.sum[1][0]");
    check_error<D>(dd("sum", json::array{json::array{5}}), error::wrong_type, "$.sum[0]");
    check_error<D>(dd("collapsed", "no"), error::wrong_type, "$.collapsed");
    check_error<D>(dd("count", 3), error::count_mismatch, "$.count");
    check_error<D>(stats::to_json(stats::log_linear_histogram{}), error::wrong_kind, "$.kind");

    stats::exact_quantiles e;
    e.add(1.0);
    e.add(2.0);
    json::value ev = stats::to_json(e);
    ev.as_object()["samples"].as_array()[1] = "-1";
    check_error<stats::exact_quantiles>(ev, error::invalid_value, "$.samples[1]");
    ev.as_object()["samples"].as_array()[1] = true;
    check_error<stats::exact_quantiles>(ev, error::wrong_type, "$.samples[1]");
    ev.as_object()["samples"] = "1,2";
    check_error<stats::exact_quantiles>(ev, error::wrong_type, "$.samples");

    stats::running_moments m;
    m.add(1.0);
    m.add(4.0);
    const auto mm = [&](const char* key, json::value x) {
        json::value v = stats::to_json(m);
        v.as_object()[key] = std::move(x);
        return v;
    };
    using M = stats::running_moments;
    check_error<M>(mm("m2", "-1"), error::invalid_value, "$.m2");
    check_error<M>(mm("max", "0.5"), error::invalid_value, "$.max");
    check_error<M>(mm("mean", nullptr), error::invalid_value, "$.mean");
    check_error<M>(mm("count", 0), error::inconsistent_state, "$.count");
    check_error<M>(mm("invalid", -1), error::negative_count, "$.invalid");

    stats::sample_statistics<> s;
    s.add(1.0);
    json::value sv = stats::to_json(s);
    sv.as_object()["sketch"].as_object()["count"] = -1;
    check_error<stats::sample_statistics<>>(sv, error::negative_count, "$.sketch.count");
    sv = stats::to_json(s);
    sv.as_object()["moments"].as_object()["count"] = 0;
    check_error<stats::sample_statistics<>>(sv, error::inconsistent_state, "$.moments.count");
    sv = stats::to_json(s);
    sv.as_object()["moments"] = stats::to_json(m);
    check_error<stats::sample_statistics<>>(sv, error::count_mismatch, "$.moments.count");
}

TEST_CASE_TEMPLATE("json: any field replaced by any JSON value never crashes", Sketch,
                   stats::log_linear_histogram, stats::log_bucket_sketch, stats::exact_quantiles,
                   stats::running_moments) {
    Sketch s;
    for (double x : {0.0, 0.001, 0.5, 0.5, 2.0, 1e7}) {
        s.add(x);
    }
    const json::value original = stats::to_json(s);
    const std::vector<json::value> replacements = {nullptr,
                                                   true,
                                                   -1,
                                                   0,
                                                   1,
                                                   4059,
                                                   4060,
                                                   std::numeric_limits<std::int64_t>::min(),
                                                   std::numeric_limits<std::uint64_t>::max(),
                                                   1e300,
                                                   -0.5,
                                                   "",
                                                   "1e-400",
                                                   "inf",
                                                   "0.5",
                                                   json::array{},
                                                   json::array{json::array{}},
                                                   json::array{json::array{0, 1}},
                                                   json::array{json::array{-5, 1, 2}},
                                                   json::object{}};
    int rejected = 0;
    for (const auto& field : original.as_object()) {
        for (const json::value& r : replacements) {
            json::value v = original;
            v.as_object()[field.key()] = r;
            const auto result = stats::from_json<Sketch>(v);
            if (!result) {
                ++rejected;
                CHECK_FALSE(result.error().path.empty());
                CHECK_FALSE(result.error().message().empty());
            } else if (result->count() != 0) {
                // Whatever was accepted answers queries without failing.
                if constexpr (stats::quantile_sketch<Sketch>) {
                    (void)result->quantile(0.5);
                    (void)result->quantile(0.999);
                } else {
                    (void)result->variance();
                }
            }
        }
    }
    CHECK(rejected > 0);
}
