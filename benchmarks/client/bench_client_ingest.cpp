// Proof that the client is never the bottleneck (DESIGN.md §7), side by side with a Python
// asyncio + aiohttp client (benchmarks/peers/aiohttp_client.py) in the same run, against the
// same SSE source (sse_source.hpp, a forked process on loopback).
//
// For one client thread it measures:
//   hold      streams held at once (10,000 at 1 event/s) and memory per held stream;
//   paced     the added delay per token event at 1,000 streams x 50 events/s: the source stamps
//             each event with steady_clock just before writing it, the client's stamp for the
//             same event minus that (same machine, same clock);
//   saturate  token events/s ingested when the source sends as fast as it can.
// and prints both clients' figures and their ratio.
//
//   llmcap_bench_client_ingest [--quick] [--python /usr/bin/python3] [--peer PATH]
//                              [--no-python] [--held N] [--paced-seconds S] [--nice N]
//                              [--paced-streams N] [--paced-rate R] [--saturate-events N]
//                              [--only hold|paced|saturate] [--source-cpu N] [--client-cpu N]
//                              [--aligned]
//
// --nice N runs the source, the client and the peer at that scheduling priority (negative
// needs privileges): on a machine busy with other work, wake-up latency otherwise dominates
// the added delay of both clients. --source-cpu / --client-cpu pin the source process and the
// client thread (and the peer, which inherits the client's affinity) to one CPU each.
//
// The paced streams start at random phases of their period, so the 50,000 events/s arrive
// spread evenly, as from many independent users (or several engines). --aligned puts every
// stream on one common 20 ms grid instead, the way one engine's batch emits a token for every
// running sequence at the end of the same step: the client then receives bursts of 1,000
// events at once, and the later events of a burst wait for the earlier ones.
//
// Besides the added delay, the paced run reports what it is made of: the source's own
// lateness against its schedule (not part of the added delay), how late a 1 ms timer in the
// client thread fires during the run (the wake-up latency any event meets), the client
// thread's CPU time and heap allocations per event, and the events a read returns.

#include "../allocation_counter.hpp"
#include "sse_source.hpp"

#include <llmcap/client/http_endpoint.hpp>

#include <boost/asio.hpp>
#include <boost/json.hpp>

#include <sched.h>        // sched_setaffinity
#include <sys/mman.h>     // mmap
#include <sys/resource.h> // setrlimit, getrusage
#include <sys/wait.h>     // waitpid
#include <unistd.h>       // fork, pipe, sysconf

#include <algorithm>  // sort
#include <atomic>     // atomic
#include <csignal>    // kill, SIGTERM
#include <cstdio>     // printf, popen
#include <cstdlib>    // malloc, free
#include <cstring>    // strcmp
#include <ctime>      // clock_gettime
#include <filesystem> // path
#include <fstream>    // ifstream
#include <new>        // placement new
#include <string>     // string
#include <utility>    // pair
#include <vector>     // vector

// Heap allocations of this process (the client's; the forked source counts its own copy).
using llmcap_bench::heap_allocations;

namespace {

namespace asio = boost::asio;
using llmcap::bench::source_shared;
using llmcap::client::http_endpoint;

struct config {
    bool quick = false;
    bool python = true;
    std::string python_exe = "/usr/bin/python3";
    std::string peer; // empty: default_peer()
    std::size_t held = 10000;
    double paced_seconds = 6;
    std::size_t paced_streams = 1000;
    double paced_rate = 50;
    std::size_t saturate_streams = 8;
    std::uint64_t saturate_events = 250000; // per stream
    std::uint64_t python_saturate_events = 25000;
    int nice = 0;
    bool set_nice = false;
    std::string only; // hold, paced or saturate; empty: all three
    std::chrono::microseconds spin{0};
    int source_cpu = -1;
    int client_cpu = -1;
    bool aligned = false;

    [[nodiscard]] bool runs(std::string_view part) const {
        return only.empty() || only == part;
    }
};

/// The Python peer next to this source file. __FILE__ may be relative to the build folder
/// (compiler caches rewrite it), so a relative one is tried from the working folder and from
/// the build folder (two levels above this executable).
std::string default_peer() {
    namespace fs = std::filesystem;
    const fs::path rel =
        fs::path(__FILE__).parent_path().parent_path() / "peers" / "aiohttp_client.py";
    if (rel.is_absolute())
        return rel.string();
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    for (const fs::path& base : {fs::current_path(ec), exe.parent_path().parent_path()})
        if (fs::exists(base / rel, ec))
            return fs::weakly_canonical(base / rel, ec).string();
    return rel.string();
}

/// Pins the calling thread (and what it forks later) to one CPU; false on failure.
bool pin_to(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<std::size_t>(cpu), &set);
    return ::sched_setaffinity(0, sizeof set, &set) == 0;
}

/// User and system CPU time of the calling thread, seconds.
std::pair<double, double> thread_user_system_s() {
    rusage u{};
    getrusage(RUSAGE_THREAD, &u);
    const auto s = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
    };
    return {s(u.ru_utime), s(u.ru_stime)};
}

double thread_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::size_t rss_bytes() {
    std::ifstream in("/proc/self/statm");
    std::size_t pages = 0, resident = 0;
    in >> pages >> resident;
    return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

llmcap::openai::completion_request bench_request(std::uint64_t events, double rate,
                                                 bool aligned = false) {
    llmcap::openai::completion_request r;
    r.model = "bench/model-7b";
    r.messages = {{"user", "hi"}};
    r.max_tokens = static_cast<std::uint32_t>(events);
    r.extra["source_rate"] = rate;
    if (aligned)
        r.extra["source_aligned"] = true;
    return r;
}

llmcap::client::endpoint_options bench_options() {
    llmcap::client::endpoint_options o;
    o.api_key_env.clear();
    o.pool.max_idle = std::chrono::minutes(10);
    return o;
}

/// Runs `n` concurrent streams on one thread; while they run, calls `sample` every `period`
/// until it returns true. With `spin` > 0 the thread polls for that long before it blocks
/// (an experiment: it shows how much of the added delay is the thread's wake-up). Returns the
/// traces.
std::vector<llmcap::request_trace>
run_streams(asio::io_context& io, http_endpoint& ep, std::size_t n,
            const llmcap::openai::completion_request& req, const std::function<bool()>& sample = {},
            std::chrono::microseconds period = std::chrono::milliseconds(20),
            std::chrono::microseconds spin = {}) {
    std::vector<llmcap::request_trace> traces(n);
    std::size_t done = 0;
    for (std::size_t i = 0; i < n; ++i) {
        llmcap::client::request_context ctx;
        ctx.index = i;
        asio::co_spawn(io, ep.stream(req, ctx),
                       [&, i](std::exception_ptr e, llmcap::request_trace t) {
                           if (e)
                               std::rethrow_exception(e);
                           traces[i] = std::move(t);
                           ++done;
                       });
    }
    asio::steady_timer timer(io);
    std::function<void(boost::system::error_code)> poll = [&](boost::system::error_code ec) {
        if (ec || sample())
            return;
        timer.expires_after(period);
        timer.async_wait(poll);
    };
    if (sample) {
        timer.expires_after(period);
        timer.async_wait(poll);
    }
    while (done < n) {
        if (spin.count() > 0) {
            const auto until = std::chrono::steady_clock::now() + spin;
            bool ran = false;
            while (!ran && std::chrono::steady_clock::now() < until)
                ran = io.poll_one() > 0;
            if (ran)
                continue;
        }
        io.run_one();
    }
    timer.cancel();
    io.poll();
    io.restart();
    return traces;
}

std::size_t count_failed(const std::vector<llmcap::request_trace>& traces,
                         std::string* first_error) {
    std::size_t failed = 0;
    for (const auto& t : traces)
        if (!t.ok()) {
            if (failed++ == 0 && first_error != nullptr)
                *first_error = std::string(llmcap::error_name(*t.failure)) + ": " + t.error_message;
        }
    return failed;
}

void warm(asio::io_context& io, http_endpoint& ep, std::size_t n) {
    bool done = false;
    asio::co_spawn(io, ep.warm_up(n), [&](std::exception_ptr, std::size_t) { done = true; });
    while (!done)
        io.run_one();
    io.restart();
}

/// Runs the Python peer and parses its JSON line; null on failure.
boost::json::object run_peer(const config& c, const std::string& url, const std::string& args) {
    const std::string cmd = c.python_exe + " " + c.peer + " --url " + url + " " + args;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr)
        return {};
    std::string out;
    char buf[4096];
    while (const std::size_t n = std::fread(buf, 1, sizeof buf, p))
        out.append(buf, n);
    const int status = ::pclose(p);
    boost::system::error_code ec;
    auto v = boost::json::parse(out, ec);
    if (ec || !v.is_object() || status != 0) {
        std::fprintf(stderr, "python peer failed (%s): %s\n", cmd.c_str(), out.c_str());
        return {};
    }
    return v.as_object();
}

double num(const boost::json::object& o, std::string_view path) {
    const boost::json::object* obj = &o;
    const boost::json::value* v = nullptr;
    for (std::size_t start = 0; start <= path.size();) {
        const std::size_t dot = std::min(path.find('.', start), path.size());
        if (obj == nullptr)
            return -1;
        v = obj->if_contains(path.substr(start, dot - start));
        if (v == nullptr || v->is_null())
            return -1;
        obj = v->if_object();
        start = dot + 1;
    }
    boost::system::error_code ec;
    const double d = v->to_number<double>(ec);
    return ec ? -1 : d;
}

struct delays {
    double p50_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
    std::size_t count = 0;
};

delays percentiles(std::vector<double> ns) {
    delays d;
    if (ns.empty())
        return d;
    std::sort(ns.begin(), ns.end());
    const auto at = [&](double q) {
        const auto i = static_cast<std::size_t>(q * static_cast<double>(ns.size()) + 0.5);
        return ns[std::min(ns.size() - 1, i == 0 ? 0 : i - 1)] / 1e3;
    };
    d.p50_us = at(0.5);
    d.p99_us = at(0.99);
    d.p999_us = at(0.999);
    d.max_us = ns.back() / 1e3;
    d.count = ns.size();
    return d;
}

std::string ratio(double ours, double theirs, bool higher_is_better) {
    if (ours <= 0 || theirs <= 0)
        return "-";
    char b[32];
    std::snprintf(b, sizeof b, "%.1fx", higher_is_better ? ours / theirs : theirs / ours);
    return b;
}

} // namespace

int main(int argc, char** argv) {
    config c;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (a == "--quick") {
            c.quick = true;
            c.held = 2000;
            c.paced_seconds = 2;
            c.saturate_events = 50000;
            c.python_saturate_events = 10000;
        } else if (a == "--no-python") {
            c.python = false;
        } else if (a == "--python") {
            c.python_exe = next();
        } else if (a == "--peer") {
            c.peer = next();
        } else if (a == "--held") {
            c.held = std::stoul(next());
        } else if (a == "--saturate-events") {
            c.saturate_events = std::stoull(next());
        } else if (a == "--paced-rate") {
            c.paced_rate = std::stod(next());
        } else if (a == "--paced-streams") {
            c.paced_streams = std::stoul(next());
        } else if (a == "--nice") {
            c.nice = std::stoi(next());
            c.set_nice = true;
        } else if (a == "--paced-seconds") {
            c.paced_seconds = std::stod(next());
        } else if (a == "--only") {
            c.only = next();
            if (c.only != "hold" && c.only != "paced" && c.only != "saturate") {
                std::fprintf(stderr, "--only takes hold, paced or saturate, not '%s'\n",
                             c.only.c_str());
                return 2;
            }
        } else if (a == "--source-cpu") {
            c.source_cpu = std::stoi(next());
        } else if (a == "--client-cpu") {
            c.client_cpu = std::stoi(next());
        } else if (a == "--spin-us") {
            c.spin = std::chrono::microseconds(std::stol(next()));
        } else if (a == "--aligned") {
            c.aligned = true;
        } else {
            std::fprintf(stderr, "unknown argument %s\n", a.c_str());
            return 2;
        }
    }
    if (c.peer.empty())
        c.peer = default_peer();
    if (c.python && !std::filesystem::exists(c.peer)) {
        std::fprintf(stderr,
                     "Python peer %s not found: give its path with --peer, or --no-python\n",
                     c.peer.c_str());
        return 2;
    }
    if (c.set_nice && ::setpriority(PRIO_PROCESS, 0, c.nice) != 0) {
        std::perror("setpriority");
        return 2;
    }
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);

    // The source runs in its own process (its sockets do not count against this one's file
    // limit, and it does not share this thread), forked before any thread or io_context exists.
    void* mem = ::mmap(nullptr, sizeof(source_shared), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return 1;
    auto* shared = new (mem) source_shared{};
    int fds[2];
    if (::pipe(fds) != 0)
        return 1;
    const pid_t child = ::fork();
    if (child == 0) {
        ::close(fds[0]);
        if (c.source_cpu >= 0 && !pin_to(c.source_cpu)) {
            std::perror("source: sched_setaffinity");
            ::_exit(1);
        }
        asio::io_context io(1);
        llmcap::bench::sse_source source(io, *shared);
        const std::uint16_t port = source.port();
        if (::write(fds[1], &port, sizeof port) != sizeof port)
            ::_exit(1);
        ::close(fds[1]);
        io.run();
        ::_exit(0);
    }
    ::close(fds[1]);
    std::uint16_t port = 0;
    if (::read(fds[0], &port, sizeof port) != sizeof port)
        return 1;
    if (c.client_cpu >= 0 && !pin_to(c.client_cpu)) {
        std::perror("client: sched_setaffinity");
        return 2;
    }
    const std::string url = "http://127.0.0.1:" + std::to_string(port);
    std::printf("SSE source (vLLM-shaped chat chunks, chunked) at %s, pid %d\n", url.c_str(),
                static_cast<int>(child));

    asio::io_context io(1);
    int rc = 0;

    // --- hold: many streams at 1 event/s ------------------------------------------------------
    const auto held_events = std::uint64_t{8};
    std::size_t cpp_held = 0, cpp_held_failed = 0;
    double cpp_mem_per_stream = 0;
    if (c.runs("hold")) {
        const std::size_t rss0 = rss_bytes();
        http_endpoint ep(io.get_executor(), url, bench_options());
        warm(io, ep, c.held);
        shared->max_active = 0;
        std::size_t rss_held = 0;
        const auto traces = run_streams(io, ep, c.held, bench_request(held_events, 1.0), [&] {
            // Sample once every stream is open at the source.
            if (shared->active.load() < static_cast<std::int64_t>(c.held))
                return false;
            rss_held = rss_bytes();
            return true;
        });
        std::string err;
        cpp_held_failed = count_failed(traces, &err);
        cpp_held = static_cast<std::size_t>(shared->max_active.load());
        cpp_mem_per_stream = static_cast<double>(rss_held - rss0) / static_cast<double>(c.held);
        if (cpp_held_failed > 0)
            std::printf("llmcap hold: %zu failed, first: %s\n", cpp_held_failed, err.c_str());
    }

    // --- paced: added delay ------------------------------------------------------------------
    delays cpp_delay, source_late, wake_late, transfer, client_part;
    std::size_t cpp_paced_failed = 0;
    double cpp_paced_cpu_share = 0, cpu_us_per_event = 0, allocs_per_event = 0;
    double user_us_per_event = 0, system_us_per_event = 0;
    double events_per_read = 0;
    const auto paced_events = static_cast<std::uint64_t>(c.paced_rate * c.paced_seconds + 0.5);
    if (c.runs("paced")) {
        http_endpoint ep(io.get_executor(), url, bench_options());
        warm(io, ep, c.paced_streams);
        shared->next_stream = 0;
        // A 1 ms timer in the client thread: how late it fires is the wake-up latency that
        // any event arriving at that moment meets as well.
        std::vector<double> wake_ns;
        wake_ns.reserve(static_cast<std::size_t>(c.paced_seconds * 1000 * 2));
        // run_streams re-arms the timer 1 ms after each call; the first call only starts.
        std::chrono::steady_clock::time_point next_due{};
        const auto probe = [&] {
            const auto now = std::chrono::steady_clock::now();
            if (next_due != decltype(next_due){} && wake_ns.size() < wake_ns.capacity())
                wake_ns.push_back(std::chrono::duration<double, std::nano>(now - next_due).count());
            next_due = now + std::chrono::milliseconds(1);
            return false;
        };
        const std::uint64_t allocs0 = heap_allocations.load();
        const double cpu0 = thread_cpu_s();
        const auto us0 = thread_user_system_s();
        const auto t0 = std::chrono::steady_clock::now();
        const auto traces = run_streams(io, ep, c.paced_streams,
                                        bench_request(paced_events, c.paced_rate, c.aligned), probe,
                                        std::chrono::milliseconds(1), c.spin);
        const double cpu = thread_cpu_s() - cpu0;
        const auto us1 = thread_user_system_s();
        const std::uint64_t allocs = heap_allocations.load() - allocs0;
        cpp_paced_cpu_share =
            cpu / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        wake_late = percentiles(std::move(wake_ns));
        std::size_t events = 0, reads = 0;
        for (const auto& t : traces) {
            events += t.events.size();
            for (std::size_t k = 0; k < t.events.size(); ++k)
                reads += k == 0 || t.events[k].at != t.events[k - 1].at;
        }
        if (events > 0) {
            cpu_us_per_event = cpu * 1e6 / static_cast<double>(events);
            user_us_per_event = (us1.first - us0.first) * 1e6 / static_cast<double>(events);
            system_us_per_event = (us1.second - us0.second) * 1e6 / static_cast<double>(events);
            allocs_per_event = static_cast<double>(allocs) / static_cast<double>(events);
            events_per_read = static_cast<double>(events) / static_cast<double>(reads);
        }
        std::string err;
        cpp_paced_failed = count_failed(traces, &err);
        if (cpp_paced_failed > 0)
            std::printf("llmcap paced: %zu failed, first: %s\n", cpp_paced_failed, err.c_str());
        std::vector<double> ns, late, xfer, own;
        for (auto* v : {&ns, &late, &xfer, &own})
            v->reserve(c.paced_streams * paced_events);
        for (const auto& t : traces) {
            const auto dash = t.response_id.rfind('-');
            if (dash == std::string::npos)
                continue;
            const std::size_t id = std::stoul(t.response_id.substr(dash + 1));
            for (std::size_t k = 0; k < t.events.size() && id < source_shared::max_streams &&
                                    k < source_shared::max_events;
                 ++k) {
                const auto at = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    t.events[k].at.time_since_epoch())
                                    .count();
                ns.push_back(static_cast<double>(at - shared->sent_ns[id][k]));
                late.push_back(static_cast<double>(shared->sent_ns[id][k] - shared->due_ns[id][k]));
                if (const std::int64_t w = shared->written_ns[id][k]; w >= 0) {
                    xfer.push_back(static_cast<double>(w - shared->sent_ns[id][k]));
                    own.push_back(static_cast<double>(at - w));
                }
            }
        }
        cpp_delay = percentiles(std::move(ns));
        source_late = percentiles(std::move(late));
        transfer = percentiles(std::move(xfer));
        client_part = percentiles(std::move(own));
    }

    // --- saturate: events/s -------------------------------------------------------------------
    double cpp_rate = 0, cpp_cpu_rate = 0;
    std::size_t cpp_sat_failed = 0;
    if (c.runs("saturate")) {
        http_endpoint ep(io.get_executor(), url, bench_options());
        warm(io, ep, c.saturate_streams);
        const double cpu0 = thread_cpu_s();
        const auto t0 = std::chrono::steady_clock::now();
        const auto traces =
            run_streams(io, ep, c.saturate_streams, bench_request(c.saturate_events, 0));
        const double wall =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double cpu = thread_cpu_s() - cpu0;
        std::string err;
        cpp_sat_failed = count_failed(traces, &err);
        if (cpp_sat_failed > 0)
            std::printf("llmcap saturate: %zu failed, first: %s\n", cpp_sat_failed, err.c_str());
        std::uint64_t events = 0;
        for (const auto& t : traces)
            events += t.events.size();
        cpp_rate = static_cast<double>(events) / wall;
        cpp_cpu_rate = static_cast<double>(events) / cpu;
    }

    // --- the Python peer, same source, same run -------------------------------------------------
    boost::json::object py_hold, py_paced, py_sat;
    double py_held_source = -1;
    if (c.python) {
        shared->max_active = 0;
        if (c.runs("hold"))
            py_hold = run_peer(c, url,
                               "--mode hold --streams " + std::to_string(c.held) + " --events " +
                                   std::to_string(held_events) + " --rate 1 --sample-when-open");
        py_held_source = static_cast<double>(shared->max_active.load());
        shared->next_stream = 0;
        if (c.runs("paced"))
            py_paced = run_peer(c, url,
                                "--mode paced --streams " + std::to_string(c.paced_streams) +
                                    " --events " + std::to_string(paced_events) + " --rate " +
                                    std::to_string(c.paced_rate) + (c.aligned ? " --aligned" : ""));
        if (c.runs("saturate"))
            py_sat = run_peer(c, url,
                              "--mode saturate --streams " + std::to_string(c.saturate_streams) +
                                  " --events " + std::to_string(c.python_saturate_events));
    }
    ::kill(child, SIGTERM);
    ::waitpid(child, nullptr, 0);

    const double py_rate = py_sat.empty() ? -1 : num(py_sat, "events") / num(py_sat, "wall_s");
    const double py_cpu_rate = py_sat.empty() ? -1 : num(py_sat, "events") / num(py_sat, "cpu_s");
    const double py_held = py_hold.empty() ? -1 : py_held_source;
    const double py_mem =
        py_hold.empty() ? -1 : num(py_hold, "rss_delta_bytes") / static_cast<double>(c.held);
    const double py_p50 = py_paced.empty() ? -1 : num(py_paced, "delay_ns.p50") / 1e3;
    const double py_p99 = py_paced.empty() ? -1 : num(py_paced, "delay_ns.p99") / 1e3;
    const double py_p999 = py_paced.empty() ? -1 : num(py_paced, "delay_ns.p999") / 1e3;

    double load[3] = {0, 0, 0};
    if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
        if (std::fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
            load[0] = -1;
        std::fclose(f);
    }
    std::printf("\none client thread each; llmcap (C++) vs Python asyncio + aiohttp %s\n"
                "machine: %ld CPUs, load average %.1f %.1f %.1f during the run, nice %d\n",
                c.quick ? "(--quick)" : "", sysconf(_SC_NPROCESSORS_ONLN), load[0], load[1],
                load[2], ::getpriority(PRIO_PROCESS, 0));
    std::printf("%-52s %14s %14s %8s\n", "metric", "llmcap", "aiohttp", "ratio");
    const auto row = [](const char* name, double a, double b, const char* fmt, std::string r) {
        char x[32], y[32];
        std::snprintf(x, sizeof x, fmt, a);
        if (b < 0)
            std::snprintf(y, sizeof y, "-");
        else
            std::snprintf(y, sizeof y, fmt, b);
        std::printf("%-52s %14s %14s %8s\n", name, x, y, r.c_str());
    };
    char name[96];
    if (c.runs("saturate")) {
        std::snprintf(name, sizeof name, "saturated ingest, token events/s (%zu streams)",
                      c.saturate_streams);
        row(name, cpp_rate, py_rate, "%.0f", ratio(cpp_rate, py_rate, true));
        row("token events per CPU-second", cpp_cpu_rate, py_cpu_rate, "%.0f",
            ratio(cpp_cpu_rate, py_cpu_rate, true));
    }
    if (c.runs("hold")) {
        std::snprintf(name, sizeof name, "streams open at once at the source (of %zu)", c.held);
        row(name, static_cast<double>(cpp_held), py_held, "%.0f", "");
        row("memory per held stream, KiB", cpp_mem_per_stream / 1024,
            py_mem < 0 ? -1 : py_mem / 1024, "%.1f", ratio(cpp_mem_per_stream, py_mem, false));
    }
    if (c.runs("paced")) {
        std::snprintf(name, sizeof name, "added delay P50, us (%zu streams x %.0f ev/s)",
                      c.paced_streams, c.paced_rate);
        row(name, cpp_delay.p50_us, py_p50, "%.1f", ratio(cpp_delay.p50_us, py_p50, false));
        row("added delay P99, us", cpp_delay.p99_us, py_p99, "%.1f",
            ratio(cpp_delay.p99_us, py_p99, false));
        row("added delay P99.9, us", cpp_delay.p999_us, py_p999, "%.1f",
            ratio(cpp_delay.p999_us, py_p999, false));
    }
    std::printf("(llmcap: %zu delay samples, max %.1f us, client thread busy %.0f%% of the paced "
                "run; failed requests: hold %zu, paced %zu, saturate %zu)\n",
                cpp_delay.count, cpp_delay.max_us, 100 * cpp_paced_cpu_share, cpp_held_failed,
                cpp_paced_failed, cpp_sat_failed);
    if (c.runs("paced")) {
        std::printf("(paced run, %s phases: source lateness vs its schedule P50 %.1f / P99 %.1f / "
                    "P99.9 %.1f us, not part of the added delay; 1 ms timer in the client thread "
                    "late by P50 %.1f / P99 %.1f / P99.9 %.1f us)\n",
                    c.aligned ? "aligned" : "random", source_late.p50_us, source_late.p99_us,
                    source_late.p999_us, wake_late.p50_us, wake_late.p99_us, wake_late.p999_us);
        std::printf(
            "(added delay = the source's write call, loopback delivery included: P50 %.1f / "
            "P99 %.1f / P99.9 %.1f us; + from its return to the client's stamp: P50 %.1f "
            "/ P99 %.1f / P99.9 %.1f us; %zu of %zu events written in one call)\n",
            transfer.p50_us, transfer.p99_us, transfer.p999_us, client_part.p50_us,
            client_part.p99_us, client_part.p999_us, client_part.count, cpp_delay.count);
        std::printf("(llmcap client thread per token event: %.2f us CPU (%.2f user, %.2f system), "
                    "%.3f heap allocations; %.2f events per read)\n",
                    cpu_us_per_event, user_us_per_event, system_us_per_event, allocs_per_event,
                    events_per_read);
    }
    if (!py_paced.empty())
        std::printf("(aiohttp: %.0f delay samples; failed requests: hold %.0f, paced %.0f, "
                    "saturate %.0f)\n",
                    num(py_paced, "delay_ns.count"), num(py_hold, "failed"),
                    num(py_paced, "failed"), num(py_sat, "failed"));

    const bool met = cpp_rate >= 1e6 && cpp_held == c.held && cpp_delay.p99_us < 100 &&
                     cpp_mem_per_stream < 64 * 1024 &&
                     cpp_held_failed + cpp_paced_failed + cpp_sat_failed == 0;
    if (c.only.empty())
        std::printf("targets (>= 1,000,000 events/s, all streams held, P99 < 100 us, < 64 KiB "
                    "per stream, no failures): %s\n",
                    met ? "met" : "NOT met");
    if (cpp_held_failed + cpp_paced_failed + cpp_sat_failed > 0)
        rc = 1;
    return rc;
}
