#include <llmcap/sweep/plan_overrides.hpp>
// Test that header file is self-contained.
#include <llmcap/sweep/plan_overrides.hpp>

#include <llmcap/analysis/use_case.hpp>
#include <llmcap/sweep/plan.hpp>
#include <llmcap/sweep/presets.hpp>
#include <llmcap/sweep/rate_search.hpp>
#include <llmcap/workload/text_source.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <cstdint>   // uint32_t
#include <limits>    // numeric_limits
#include <stdexcept> // invalid_argument
#include <string>    // string
#include <utility>   // pair
#include <vector>    // vector

using namespace llmcap;

namespace {

sweep::sweep_plan glm() {
    return *sweep::preset("glm-4.7-flash-h200");
}

/// The cells' keys as "context/output/concurrency/name" lines, in plan order.
std::vector<std::string> keys(const sweep::sweep_plan& p) {
    std::vector<std::string> out;
    for (const sweep::planned_cell& c : p.cells)
        out.push_back(std::to_string(c.key.context_tokens) + "/" +
                      std::to_string(c.key.output_tokens) + "/" +
                      std::to_string(c.key.concurrency) + "/" + c.key.use_case);
    return out;
}

std::vector<std::string> search_names(const sweep::sweep_plan& p) {
    std::vector<std::string> out;
    for (const sweep::use_case_search& s : p.searches)
        out.push_back(s.use_case.name);
    return out;
}

analysis::use_case builtin(const std::string& name) {
    return *analysis::find_builtin_use_case(name);
}

} // namespace

TEST_CASE("apply_overrides: no override leaves the plan as it was") {
    sweep::sweep_plan p = glm();
    std::string why;
    REQUIRE(sweep::apply_overrides(p, {}, why));
    CHECK(boost::json::serialize(sweep::to_json(p)) ==
          boost::json::serialize(sweep::to_json(glm())));
}

TEST_CASE("apply_overrides: a grid dimension given replaces it; the others come from the plan") {
    std::string why;
    SUBCASE("contexts") {
        sweep::sweep_plan p = glm();
        sweep::plan_overrides o;
        o.contexts = {8192, 1024};
        REQUIRE(sweep::apply_overrides(p, o, why));
        CHECK(keys(p) == std::vector<std::string>{"8192/1024/1/", "8192/1024/2/", "8192/1024/3/",
                                                  "8192/1024/4/", "1024/1024/1/", "1024/1024/2/",
                                                  "1024/1024/3/", "1024/1024/4/"});
    }
    SUBCASE("concurrency and output tokens") {
        sweep::sweep_plan p = glm();
        sweep::plan_overrides o;
        o.concurrency = {8, 1};
        o.output_tokens = 128;
        REQUIRE(sweep::apply_overrides(p, o, why));
        REQUIRE(p.cells.size() == 14); // the preset's seven contexts × two levels
        CHECK(keys(p).front() == "1024/128/8/");
        CHECK(keys(p)[1] == "1024/128/1/");
        CHECK(keys(p).back() == "200000/128/1/");
    }
    SUBCASE("named cells of a preset become plain grid cells") {
        sweep::sweep_plan p = *sweep::preset("sglang-standard");
        sweep::plan_overrides o;
        o.concurrency = {2};
        REQUIRE(sweep::apply_overrides(p, o, why));
        // Distinct contexts {1024, 8192} × distinct outputs {1024, 8192}, in first appearance.
        CHECK(keys(p) == std::vector<std::string>{"1024/1024/2/", "1024/8192/2/", "8192/1024/2/",
                                                  "8192/8192/2/"});
        for (const sweep::planned_cell& c : p.cells) {
            CHECK(c.style == workload::text_style::prose);
            CHECK(c.prompt.empty());
        }
    }
    CHECK(why.empty());
}

TEST_CASE("apply_overrides: use cases replace the searches, keeping a known search's settings") {
    std::string why;
    SUBCASE("an empty list removes every search") {
        sweep::sweep_plan p = glm();
        sweep::plan_overrides o;
        o.use_cases.emplace();
        REQUIRE(sweep::apply_overrides(p, o, why));
        CHECK(p.searches.empty());
        CHECK(p.cells.size() == glm().cells.size());
    }
    SUBCASE("names in the given order; the preset's concurrency and text style kept") {
        sweep::sweep_plan p = glm();
        sweep::plan_overrides o;
        analysis::use_case changed = builtin("code_completion");
        changed.output_tokens = 64;
        o.use_cases = {builtin("general_chatbot"), changed};
        REQUIRE(sweep::apply_overrides(p, o, why));
        CHECK(search_names(p) == std::vector<std::string>{"general_chatbot", "code_completion"});
        CHECK(p.searches[0].max_concurrency == 128);
        CHECK(p.searches[0].style == workload::text_style::prose);
        CHECK(p.searches[1].max_concurrency == 128);
        CHECK(p.searches[1].style == workload::text_style::code);
        CHECK(p.searches[1].use_case.output_tokens == 64);
    }
    SUBCASE("a use case the plan does not search gets use_case_search's defaults") {
        sweep::sweep_plan p = *sweep::preset("quick");
        REQUIRE(p.searches.empty());
        sweep::plan_overrides o;
        o.use_cases = {builtin("code_completion")};
        REQUIRE(sweep::apply_overrides(p, o, why));
        REQUIRE(p.searches.size() == 1);
        CHECK(p.searches[0].max_concurrency == sweep::use_case_search{}.max_concurrency);
        CHECK(p.searches[0].style == workload::text_style::prose);
    }
    SUBCASE("max_search_concurrency applies to every search, after the use cases") {
        sweep::sweep_plan p = glm();
        sweep::plan_overrides o;
        o.use_cases = {builtin("code_completion"), builtin("general_chatbot")};
        o.max_search_concurrency = 16;
        REQUIRE(sweep::apply_overrides(p, o, why));
        REQUIRE(p.searches.size() == 2);
        CHECK(p.searches[0].max_concurrency == 16);
        CHECK(p.searches[1].max_concurrency == 16);
    }
}

TEST_CASE("apply_overrides: the seed is replaced when given") {
    sweep::sweep_plan p = glm();
    sweep::plan_overrides o;
    o.seed = 42;
    std::string why;
    REQUIRE(sweep::apply_overrides(p, o, why));
    CHECK(p.seed == 42);
    o.seed.reset();
    REQUIRE(sweep::apply_overrides(p, o, why));
    CHECK(p.seed == 42);
}

TEST_CASE("apply_overrides: refusals say why and leave the plan unchanged") {
    sweep::sweep_plan p = glm();
    sweep::plan_overrides o;
    o.use_cases.emplace(); // would remove the searches, had the rest been accepted
    o.seed = 7;
    std::string expected;
    SUBCASE("a context length of 0") {
        o.contexts = {1024, 0};
        expected = "a context length of 0 (each must be at least 1)";
    }
    SUBCASE("a concurrency level of 0") {
        o.concurrency = {0};
        expected = "a concurrency level of 0 (each must be at least 1)";
    }
    SUBCASE("a grid change on a plan without cells") {
        p.cells.clear();
        o.contexts = {1024};
        expected = "plan \"glm-4.7-flash-h200\" has no grid to adjust (give context lengths, "
                   "concurrency levels and output tokens)";
    }
    SUBCASE("a grid change that keeps the context lengths of fixed-prompt cells") {
        p = *sweep::preset("quick");
        o.concurrency = {2};
        expected = "plan \"quick\" has fixed-prompt cells, whose context length is not a grid "
                   "dimension (give context lengths)";
    }
    const std::string before = boost::json::serialize(sweep::to_json(p));
    std::string why;
    CHECK_FALSE(sweep::apply_overrides(p, o, why));
    CHECK(why == expected);
    CHECK(boost::json::serialize(sweep::to_json(p)) == before);
}

TEST_CASE("apply_overrides: fixed-prompt cells give way to a grid with context lengths") {
    sweep::sweep_plan p = *sweep::preset("quick");
    sweep::plan_overrides o;
    o.contexts = {1024};
    o.output_tokens = 64;
    std::string why;
    REQUIRE(sweep::apply_overrides(p, o, why));
    CHECK(keys(p) == std::vector<std::string>{"1024/64/1/"});
    CHECK(p.cells.front().prompt.empty());
}

TEST_CASE("apply_overrides: a plan without cells takes a whole grid") {
    sweep::sweep_plan p;
    p.name = "custom";
    sweep::plan_overrides o;
    o.contexts = {2048};
    o.concurrency = {1, 2};
    o.output_tokens = 256;
    std::string why;
    REQUIRE(sweep::apply_overrides(p, o, why));
    CHECK(keys(p) == std::vector<std::string>{"2048/256/1/", "2048/256/2/"});
}

TEST_CASE("apply_overrides: sessions replace the cells by session cells, and cache-off twins") {
    sweep::sweep_plan p = glm();
    sweep::plan_overrides o;
    analysis::session_workload w;
    w.turns = 6;
    w.system_prompt_tokens = 2048;
    o.sessions = w;
    o.users = {1, 8, 32};
    o.turn_tokens = 256;
    o.cache_compare = true;
    std::string why;
    REQUIRE(sweep::apply_overrides(p, o, why));
    CHECK(keys(p) == std::vector<std::string>{"256/1024/1/sessions", "256/1024/8/sessions",
                                              "256/1024/32/sessions", "256/1024/1/sessions_nocache",
                                              "256/1024/8/sessions_nocache",
                                              "256/1024/32/sessions_nocache"});
    for (const sweep::planned_cell& c : p.cells) {
        CHECK(c.key.sessions);
        REQUIRE(c.sessions.has_value());
        CHECK(c.sessions->turns == 6);
        CHECK(c.sessions->prefix_caching == (c.key.use_case == "sessions"));
    }
    CHECK(p.cells[1].key.id() == "sessions/ctx256/out1024/u8");
    // The plan round-trips through run.json with its session cells.
    const std::string text = boost::json::serialize(sweep::to_json(p));
    const auto back = sweep::plan_from_json(boost::json::parse(text));
    REQUIRE(back.has_value());
    CHECK(boost::json::serialize(sweep::to_json(*back)) == text);
    CHECK(back->cells[4].key.sessions);
    CHECK(back->cells[4].sessions == p.cells[4].sessions);

    sweep::sweep_plan q = glm();
    o.users = {0};
    CHECK_FALSE(sweep::apply_overrides(q, o, why));
    CHECK(why == "session cells need user counts of at least 1");
    o.users.clear();
    CHECK_FALSE(sweep::apply_overrides(q, o, why));
}

TEST_CASE("session_rule_for: about one conversation per user, at least min_requests") {
    sweep::request_policy r;
    r.requests_per_concurrency = 2;
    r.min_requests = 4;
    CHECK(r.session_rule_for(8, 6).requests == 48); // 8 users × 6 turns
    CHECK(r.session_rule_for(1, 2).requests == 4);
    r.max_duration_s = 30.0;
    CHECK(r.session_rule_for(8, 6).max_duration == from_seconds(30.0));
}

TEST_CASE("apply_overrides: rates turn each grid cell into one open-loop cell per rate") {
    sweep::sweep_plan p = glm();
    sweep::plan_overrides o;
    o.contexts = {1024, 8192};
    o.concurrency = {1, 4, 16}; // concurrency levels collapse into the cap
    o.output_tokens = 128;
    o.rates = {0.5, 2.0};
    o.max_in_flight = 32;
    o.burstiness = 0.5;
    std::string why;
    REQUIRE(sweep::apply_overrides(p, o, why));
    std::vector<std::string> ids;
    for (const sweep::planned_cell& c : p.cells)
        ids.push_back(c.key.id());
    CHECK(ids == std::vector<std::string>{
                     "grid/ctx1024/out128/c32/rate0.5", "grid/ctx1024/out128/c32/rate2",
                     "grid/ctx8192/out128/c32/rate0.5", "grid/ctx8192/out128/c32/rate2"});
    CHECK(p.load.burstiness == 0.5);

    // The plan keeps the rates through run.json.
    const auto back = sweep::plan_from_json(sweep::to_json(p));
    REQUIRE(back.has_value());
    REQUIRE(back->cells.size() == 4);
    CHECK(back->cells[1].key.rate_per_s == 2.0);
    CHECK(back->cells[1].key.concurrency == 32);
    CHECK(back->load.burstiness == 0.5);

    // run.json refuses a rate that is not a positive number.
    boost::json::object bad = sweep::to_json(p);
    bad["cells"].as_array()[0].as_object()["rate_per_s"] = -1;
    const auto refused = sweep::plan_from_json(bad);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().message() ==
          "results json: $.cells[0].rate_per_s: must be a positive number");
}

TEST_CASE("apply_overrides: bad rates, burstiness and caps are refused, the plan unchanged") {
    const sweep::sweep_plan before = glm();
    const auto refuse = [&](const sweep::plan_overrides& o, const std::string& expected) {
        sweep::sweep_plan p = before;
        std::string why;
        CHECK_FALSE(sweep::apply_overrides(p, o, why));
        CHECK(why == expected);
        CHECK(keys(p) == keys(before));
    };
    sweep::plan_overrides o;
    o.rates = {1.0, 0.0};
    refuse(o, "an arrival rate of 0 requests/s (each must be a positive number)");
    o.rates = {std::numeric_limits<double>::quiet_NaN()};
    refuse(o, "an arrival rate of nan requests/s (each must be a positive number)");
    o.rates = {-2.0};
    refuse(o, "an arrival rate of -2 requests/s (each must be a positive number)");
    o.rates = {1.0};
    o.max_in_flight = 0;
    refuse(o, "a cap of 0 requests in flight (it must be at least 1)");
    o.max_in_flight = 8;
    o.burstiness = std::numeric_limits<double>::infinity();
    refuse(o, "a burstiness of inf (the gamma shape must be a positive number; 1 is Poisson)");
    o.burstiness.reset();
    o.sessions = analysis::session_workload{};
    o.users = {2};
    refuse(o, "session cells have users, not an arrival rate");
}

TEST_CASE("apply_overrides: a dataset's own lengths make one dataset cell per level and rate") {
    sweep::sweep_plan p = glm();
    sweep::plan_overrides o;
    o.concurrency = {1, 8};
    o.output_tokens = 256;
    o.dataset_path = "chats.json";
    o.dataset_own_lengths = true;
    std::string why;
    REQUIRE(sweep::apply_overrides(p, o, why));
    CHECK(keys(p) == std::vector<std::string>{"0/256/1/dataset", "0/256/8/dataset"});
    CHECK(p.corpus_path == "chats.json");
    CHECK(p.cells[0].dataset);
    CHECK_FALSE(p.searches.empty()); // searches keep their own lengths, text from the dataset

    // Through run.json and back.
    const auto back = sweep::plan_from_json(sweep::to_json(p));
    REQUIRE(back.has_value());
    CHECK(back->cells[1].dataset);
    CHECK(back->cells[1].key.context_tokens == 0);
    boost::json::object orphan = sweep::to_json(p);
    orphan["corpus_path"] = "";
    const auto refused = sweep::plan_from_json(orphan);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().message() ==
          "results json: $.cells[0].dataset: a dataset cell needs the plan's corpus_path");

    // With rates, each becomes an open-loop dataset cell per rate.
    sweep::sweep_plan q = glm();
    o.rates = {1.0, 4.0};
    o.max_in_flight = 64;
    REQUIRE(sweep::apply_overrides(q, o, why));
    std::vector<std::string> ids;
    for (const sweep::planned_cell& c : q.cells)
        ids.push_back(c.key.id());
    CHECK(ids == std::vector<std::string>{"dataset/ctx0/out256/c64/rate1",
                                          "dataset/ctx0/out256/c64/rate4"});

    // Resampling only names the file: the grid stays.
    sweep::sweep_plan r = glm();
    sweep::plan_overrides resample;
    resample.dataset_path = "chats.json";
    REQUIRE(sweep::apply_overrides(r, resample, why));
    CHECK(keys(r) == keys(glm()));
    CHECK(r.corpus_path == "chats.json");

    const auto refuse = [&](const sweep::plan_overrides& bad, const std::string& expected) {
        sweep::sweep_plan x = glm();
        CHECK_FALSE(sweep::apply_overrides(x, bad, why));
        CHECK(why == expected);
        CHECK(keys(x) == keys(glm()));
    };
    sweep::plan_overrides bad;
    bad.dataset_own_lengths = true;
    refuse(bad, "a dataset's own lengths without a dataset file");
    bad.dataset_path = "chats.json";
    bad.contexts = {1024};
    refuse(bad, "context lengths beside a dataset's own lengths (each record has its own)");
    bad.contexts.clear();
    bad.sessions = analysis::session_workload{};
    bad.users = {2};
    refuse(bad, "session cells build their own messages, not a dataset's");
}

TEST_CASE("apply_overrides: request counts replace the plan's request policy") {
    const auto policy = [](const sweep::plan_overrides& o) {
        sweep::sweep_plan p = glm();
        std::string why;
        REQUIRE_MESSAGE(sweep::apply_overrides(p, o, why), why);
        return p.requests;
    };
    sweep::plan_overrides o;
    o.requests_per_cell = 50;
    sweep::request_policy r = policy(o);
    CHECK(r.rule_for(1).requests == 50);
    CHECK(r.rule_for(64).requests == 50);

    o = {};
    o.requests_per_concurrency = 5; // the standard scenarios' x5: no floor
    r = policy(o);
    CHECK(r.rule_for(1).requests == 5);
    CHECK(r.rule_for(16).requests == 80);

    o = {};
    o.duration_s = 30.0; // alone: cells run for the duration, no count
    r = policy(o);
    CHECK(r.rule_for(8).requests == 0);
    REQUIRE(r.rule_for(8).max_duration);
    CHECK(*r.rule_for(8).max_duration == from_seconds(30.0));

    o.requests_per_cell = 20; // with a count: whichever comes first
    r = policy(o);
    CHECK(r.rule_for(8).requests == 20);
    CHECK(r.rule_for(8).max_duration.has_value());

    o = {};
    o.ci_half_width = 0.05;
    o.max_requests = 300;
    o.warmup_requests = 3;
    r = policy(o);
    CHECK(r.rule_for(4).ci_relative_half_width == 0.05);
    CHECK(r.rule_for(4).max_requests == 300);
    CHECK(r.warmup_requests == 3);

    // Refusals: a target beside a count, two counts, a count of 0, a half-width out of (0, 1).
    sweep::sweep_plan p = glm();
    std::string why;
    o.requests_per_cell = 10;
    CHECK_FALSE(sweep::apply_overrides(p, o, why));
    CHECK(why.find("a confidence target beside a request count") == 0);
    o = {};
    o.requests_per_cell = 10;
    o.requests_per_concurrency = 2;
    CHECK_FALSE(sweep::apply_overrides(p, o, why));
    CHECK(why == "requests per cell and requests per concurrency both given (choose one)");
    o = {};
    o.requests_per_cell = 0;
    CHECK_FALSE(sweep::apply_overrides(p, o, why));
    CHECK(why == "a request count of 0 (it must be at least 1)");
    o = {};
    o.ci_half_width = 1.5;
    CHECK_FALSE(sweep::apply_overrides(p, o, why));
    CHECK(why == "a confidence half-width of 1.5 (it must be a fraction between 0 and 1)");
    o = {};
    o.duration_s = -1.0;
    CHECK_FALSE(sweep::apply_overrides(p, o, why));
    CHECK(why == "a cell duration of -1 s (it must be positive)");
}

TEST_CASE("rate_finder: doubles to a bracket, then bisects it to 10%") {
    const auto search = [](double start, std::uint32_t cells, double capacity) {
        sweep::rate_search s;
        s.start_rate_per_s = start;
        s.max_cells = cells;
        sweep::rate_finder f(s);
        while (const auto rate = f.next_rate())
            f.add(*rate, *rate <= capacity);
        return f.result();
    };
    const sweep::rate_search_result up = search(1.0, 12, 5.3);
    REQUIRE(up.measured.size() >= 5);
    CHECK(up.measured[0] == std::pair{1.0, true});
    CHECK(up.measured[3] == std::pair{8.0, false});
    CHECK(up.converged);
    CHECK(*up.sustainable_rate_per_s <= 5.3);
    CHECK(*up.unsustainable_rate_per_s > 5.3);
    CHECK(*up.unsustainable_rate_per_s <= *up.sustainable_rate_per_s * 1.1);

    // Too high a start halves down first.
    const sweep::rate_search_result down = search(100.0, 12, 5.3);
    CHECK(down.measured[1] == std::pair{50.0, false});
    CHECK(down.converged);
    CHECK(*down.sustainable_rate_per_s <= 5.3);

    // The budget ends the search unconverged, with what it found.
    const sweep::rate_search_result spent = search(1.0, 3, 100.0);
    CHECK(spent.measured.size() == 3);
    CHECK_FALSE(spent.converged);
    CHECK(spent.sustainable_rate_per_s == 4.0);
    CHECK_FALSE(spent.unsustainable_rate_per_s.has_value());

    // Through JSON and back.
    const auto text = boost::json::serialize(sweep::to_json(up));
    llmcap::json_reader in("rates");
    sweep::rate_search_result back;
    REQUIRE(sweep::read_rate_search_result(in, boost::json::parse(text), "$", back));
    CHECK(back == up);

    sweep::rate_search bad;
    bad.start_rate_per_s = 0.0;
    CHECK_THROWS_AS(sweep::rate_finder{bad}, std::invalid_argument);
}

TEST_CASE("apply_overrides: a rate search per context and output length replaces the cells") {
    sweep::sweep_plan p = glm();
    sweep::plan_overrides o;
    o.contexts = {1024, 8192};
    o.concurrency = {1, 4};
    o.output_tokens = 128;
    o.find_rate = true;
    o.rate_start = 2.0;
    o.max_rate_cells = 5;
    o.max_in_flight = 64;
    std::string why;
    REQUIRE(sweep::apply_overrides(p, o, why));
    CHECK(p.cells.empty());
    REQUIRE(p.rate_searches.size() == 2);
    CHECK(p.rate_searches[1].context_tokens == 8192);
    CHECK(p.rate_searches[1].output_tokens == 128);
    CHECK(p.rate_searches[1].start_rate_per_s == 2.0);
    CHECK(p.rate_searches[1].max_cells == 5);
    CHECK(p.rate_searches[1].max_in_flight == 64);
    const auto back = sweep::plan_from_json(sweep::to_json(p));
    REQUIRE(back.has_value());
    CHECK(back->rate_searches == p.rate_searches);

    sweep::plan_overrides both = o;
    both.rates = {1.0};
    sweep::sweep_plan q = glm();
    CHECK_FALSE(sweep::apply_overrides(q, both, why));
    CHECK(why == "a rate search beside fixed rates (choose one)");
    sweep::plan_overrides zero = o;
    zero.rate_start = -1.0;
    CHECK_FALSE(sweep::apply_overrides(q, zero, why));
    CHECK(why == "a rate search starting at -1 requests/s (it must be a positive number)");
}

TEST_CASE("apply_overrides: a traffic mix replaces the cells by mix cells and a mix search") {
    analysis::traffic_mix mix;
    REQUIRE(analysis::parse_mix_spec("code_completion:1,general_chatbot:3", mix).empty());
    sweep::sweep_plan p = glm();
    sweep::plan_overrides o;
    o.mix = mix;
    o.concurrency = {1, 4};
    o.max_search_concurrency = 32;
    o.use_cases.emplace(); // the tool searches no use case alone beside a mix unless told
    std::string why;
    REQUIRE(sweep::apply_overrides(p, o, why));
    CHECK(keys(p) == std::vector<std::string>{"0/0/1/mix", "0/0/4/mix"});
    CHECK(p.cells[0].mix);
    REQUIRE(p.mix.has_value());
    CHECK(p.mix->classes[1].share == doctest::Approx(0.75));
    REQUIRE(p.mix_search.has_value());
    CHECK(p.mix_search->max_concurrency == 32);
    CHECK(p.searches.empty());

    // Through run.json and back.
    const auto back = sweep::plan_from_json(sweep::to_json(p));
    REQUIRE(back.has_value());
    CHECK(back->mix == p.mix);
    CHECK(back->mix_search == p.mix_search);
    CHECK(back->cells[1].mix);
    CHECK(back->cells[1].key.id() == "mix/ctx0/out0/c4");
    boost::json::object orphan = sweep::to_json(p);
    orphan.erase("mix");
    orphan.erase("mix_search");
    const auto refused = sweep::plan_from_json(orphan);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().message() ==
          "results json: $.cells[0].mix: a mix cell needs the plan's mix");
    boost::json::object bad_share = sweep::to_json(p);
    bad_share["mix"].as_object()["classes"].as_array()[0].as_object()["share"] = -1;
    const auto refused_share = sweep::plan_from_json(bad_share);
    REQUIRE_FALSE(refused_share.has_value());
    CHECK(refused_share.error().message() ==
          "results json: $.mix.classes: class \"code_completion\": a share must be a positive "
          "number");

    // With rates: one open-loop mix cell per rate, no search.
    sweep::sweep_plan q = glm();
    sweep::plan_overrides open;
    open.mix = mix;
    open.rates = {0.5, 2.0};
    open.max_in_flight = 16;
    REQUIRE(sweep::apply_overrides(q, open, why));
    std::vector<std::string> ids;
    for (const sweep::planned_cell& c : q.cells)
        ids.push_back(c.key.id());
    CHECK(ids == std::vector<std::string>{"mix/ctx0/out0/c16/rate0.5", "mix/ctx0/out0/c16/rate2"});
    CHECK_FALSE(q.mix_search.has_value());

    const auto refuse = [&](sweep::plan_overrides bad, const std::string& expected) {
        sweep::sweep_plan x = glm();
        CHECK_FALSE(sweep::apply_overrides(x, bad, why));
        CHECK(why == expected);
        CHECK(keys(x) == keys(glm()));
    };
    sweep::plan_overrides bad;
    bad.mix = mix;
    bad.contexts = {1024};
    refuse(bad, "context lengths or output tokens beside a traffic mix (each class has its use "
                "case's)");
    bad.contexts.clear();
    bad.sessions = analysis::session_workload{};
    bad.users = {2};
    refuse(bad, "a traffic mix beside sessions, a dataset's own lengths or a trace (a mix brings "
                "its own requests)");
    bad.sessions.reset();
    bad.mix->classes.clear();
    refuse(bad, "a traffic mix with a mix needs at least one class");
}

TEST_CASE("apply_overrides: a traffic mix with a rate search searches the mix's rate") {
    analysis::traffic_mix mix;
    REQUIRE(analysis::parse_mix_spec("code_completion:1,general_chatbot:1", mix).empty());
    sweep::sweep_plan p = glm();
    sweep::plan_overrides o;
    o.mix = mix;
    o.find_rate = true;
    o.rate_start = 0.5;
    o.max_in_flight = 128;
    o.max_rate_cells = 5;
    std::string why;
    REQUIRE(sweep::apply_overrides(p, o, why));
    CHECK(p.cells.empty());
    CHECK_FALSE(p.mix_search.has_value());
    REQUIRE(p.rate_searches.size() == 1);
    CHECK(p.rate_searches[0].mix);
    CHECK(p.rate_searches[0].start_rate_per_s == 0.5);
    CHECK(p.rate_searches[0].max_in_flight == 128);
    CHECK(p.rate_searches[0].max_cells == 5);
    const auto back = sweep::plan_from_json(sweep::to_json(p));
    REQUIRE(back.has_value());
    CHECK(back->rate_searches == p.rate_searches);
    boost::json::object orphan = sweep::to_json(p);
    orphan.erase("mix");
    const auto refused = sweep::plan_from_json(orphan);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().message() ==
          "results json: $.rate_searches[0].mix: a mix rate search needs the plan's mix");
}
