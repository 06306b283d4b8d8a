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
} // namespace

bool StatsClient::getText(const Endpoint &endpoint, int timeoutMs, std::string *body, std::string *error)
{
    const int64_t deadline = monotonicUs() + int64_t(timeoutMs) * 1000;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error = std::string("socket: ") + std::strerror(errno);
        return false;
    }
    const auto fail = [&](const std::string &why) {
        ::close(fd);
        *error = why;
        return false;
    };
    sockaddr_in addr {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(endpoint.port);
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
    const std::string request =
            "GET " + endpoint.target + " HTTP/1.1\r\nHost: " + endpoint.host + "\r\nConnection: close\r\n\r\n";
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

} // namespace rtlab::bench
