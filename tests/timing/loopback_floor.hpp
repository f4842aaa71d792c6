#pragma once
// What the machine alone takes to deliver one message on each of `streams` loopback TCP
// connections at once: the floor under any client-vs-server timing bound on that machine.

#include "../emulator/stream_accuracy.hpp" // separate_cpus, quantile

#include <llmcap/core/clock.hpp>

#if defined(__linux__)
#    include <netinet/in.h>  // sockaddr_in, IPPROTO_TCP
#    include <netinet/tcp.h> // TCP_NODELAY
#    include <sys/epoll.h>   // epoll_create1, epoll_ctl, epoll_wait
#    include <sys/socket.h>  // socket, bind, listen, accept, connect, send, recv
#    include <unistd.h>      // close
#endif

#include <atomic>  // atomic
#include <chrono>  // microseconds
#include <cstddef> // size_t
#include <string>  // string
#include <thread>  // thread
#include <vector>  // vector

namespace llmcap_test {

/// The delivery delay of `rounds` rounds of one `bytes`-byte message per connection on
/// `streams` loopback connections.
struct loopback_floor {
    double p50_ms = 0.0;
    double p99_ms = 0.0;
    bool measured = false; // false where the probe cannot run (not Linux, no sockets)
};

/**
 * Mirrors the timing test's traffic with nothing but the kernel: a writer thread on one CPU
 * sends, every `period`, one message on each of `streams` TCP_NODELAY loopback connections in
 * turn (as the emulator writes a step's tokens), and a reader thread on the other CPU waits in
 * epoll and stamps each message when its recv returns (as the client stamps an event). The
 * delay of a message is its stamp minus the moment its round began; the P99 over every
 * message is what a perfect server and a perfect client would still see on this machine.
 */
inline loopback_floor measure_loopback_floor(std::size_t streams, std::size_t rounds,
                                             std::size_t bytes, std::chrono::microseconds period) {
    loopback_floor out;
#if defined(__linux__)
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0)
        return out;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    // NOLINTBEGIN(cppcoreguidelines-pro-type-reinterpret-cast): the BSD socket interface
    auto* sa = reinterpret_cast<sockaddr*>(&addr);
    if (::bind(listener, sa, sizeof addr) != 0 || ::listen(listener, 1024) != 0 ||
        ::getsockname(listener, sa, &len) != 0) {
        ::close(listener);
        return out;
    }
    std::vector<int> writers;
    std::vector<int> readers;
    bool ok = true;
    for (std::size_t i = 0; i < streams && ok; ++i) {
        const int r = ::socket(AF_INET, SOCK_STREAM, 0);
        ok = r >= 0 && ::connect(r, sa, sizeof addr) == 0;
        if (r >= 0)
            readers.push_back(r);
        const int w = ok ? ::accept(listener, nullptr, nullptr) : -1;
        ok = ok && w >= 0;
        if (w >= 0) {
            writers.push_back(w);
            const int one = 1;
            ::setsockopt(w, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
    }
    // NOLINTEND(cppcoreguidelines-pro-type-reinterpret-cast)
    ::close(listener);
    const auto close_all = [&] {
        for (const int fd : writers)
            ::close(fd);
        for (const int fd : readers)
            ::close(fd);
    };
    if (!ok) {
        close_all();
        return out;
    }

    std::vector<llmcap::time_point> round_start(rounds);
    std::atomic<std::size_t> rounds_started{0};
    std::vector<double> delay_ms;
    delay_ms.reserve(streams * rounds);
    separate_cpus cpus;
    std::atomic<bool> reader_ready{false};
    std::thread reader([&] {
        cpus.pin(1);
        const int ep = ::epoll_create1(0);
        for (std::size_t i = 0; i < streams; ++i) {
            epoll_event e{};
            e.events = EPOLLIN;
            e.data.u64 = i;
            ::epoll_ctl(ep, EPOLL_CTL_ADD, readers[i], &e);
        }
        reader_ready = true;
        std::vector<std::size_t> received(streams, 0);
        std::vector<char> buffer(bytes * rounds + 1);
        std::vector<epoll_event> events(streams);
        std::size_t total = 0;
        while (total < streams * rounds) {
            const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 5000);
            if (n <= 0)
                break; // the writer stalled for seconds: give up with what was seen
            for (int k = 0; k < n; ++k) {
                const std::size_t i = events[static_cast<std::size_t>(k)].data.u64;
                const ssize_t got = ::recv(readers[i], buffer.data(), buffer.size(), 0);
                const llmcap::time_point now = llmcap::stamp();
                if (got <= 0)
                    continue;
                // Whole messages only; a message split across reads counts at its last byte.
                const std::size_t before = received[i];
                received[i] += static_cast<std::size_t>(got);
                (void)rounds_started.load(std::memory_order_acquire); // round_start[m] is set
                for (std::size_t m = before / bytes; m < received[i] / bytes; ++m) {
                    delay_ms.push_back(llmcap::to_milliseconds(now - round_start[m]));
                    ++total;
                }
            }
        }
        ::close(ep);
    });
    cpus.pin(0);
    while (!reader_ready)
        std::this_thread::yield();
    const std::string message(bytes, 'x');
    llmcap::time_point next = llmcap::stamp() + period;
    for (std::size_t k = 0; k < rounds; ++k) {
        std::this_thread::sleep_until(next);
        next += period;
        round_start[k] = llmcap::stamp();
        rounds_started.store(k + 1, std::memory_order_release);
        for (const int w : writers)
            (void)::send(w, message.data(), message.size(), MSG_NOSIGNAL);
    }
    reader.join();
    close_all();
    if (delay_ms.size() == streams * rounds) {
        out.p50_ms = quantile(delay_ms, 0.50);
        out.p99_ms = quantile(delay_ms, 0.99);
        out.measured = true;
    }
#else
    (void)streams;
    (void)rounds;
    (void)bytes;
    (void)period;
#endif
    return out;
}

} // namespace llmcap_test
