// Parse-and-classify throughput on a realistic vLLM chat stream: SSE framing alone, framing plus
// chunk decoding, the whole stream-to-trace path (without and with the answer text captured),
// and, as a baseline in the same run, what a client that builds a JSON DOM per event
// (boost::json::parse) pays.
#include <llmcap/openai/chunk_decoder.hpp>
#include <llmcap/openai/trace_builder.hpp>
#include <llmcap/sse/parser.hpp>

#include <benchmark/benchmark.h>

#include <boost/json/parse.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

// A vLLM-shaped chat stream of `tokens` content events (ids, model name and field order as
// vLLM sends them), with role, finish, usage and [DONE] events.
std::string make_stream(int tokens) {
    const std::string head =
        R"(data: {"id":"chatcmpl-8c2f5e0a9b7d4c61a3e2f1d0c9b8a7e6","object":"chat.completion.chunk","created":1790000000,"model":"zai-org/GLM-4.7-Flash","choices":[{"index":0,"delta":)";
    std::string s = head +
                    R"({"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]})"
                    "\n\n";
    static const char* words[] = {" the",   " model", " serves", " many",
                                  " users", " at",    " once",   "."};
    for (int i = 0; i < tokens; ++i)
        s += head + R"({"content":")" + words[i % 8] +
             R"("},"logprobs":null,"finish_reason":null}]})"
             "\n\n";
    s += head + R"({"content":""},"logprobs":null,"finish_reason":"length","stop_reason":null}]})"
                "\n\n";
    s +=
        R"(data: {"id":"chatcmpl-8c2f5e0a9b7d4c61a3e2f1d0c9b8a7e6","object":"chat.completion.chunk","created":1790000000,"model":"zai-org/GLM-4.7-Flash","choices":[],"usage":{"prompt_tokens":8192,"total_tokens":9216,"completion_tokens":1024}})"
        "\n\n";
    s += "data: [DONE]\n\n";
    return s;
}

const std::string& stream() {
    static const std::string s = make_stream(1024);
    return s;
}
constexpr std::int64_t events_per_stream = 1024 + 4;
constexpr std::size_t read_size = 4096; // a typical socket read

void report(benchmark::State& state) {
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(stream().size()));
    state.counters["events/s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * events_per_stream), benchmark::Counter::kIsRate);
}

void sse_framing(benchmark::State& state) {
    llmcap::sse::parser p;
    llmcap::sse::event ev;
    std::error_code ec;
    for (auto _ : state) {
        p.reset();
        std::string_view all = stream();
        std::int64_t n = 0;
        for (std::size_t at = 0; at < all.size(); at += read_size) {
            std::string_view part = all.substr(at, read_size);
            while (true) {
                part.remove_prefix(p.put(part, ev, ec));
                if (ec)
                    break;
                benchmark::DoNotOptimize(ev.data.data());
                ++n;
            }
        }
        if (n != events_per_stream)
            state.SkipWithError("wrong event count");
    }
    report(state);
}
BENCHMARK(sse_framing);

void sse_and_chunk_decode(benchmark::State& state) {
    llmcap::sse::parser p;
    llmcap::openai::chunk_decoder d;
    llmcap::openai::chunk c;
    llmcap::sse::event ev;
    std::error_code ec;
    for (auto _ : state) {
        p.reset();
        d.reset();
        std::string_view all = stream();
        std::int64_t tokens = 0;
        for (std::size_t at = 0; at < all.size(); at += read_size) {
            std::string_view part = all.substr(at, read_size);
            while (true) {
                part.remove_prefix(p.put(part, ev, ec));
                if (ec)
                    break;
                if (d.decode(ev.data, c))
                    state.SkipWithError("decode failed");
                tokens += c.is_token_event();
            }
        }
        if (tokens != 1024)
            state.SkipWithError("wrong token count");
    }
    report(state);
}
BENCHMARK(sse_and_chunk_decode);

void stream_to_trace(benchmark::State& state) {
    llmcap::openai::trace_builder b;
    llmcap::request_trace t;
    const llmcap::time_point now = llmcap::stamp();
    for (auto _ : state) {
        t.events.clear();
        t.sse_events = 0;
        t.usage.reset();
        t.failure.reset();
        b.begin(t);
        std::string_view all = stream();
        for (std::size_t at = 0; at < all.size(); at += read_size)
            b.put(all.substr(at, read_size), now);
        b.finish(now, true);
        if (t.events.size() != 1024 || !t.ok())
            state.SkipWithError("wrong trace");
    }
    report(state);
}
BENCHMARK(stream_to_trace);

// The same with the answer text captured (a session workload sends it back as the next turn).
void stream_to_trace_with_answer_text(benchmark::State& state) {
    llmcap::openai::trace_builder b;
    llmcap::request_trace t;
    std::string answer;
    const llmcap::time_point now = llmcap::stamp();
    for (auto _ : state) {
        t.events.clear();
        t.sse_events = 0;
        t.usage.reset();
        t.failure.reset();
        answer.clear();
        b.begin(t, &answer);
        std::string_view all = stream();
        for (std::size_t at = 0; at < all.size(); at += read_size)
            b.put(all.substr(at, read_size), now);
        b.finish(now, true);
        if (t.events.size() != 1024 || !t.ok() || answer.empty())
            state.SkipWithError("wrong trace");
    }
    report(state);
}
BENCHMARK(stream_to_trace_with_answer_text);

// Baseline: framing plus a JSON DOM per event, as clients that call a generic parser do.
void sse_and_json_dom(benchmark::State& state) {
    llmcap::sse::parser p;
    llmcap::sse::event ev;
    std::error_code ec;
    for (auto _ : state) {
        p.reset();
        std::string_view all = stream();
        std::int64_t n = 0;
        for (std::size_t at = 0; at < all.size(); at += read_size) {
            std::string_view part = all.substr(at, read_size);
            while (true) {
                part.remove_prefix(p.put(part, ev, ec));
                if (ec)
                    break;
                if (ev.data != "[DONE]") {
                    boost::json::value v = boost::json::parse(ev.data);
                    benchmark::DoNotOptimize(v);
                }
                ++n;
            }
        }
        benchmark::DoNotOptimize(n);
    }
    report(state);
}
BENCHMARK(sse_and_json_dom);

} // namespace

BENCHMARK_MAIN();
