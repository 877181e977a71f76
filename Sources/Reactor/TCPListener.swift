import CLinux
import Glibc

/// A listening socket. `bind` makes the fd (on any thread); `TCPListener` accepts from it
/// on one loop. With SO_REUSEPORT every loop binds its own socket to the same port and the
/// kernel spreads connections across them.
public final class TCPListener: EventHandler {
    public let fd: Int32
    public unowned let loop: EventLoop
    private let onAccept: (TCPConnection) -> Void
    private var paused = false
    /// Accepted connections speak TLS with this context.
    private let tls: TLSContext?

    /// A bound, listening, non-blocking socket. Returns the fd and the port it got (useful with port 0).
    public static func bind(host: String, port: Int, backlog: Int32 = 4096) throws(SystemError) -> (fd: Int32, port: Int) {
        var address = try SocketAddress.make(host: host, port: port)
        let fd = socket(Int32(address.ss_family), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        let length = SocketAddress.length(of: address)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) }
        }
        guard bound == 0 else {
            let error = SystemError("bind(\(host):\(port))")
            Glibc.close(fd)
            throw error
        }
        guard listen(fd, backlog) == 0 else {
            let error = SystemError("listen")
            Glibc.close(fd)
            throw error
        }
        var actual = sockaddr_storage()
        var actualLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &actualLength) }
        }
        let boundPort = withUnsafeBytes(of: actual) { raw -> Int in
            actual.ss_family == sa_family_t(AF_INET6)
                ? Int(UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port))
                : Int(UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port))
        }
        return (fd, boundPort)
    }

    /// Fails if another socket is listening on the port. The hub's own listeners share it
    /// with SO_REUSEPORT, which would also let a second hub on the same port start and the
    /// kernel split connections between the two; a probe without SO_REUSEPORT cannot bind
    /// while any listener holds the port.
    public static func ensureFree(host: String, port: Int) throws(SystemError) {
        var address = try SocketAddress.make(host: host, port: port)
        let fd = socket(Int32(address.ss_family), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        defer { Glibc.close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))  // TIME_WAIT is not "in use"
        let length = SocketAddress.length(of: address)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) }
        }
        guard bound == 0 else { throw SystemError("bind(\(host):\(port))") }
    }

    /// Starts accepting on `loop`; each new connection is handed to `onAccept`, which
    /// must set its delegate.
    public init(fd: Int32, loop: EventLoop, tls: TLSContext? = nil, onAccept: @escaping (TCPConnection) -> Void) throws(SystemError) {
        self.tls = tls
        self.fd = fd
        self.loop = loop
        self.onAccept = onAccept
        try loop.register(fd: fd, events: UInt32(EPOLLIN.rawValue), handler: self)
    }

    public func handleEvents(_ events: UInt32) {
        // Accept a bounded batch per event so one loop turn stays short.
        for _ in 0..<128 {
            let client = clinux_accept4(fd)
            if client < 0 {
                let err = clinux_errno()
                if err == EMFILE || err == ENFILE {
                    // Out of descriptors: stop accepting for a moment instead of spinning.
                    pause(forNanoseconds: 100_000_000)
                }
                return  // EAGAIN, ECONNABORTED, EINTR: nothing more now
            }
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let connection = TCPConnection(fd: client, loop: loop)
            if let tls {
                guard let session = TLSSession(context: tls) else {
                    Glibc.close(client)
                    continue
                }
                connection.tls = session
            }
            do {
                try loop.register(fd: client, events: UInt32(EPOLLIN.rawValue), handler: connection)
            } catch {
                Glibc.close(client)
                continue
            }
            loop.stats.connectionsAccepted.bump()
            loop.stats.connectionsOpen.bump()
            onAccept(connection)
        }
    }

    private func pause(forNanoseconds delay: UInt64) {
        guard !paused else { return }
        paused = true
        loop.modify(fd: fd, events: 0)
        loop.schedule(afterNanoseconds: delay) { [weak self] in
            guard let self, self.paused else { return }
            self.paused = false
            self.loop.modify(fd: self.fd, events: UInt32(EPOLLIN.rawValue))
        }
    }

    /// Stops accepting and closes the socket.
    public func close() {
        loop.deregister(fd: fd)
        Glibc.close(fd)
    }
}
