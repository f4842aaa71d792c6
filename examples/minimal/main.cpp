// llmcap-minimal URL: one cell of a live OpenAI-compatible server (1,024-token prompts, 128
// output tokens, 4 requests in flight, 20 measured after 4 warm-up ones) and its TTFT.
#include <llmcap/analysis/cell_recorder.hpp>
#include <llmcap/client/http_endpoint.hpp>
#include <llmcap/sweep/http_runner.hpp>

#include <boost/asio.hpp>

#include <iostream>

int main(int argc, char** argv) {
    if (argc != 2)
        return std::cerr << "usage: llmcap-minimal URL\n", 2;
    namespace asio = boost::asio;
    using namespace llmcap;
    asio::io_context io;
    client::http_endpoint server(io.get_executor(), argv[1]);
    sweep::http_runner<client::http_endpoint> runner(server, {.url = argv[1]});
    sweep::cell_spec cell{.key = {1024, 128, 4}, .warmup_requests = 4};
    cell.stop.requests = 20;
    analysis::cell_recorder<> measured;
    auto done = asio::co_spawn(
        io,
        [&]() -> asio::awaitable<sweep::cell_run> {
            co_await runner.identify(); // the model to ask for, and the server's dialect
            co_return co_await runner.run_cell(cell, workload::measured_into(measured));
        },
        asio::use_future);
    io.run();
    const sweep::cell_run run = done.get(); // rethrows what the coroutine threw
    const analysis::metric_statistics ttft = measured.statistics(analysis::metric::ttft);
    std::cout << "TTFT P50 " << ttft.p50 * 1e3 << " ms, P99 " << ttft.p99 * 1e3 << " ms ("
              << measured.succeeded() << " of " << measured.started() << " requests succeeded)"
              << (run.error.empty() ? "" : "; ") << run.error << '\n';
    return measured.succeeded() > 0 ? 0 : 1;
}
