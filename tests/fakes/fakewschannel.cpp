// SPDX-License-Identifier: MIT
#include "fakewschannel.h"

namespace rtlab {

void FakeWsChannel::sendTextFrame(const QByteArray &utf8, const QByteArray &frame)
{
    // A core that writes frames itself sends the shared bytes; an empty one would be a hub bug.
    if (!frame.isEmpty())
        ++m_frames;
    m_texts.append(utf8);
}

void FakeWsChannel::receiveText(const QByteArray &utf8)
{
    if (m_observer)
        m_observer->channelTextReceived(utf8);
}

void FakeWsChannel::receivePong()
{
    if (m_observer)
        m_observer->channelPongReceived();
}

void FakeWsChannel::receiveBinary()
{
    if (m_observer)
        m_observer->channelBinaryReceived();
}

void FakeWsChannel::drain()
{
    m_pendingBytes = 0;
    if (m_observer)
        m_observer->channelDrained();
}

void FakeWsChannel::closeFromPeer()
{
    if (Observer *observer = std::exchange(m_observer, nullptr))
        observer->channelClosed();
}

} // namespace rtlab
