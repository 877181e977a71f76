import CLinux
import Glibc
import Synchronization

/// Turns a host name into an address without blocking the loop. `getaddrinfo` blocks (it
/// may wait seconds for DNS), so a name that is not a literal is looked up on a short-lived
/// thread of its own and the answer comes back to the loop as a task. An address found is
/// kept for `keptFor` (getaddrinfo does not say the record's TTL; half a minute is below the
/// usual ones): reconciliation asks a provider up to 100 times a second, which would
/// otherwise be a thread and a DNS query per question.
public enum HostResolver {
    public typealias Completion = (Result<sockaddr_storage, SystemError>) -> Void

    static let keptFor: UInt64 = 30_000_000_000
    /// At most this many names kept (a hub talks to a handful of hosts).
    static let maxKept = 64
    private struct Kept: @unchecked Sendable {
        var addresses: [String: (address: sockaddr_storage, until: UInt64)] = [:]
    }
    private static let kept = Mutex(Kept())

    public static func resolve(host: String, port: Int, on loop: EventLoop, _ completion: @escaping Completion) {
        if let literal = try? SocketAddress.make(host: host, port: port) {
            loop.atEndOfTurn { completion(.success(literal)) }
            return
        }
        let key = "\(host):\(port)", now = monotonicNanoseconds()
        if let known = kept.withLock({ $0.addresses[key] }), known.until > now {
            loop.atEndOfTurn { completion(.success(known.address)) }
            return
        }
        // The completion is loop-confined: it rides to the thread and back untouched and is
        // called only on the loop, which is what makes the unchecked transfer sound.
        let lookup = Lookup(host: host, port: port, handle: loop.handle, completion: completion)
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let lookup = Unmanaged<Lookup>.fromOpaque(raw!).takeRetainedValue()
            let result = lookup.run()
            if case .success(let address) = result.result { HostResolver.keep(address, for: "\(lookup.host):\(lookup.port)") }
            lookup.handle.execute { _ in lookup.completion(result.result) }
            return nil
        }, Unmanaged.passRetained(lookup).toOpaque())
        if rc == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged.passUnretained(lookup).release()
            loop.atEndOfTurn { completion(.failure(SystemError("pthread_create", errno: rc))) }
        }
    }

    static func keep(_ address: sockaddr_storage, for key: String) {
        let until = monotonicNanoseconds() + keptFor
        kept.withLock { kept in
            if kept.addresses.count >= maxKept { kept.addresses.removeAll() }
            kept.addresses[key] = (address, until)
        }
    }

    /// Whether an address for the name is kept now (for the tests).
    static func isKept(host: String, port: Int) -> Bool {
        let now = monotonicNanoseconds()
        return kept.withLock { ($0.addresses["\(host):\(port)"]?.until ?? 0) > now }
    }

    private static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    private final class Lookup: @unchecked Sendable {
        let host: String
        let port: Int
        let handle: EventLoopHandle
        let completion: Completion

        init(host: String, port: Int, handle: EventLoopHandle, completion: @escaping Completion) {
            self.host = host
            self.port = port
            self.handle = handle
            self.completion = completion
        }

        struct Outcome: @unchecked Sendable { let result: Result<sockaddr_storage, SystemError> }

        func run() -> Outcome {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            hints.ai_family = AF_UNSPEC
            var list: UnsafeMutablePointer<addrinfo>?
            let rc = getaddrinfo(host, String(port), &hints, &list)
            guard rc == 0, let first = list else {
                let why = rc == 0 ? "no address" : String(cString: gai_strerror(rc))
                return Outcome(result: .failure(SystemError("resolve \(host): \(why)", errno: EHOSTUNREACH)))
            }
            defer { freeaddrinfo(list) }
            // Prefer IPv4: most webhook hosts have it, and a host without IPv6 routing
            // would otherwise wait for a connect timeout.
            var chosen = first
            var cursor: UnsafeMutablePointer<addrinfo>? = first
            while let entry = cursor {
                if entry.pointee.ai_family == AF_INET { chosen = entry; break }
                cursor = entry.pointee.ai_next
            }
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { target in
                target.copyMemory(from: UnsafeRawBufferPointer(start: chosen.pointee.ai_addr, count: Int(chosen.pointee.ai_addrlen)))
            }
            return Outcome(result: .success(storage))
        }
    }
}
