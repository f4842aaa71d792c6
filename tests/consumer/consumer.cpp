// A program using llmcap as a package user would: decode a small OpenAI-compatible stream into
// a request trace and print what it measured.
#include <llmcap/openai/trace_builder.hpp>
#include <llmcap/version.hpp>

#include <chrono>
#include <cstdio>
#include <string_view>

int main() {
    constexpr std::string_view body =
        "data: {\"choices\":[{\"delta\":{\"content\":\"Hello\"}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"content\":\" "
        "world\"},\"finish_reason\":\"length\"}]}\n\n"
        "data: "
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}"
        "}\n\n"
        "data: [DONE]\n\n";
    llmcap::request_trace trace;
    trace.intended_start = llmcap::stamp();
    llmcap::openai::trace_builder builder;
    builder.begin(trace);
    builder.put(body, trace.intended_start + std::chrono::milliseconds(5));
    builder.finish(trace.intended_start + std::chrono::milliseconds(6), true);
    std::printf("llmcap %s: ok=%d events=%zu output_tokens=%llu\n", llmcap::version_string,
                trace.ok() ? 1 : 0, trace.events.size(),
                static_cast<unsigned long long>(trace.output_tokens()));
    return trace.ok() && trace.events.size() == 2 && trace.output_tokens() == 2 ? 0 : 1;
}
