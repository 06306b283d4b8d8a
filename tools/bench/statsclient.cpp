// SPDX-License-Identifier: MIT
#include "statsclient.h"

#include "epollloop.h"
#include "httpresponsereader.h"

#include <QJsonDocument>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace rtlab::bench {

namespace {
// Waits for events on fd until the deadline (monotonic µs); false on timeout or error.
bool waitFor(int fd, short events, int64_t deadlineUs)
{
    for (;;) {
        const int64_t left = deadlineUs - monotonicUs();
        if (left <= 0)
            return false;
        pollfd p { fd, events, 0 };
        const int n = ::poll(&p, 1, int(left / 1000) + 1);
        if (n > 0)
            return true;
        if (n < 0 && errno != EINTR)
            return false;
    }
}

// A connected loopback socket with request sent, or -1 with the reason.
int connectAndSend(uint16_t port, const std::string &request, int64_t deadline, std::string *error)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error = std::string("socket: ") + std::strerror(errno);
        return -1;
    }
    const auto fail = [&](const std::string &why) {
        ::close(fd);
        *error = why;
        return -1;
    };
    sockaddr_in addr {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 && errno != EINPROGRESS)
        return fail(std::string("connect: ") + std::strerror(errno));
    if (!waitFor(fd, POLLOUT, deadline))
        return fail("connect timed out");
    int soError = 0;
    socklen_t len = sizeof soError;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len);
    if (soError != 0)
        return fail(std::string("connect: ") + std::strerror(soError));
    size_t sent = 0;
    while (sent < request.size()) {
        const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += size_t(n);
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!waitFor(fd, POLLOUT, deadline))
                return fail("send timed out");
        } else {
            return fail(std::string("send: ") + std::strerror(errno));
        }
    }
    return fd;
}
} // namespace

bool StatsClient::getText(const Endpoint &endpoint, int timeoutMs, std::string *body, std::string *error)
{
    const int64_t deadline = monotonicUs() + int64_t(timeoutMs) * 1000;
    const int fd = connectAndSend(endpoint.port,
                                  "GET " + endpoint.target + " HTTP/1.1\r\nHost: " + endpoint.host
                                          + "\r\nConnection: close\r\n\r\n",
                                  deadline, error);
    if (fd < 0)
        return false;
    const auto fail = [&](const std::string &why) {
        ::close(fd);
        *error = why;
        return false;
    };
    HttpResponseReader reader;
    body->clear();
    char buffer[16384];
    while (reader.state() != HttpResponseReader::State::Done) {
        if (!waitFor(fd, POLLIN, deadline))
            return fail("no answer in time");
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0) {
            // The end of a body delimited by the close.
            if (reader.state() == HttpResponseReader::State::Body)
                break;
            return fail("connection closed before the answer");
        }
        reader.feed(buffer, size_t(n), body);
        if (reader.state() == HttpResponseReader::State::Error)
            return fail("malformed answer");
        if (body->size() > MaxBodyBytes)
            return fail("answer too large");
    }
    ::close(fd);
    if (reader.status() != 200) {
        *error = "status " + std::to_string(reader.status());
        return false;
    }
    return true;
}

bool StatsClient::get(const Endpoint &endpoint, int timeoutMs, QJsonObject *out, std::string *error)
{
    std::string body;
    if (!getText(endpoint, timeoutMs, &body, error))
        return false;
    QJsonParseError parseError {};
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray(body.data(), qsizetype(body.size())), &parseError);
    if (!doc.isObject()) {
        *error = "not a JSON object: " + parseError.errorString().toStdString();
        return false;
    }
    *out = doc.object();
    return true;
}

bool StatsClient::redisCommandStats(uint16_t port, int timeoutMs, std::map<std::string, uint64_t> *calls,
                                    std::string *error)
{
    // An inline command; the answer is one bulk string: "$<length>\r\n" then lines
    // "used_cpu_sys:1.23", "cmdstat_xadd:calls=12,usec=…" (or "-ERR …", "-NOAUTH …").
    const int64_t deadline = monotonicUs() + int64_t(timeoutMs) * 1000;
    const int fd = connectAndSend(port, "INFO cpu commandstats\r\n", deadline, error);
    if (fd < 0)
        return false;
    std::string in;
    size_t need = 0; // the whole answer's size, once its length line is read
    char buffer[16384];
    while (need == 0 || in.size() < need) {
        if (!waitFor(fd, POLLIN, deadline)) {
            ::close(fd);
            *error = "no answer from Redis in time";
            return false;
        }
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0 || in.size() > MaxBodyBytes) {
            ::close(fd);
            *error = n <= 0 ? "Redis closed the connection" : "answer too large";
            return false;
        }
        in.append(buffer, size_t(n));
        const size_t eol = in.find("\r\n");
        if (need == 0 && eol != std::string::npos) {
            if (in[0] != '$') {
                ::close(fd);
                *error = "Redis: " + in.substr(0, eol);
                return false;
            }
            need = eol + 2 + size_t(std::strtoull(in.c_str() + 1, nullptr, 10)) + 2;
        }
    }
    ::close(fd);
    calls->clear();
    // Redis's own CPU (its main thread and the rest), in µs, under a name no command has.
    for (const char *field : { "used_cpu_sys:", "used_cpu_user:" })
        if (const size_t at = in.find(field); at != std::string::npos)
            (*calls)[CpuKey] += uint64_t(std::strtod(in.c_str() + at + std::strlen(field), nullptr) * 1e6);
    size_t pos = 0;
    while ((pos = in.find("cmdstat_", pos)) != std::string::npos) {
        const size_t colon = in.find(':', pos);
        const size_t value = in.find("calls=", pos);
        if (colon == std::string::npos || value == std::string::npos)
            break;
        (*calls)[in.substr(pos + 8, colon - pos - 8)] = std::strtoull(in.c_str() + value + 6, nullptr, 10);
        pos = colon;
    }
    return true;
}

} // namespace rtlab::bench
