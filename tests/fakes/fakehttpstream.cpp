// SPDX-License-Identifier: MIT
#include "fakehttpstream.h"

namespace rtlab {

void FakeHttpStream::respond(const HttpResponse &response)
{
    // As the real cores do: the exchange is over, so the observer is released.
    m_response = response;
    m_observer = nullptr;
}

void FakeHttpStream::beginStream(const HttpResponse &head)
{
    m_head = head;
}

void FakeHttpStream::write(const QByteArray &bytes)
{
    m_writes.append(bytes);
}

void FakeHttpStream::drain()
{
    m_pendingBytes = 0;
    if (m_observer)
        m_observer->streamDrained();
}

void FakeHttpStream::close()
{
    if (Observer *observer = std::exchange(m_observer, nullptr))
        observer->streamClosed();
}

} // namespace rtlab
