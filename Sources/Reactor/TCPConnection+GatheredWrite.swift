import CLinux
import Glibc

/// A room's frames written to one connection in one gathered `sendmsg`, straight from the
/// shared buffers (the fan-out's hot path; BENCHMARKS.md counts its instructions).
extension TCPConnection {
    /// Frames for this connection at the end of a turn (a room's messages of that turn).
    /// When nothing is queued ahead of them they are written at once with one gathered
    /// `sendmsg`, straight from the shared buffers: a subscriber that keeps up costs no
    /// queue entry, no reference count and no flush pass. What the kernel does not take is
    /// queued (the first frame with its offset) and EPOLLOUT armed. Otherwise (bytes
    /// waiting, TLS, a connect or a close under way) they are queued as `send` would.
    public func write(gathering frames: UnsafeBufferPointer<Unmanaged<OutboundBytes>>) {
        guard tls == nil, !connecting, !closeWhenFlushed, !isClosed, Int(queueHead) == queue.count else {
            for frame in frames { send(frame.takeUnretainedValue()) }
            return
        }
        var start = 0
        while start < frames.count {
            let iov = loop.iovecs
            let count = min(frames.count - start, EventLoop.maxIovecs)
            var total = 0
            for k in 0..<count {
                let frame = frames[start + k].takeUnretainedValue()
                iov[k] = iovec(iov_base: frame.base, iov_len: frame.count)
                total += frame.count
            }
            let written: Int
            switch sendScratch(count) {
            case .wrote(let n): written = n
            case .full: return queueUnwritten(frames, from: start, offset: 0)
            case .gone: return close()
            }
            if written == total {
                start += count
                continue
            }
            var index = start
            var left = written
            while left >= frames[index].takeUnretainedValue().count {
                left -= frames[index].takeUnretainedValue().count
                index += 1
            }
            queueUnwritten(frames, from: index, offset: left)
            return
        }
    }

    enum ScratchWrite {
        case wrote(Int)
        /// The kernel's buffer is full (EAGAIN): wait for EPOLLOUT.
        case full
        /// EPIPE, ECONNRESET and the like: the peer is gone.
        case gone
    }

    /// One gathered `sendmsg` of the first `count` iovecs in the loop's scratch.
    func sendScratch(_ count: Int) -> ScratchWrite {
        var message = msghdr()
        message.msg_iov = loop.iovecs
        message.msg_iovlen = count
        while true {
            let written = sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
            if written >= 0 {
                loop.stats.bytesOut.bump(written)
                return .wrote(written)
            }
            let err = clinux_errno()
            if err == EINTR { continue }
            return err == EAGAIN || err == EWOULDBLOCK ? .full : .gone
        }
    }

    /// The kernel's buffer is full: what it did not take waits in the queue for EPOLLOUT.
    func queueUnwritten(_ frames: UnsafeBufferPointer<Unmanaged<OutboundBytes>>, from index: Int, offset: Int) {
        for frame in frames[index...] {
            let bytes = frame.takeUnretainedValue()
            queue.append(bytes)
            queuedBytes += bytes.count
        }
        headOffset = offset
        queuedBytes -= offset
        armWrite(true)
    }
}
