// SPDX-License-Identifier: MIT
// rtlab-bench: a load generator for rtlab-server and its peers (nginx+nchan, Node ws), over one
// epoll set rather than a socket notifier per connection, so the tool is never the bottleneck
// it measures.
#include "benchconfig.h"
#include "benchrunner.h"

#include <QCoreApplication>

#include <csignal>
#include <cstdio>

int main(int argc, char *argv[])
{
    std::signal(SIGPIPE, SIG_IGN);
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("rtlab-bench"));
    QCoreApplication::setApplicationVersion(QStringLiteral(RTLAB_VERSION));
    rtlab::bench::BenchConfig config;
    QString error;
    bool exitNow = false;
    if (!rtlab::bench::BenchConfig::fromArguments(app.arguments(), &config, &error, &exitNow)) {
        std::fprintf(stderr, "rtlab-bench: %s\nTry 'rtlab-bench --help'.\n", qPrintable(error));
        return 2;
    }
    if (exitNow)
        return 0;
    rtlab::bench::BenchRunner runner(std::move(config));
    return runner.run();
}
