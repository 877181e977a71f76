import CLinux
import Glibc

/// What a connection tells its owner (the server's per-connection protocol handler).
public protocol TCPConnectionDelegate: AnyObject {
    /// Bytes read from the socket. Valid only during the call.
    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer)
    /// The connection is closed (by either side); no more calls follow.
    func connectionClosed(_ connection: TCPConnection)
    /// Everything queued has been written (called only after `notifyWhenDrained()`).
    func connectionDrained(_ connection: TCPConnection)
}

extension TCPConnectionDelegate {
    public func connectionDrained(_ connection: TCPConnection) {}
}

/// Why a connection ended badly.
/// Indirect: a connection that never fails (nearly all) holds one word for it, not a String.
public indirect enum ConnectionFailure: Equatable, Sendable {
    case connect(String)
    case tls(String)
}

/// A non-blocking TCP connection on an event loop, with a write queue.
///
/// Writes are queued and written once per loop turn with one gathered `sendmsg`, so N
/// messages to one socket in a turn cost one system call. `EPOLLOUT` is armed only while
/// bytes wait for the kernel. The queue's size is visible (`queuedBytes`) so the owner
/// can apply its slow-consumer policy.
public final class TCPConnection: EventHandler {
    // Memory per idle connection is a benchmark target (BENCHMARKS.md): the fields are
    // ordered so that none leaves a padding hole, the flags come last, and an idle
    // connection holds no queue storage.

    /// The loop outlives every connection registered with it; unowned(unsafe) spares a
    /// reference count check on each of the many accesses per delivery.
    public unowned(unsafe) let loop: EventLoop
    public var delegate: TCPConnectionDelegate?

    var queue: [OutboundBytes] = []
    /// Set on connections accepted by a TLS listener.
    var tls: TLSSession?
    /// Bytes of `queue[queueHead]` already written.
    var headOffset = 0
    public internal(set) var queuedBytes = 0
    /// Why the connection ended, when it was not an orderly close: a refused connect, a
    /// failed certificate check. Set before `connectionClosed`.
    public private(set) var failure: ConnectionFailure?
    var queueHead: Int32 = 0
    /// Buffers before this index were promised (a handshake answer): never discarded.
    private var promisedEnd: Int32 = 0
    public let fd: Int32
    private var readingPaused = false
    private var drainWanted = false
    private var flushScheduled = false
    private var writeArmed = false
    var closeWhenFlushed = false
    private var halfClosed = false
    public private(set) var isClosed = false
    private var receivedAnything = false
    /// An outgoing connection whose `connect` has not completed yet.
    var connecting = false

    init(fd: Int32, loop: EventLoop) {
        self.fd = fd
        self.loop = loop
    }

    /// Opens an outgoing connection without blocking: the connect completes on the loop,
    /// and what is sent before it does waits in the queue. With `tls`, the handshake
    /// starts at once and verifies the peer as `host`; plaintext waits for it.
    public static func connect(to address: sockaddr_storage, on loop: EventLoop,
                               tls: TLSClientContext? = nil, host: String = "") throws(SystemError) -> TCPConnection {
        let fd = socket(Int32(address.ss_family), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var target = address
        let rc = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, SocketAddress.length(of: address)) }
        }
        if rc != 0 && clinux_errno() != EINPROGRESS {
            let error = SystemError("connect", errno: clinux_errno())
            Glibc.close(fd)
            throw error
        }
        let connection = TCPConnection(fd: fd, loop: loop)
        if let tls {
            guard let session = TLSSession(client: tls, host: host) else {
                Glibc.close(fd)
                throw SystemError("TLS session for \(host)", errno: EINVAL)
            }
            connection.tls = session
            session.startHandshake()
        }
        connection.connecting = true
        connection.writeArmed = true  // EPOLLOUT reports the end of the connect
        do {
            try loop.register(fd: fd, events: UInt32(EPOLLIN.rawValue | EPOLLOUT.rawValue), handler: connection)
        } catch {
            Glibc.close(fd)
            throw error
        }
        loop.stats.connectionsOpen.bump()
        connection.drainTLS()
        return connection
    }

    /// Ends the connection as failed: `failure` tells why.
    func fail(_ reason: ConnectionFailure) {
        guard !isClosed else { return }
        if failure == nil { failure = reason }
        close()
    }

    /// True while a TLS handshake is under way (the owner times it out).
    public var isHandshaking: Bool { tls.map { !$0.handshakeDone } ?? false }

    /// Queues bytes; they go out at the end of this loop turn. On a TLS connection they
    /// are encrypted first (a shared broadcast frame is encrypted once per connection).
    public func send(_ bytes: OutboundBytes) {
        guard !isClosed, !closeWhenFlushed || !halfClosed else { return }
        if let tls {
            bytes.withUnsafeBytes { tls.write($0) }
            drainTLS()
            return
        }
        enqueue(bytes)
    }

    private func drainTLS() {
        while let ciphertext = tls?.takeOutgoing() { enqueue(ciphertext) }
    }

    private func enqueue(_ bytes: OutboundBytes) {
        queue.append(bytes)
        queuedBytes += bytes.count
        scheduleFlush()
    }

    public func send(_ bytes: [UInt8]) {
        send(OutboundBytes(bytes))
    }

    /// What is queued now must reach the peer even if `discardUnsent` is called later
    /// (a WebSocket handshake's 101: a close frame must never come before it).
    public func markQueuedAsPromised() {
        promisedEnd = Int32(queue.count)
    }

    /// Drops every queued buffer not yet started and not promised (a partly written one
    /// stays, so the byte stream is not cut mid-frame). For slow consumers: what they
    /// missed is gone. On TLS nothing is dropped: the records are a sealed sequence, and
    /// cutting one out would break the stream; what follows waits behind them.
    public func discardUnsent() {
        guard tls == nil else { return }
        let firstDroppable = max(Int(queueHead) + (headOffset > 0 ? 1 : 0), Int(promisedEnd))
        guard firstDroppable < queue.count else { return }
        for buffer in queue[firstDroppable...] { queuedBytes -= buffer.count }
        queue.removeSubrange(firstDroppable...)
    }

    /// Stops reading the socket (the peer's further bytes wait in the kernel, and TCP flow
    /// control slows the peer): for a client that sends requests but does not read answers.
    public func pauseReading() {
        guard !readingPaused, !isClosed else { return }
        readingPaused = true
        updateEvents()
    }

    public func resumeReading() {
        guard readingPaused, !isClosed else { return }
        readingPaused = false
        updateEvents()
    }

    /// The delegate's `connectionDrained` is called once the queue is empty (at once if it is).
    public func notifyWhenDrained() {
        drainWanted = true
        if queuedBytes == 0 { scheduleFlush() }
    }

    /// Writes what is queued, then shuts down the write side and closes once the peer
    /// has seen it. The owner should also arm a deadline that calls `close()`.
    public func closeAfterFlush() {
        guard !isClosed else { return }
        if let tls, !closeWhenFlushed {
            tls.shutdown()
            drainTLS()
        }
        closeWhenFlushed = true
        scheduleFlush()
    }

    /// Writes what the socket takes of `bytes` now, then closes: a refusal, which the peer
    /// need not read for the descriptor to be given back.
    public func sendNowAndClose(_ bytes: OutboundBytes) {
        send(bytes)
        flushNow()
        close()
    }

    /// Closes now; queued bytes are dropped.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        loop.deregister(fd: fd)
        Glibc.close(fd)
        queue = []
        queuedBytes = 0
        promisedEnd = 0
        loop.stats.connectionsOpen.bump(-1)
        let delegate = self.delegate
        self.delegate = nil  // break the cycle with the owner
        delegate?.connectionClosed(self)
    }

    /// The peer's address as `ip:port`.
    public var peerAddress: String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard ok == 0 else { return "unknown" }
        return SocketAddress.describe(storage)
    }

    // MARK: events

    public func handleEvents(_ events: UInt32) {
        if connecting {
            guard events & UInt32(EPOLLOUT.rawValue | EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 else { return }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error != 0 {
                fail(.connect(String(cString: strerror(error))))
                return
            }
            connecting = false
            flushNow()
            if isClosed { return }
        }
        if events & UInt32(EPOLLIN.rawValue) != 0 || events & UInt32(EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
            readOnce()
        }
        if !isClosed && events & UInt32(EPOLLOUT.rawValue) != 0 {
            flushNow()
        }
    }

    private func readOnce() {
        let buffer = loop.readBuffer
        let n = recv(fd, buffer.baseAddress, buffer.count, 0)
        if n > 0 {
            loop.stats.bytesIn.bump(n)
            if halfClosed { return }  // closing: what the peer still sends is discarded
            let bytes = UnsafeRawBufferPointer(start: buffer.baseAddress, count: n)
            if let tls {
                receiveTLS(bytes, tls)
            } else {
                delegate?.connection(self, received: bytes)
            }
        } else if n == 0 {
            close()  // orderly EOF from the peer
        } else {
            let err = clinux_errno()
            if err == EAGAIN || err == EWOULDBLOCK || err == EINTR { return }
            close()  // ECONNRESET and the like
        }
    }

    private func receiveTLS(_ ciphertext: UnsafeRawBufferPointer, _ tls: TLSSession) {
        if !receivedAnything && !tls.isClient {
            receivedAnything = true
            // A TLS connection starts with a handshake record (0x16). Anything else is most
            // likely plaintext sent to the TLS port: the application's answer, then close.
            if ciphertext.first != 0x16 {
                self.tls = nil
                if !tls.plaintextAnswer.isEmpty { enqueue(OutboundBytes(tls.plaintextAnswer)) }
                closeAfterFlush()
                return
            }
        }
        let result = tls.receive(ciphertext, plaintextBuffer: loop.tlsPlaintextBuffer) { plaintext in
            delegate?.connection(self, received: plaintext)
        }
        drainTLS()
        switch result {
        case .ok: break
        case .closed: closeAfterFlush()
        case .failed(let reason):
            // A failed handshake or a bad record: the alert OpenSSL queued goes out, then we close.
            if failure == nil { failure = .tls(reason) }
            if tls.isClient {
                // Our own outgoing request: nothing to wait for, the owner wants the reason now.
                flushNow()
                close()
            } else {
                closeAfterFlush()
            }
        }
    }

    private func scheduleFlush() {
        if !flushScheduled && !writeArmed {
            flushScheduled = true
            loop.pendingFlush.append(self)
        }
    }

    /// One gathered write of the queue. Partial writes keep their offset; EAGAIN arms EPOLLOUT.
    func flushNow() {
        flushScheduled = false
        guard !isClosed, !connecting else { return }
        while Int(queueHead) < queue.count {
            let iov = loop.iovecs
            var count = 0
            var index = Int(queueHead)
            while index < queue.count && count < EventLoop.maxIovecs {
                let buffer = queue[index]
                let skip = index == Int(queueHead) ? headOffset : 0
                iov[count] = iovec(iov_base: buffer.base + skip, iov_len: buffer.count - skip)
                count += 1
                index += 1
            }
            let written: Int
            switch sendScratch(count) {
            case .wrote(let n): written = n
            case .full: return armWrite(true)
            case .gone: return close()
            }
            queuedBytes -= written
            var left = written
            while left > 0 {
                let remaining = queue[Int(queueHead)].count - headOffset
                if left >= remaining {
                    left -= remaining
                    headOffset = 0
                    queueHead += 1
                } else {
                    headOffset += left
                    left = 0
                }
            }
        }
        // Everything written. An idle connection holds no queue storage: a room's frames
        // to a connection that keeps up never touch the queue (`write(gathering:)`), so
        // what allocates again is a socket's own reply.
        queue = []
        queueHead = 0
        promisedEnd = 0
        armWrite(false)
        if drainWanted {
            drainWanted = false
            delegate?.connectionDrained(self)
            if isClosed { return }
        }
        if closeWhenFlushed && !halfClosed {
            // §7.1.1 of RFC 6455 and TCP alike: shut down our side so the peer reads
            // everything, then close when it answers with EOF (or the owner's deadline).
            halfClosed = true
            shutdown(fd, Int32(SHUT_WR))
        }
    }

    func armWrite(_ on: Bool) {
        guard on != writeArmed else { return }
        writeArmed = on
        updateEvents()
    }

    private func updateEvents() {
        let events = (readingPaused ? 0 : UInt32(EPOLLIN.rawValue)) | (writeArmed ? UInt32(EPOLLOUT.rawValue) : 0)
        loop.modify(fd: fd, events: events)
    }
}
