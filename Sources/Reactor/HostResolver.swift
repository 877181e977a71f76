import CLinux
import Glibc

/// Turns a host name into an address without blocking the loop. `getaddrinfo` blocks (it
/// may wait seconds for DNS), so a name that is not a literal is looked up on a short-lived
/// thread of its own and the answer comes back to the loop as a task. Outgoing requests are
/// rare (alert webhooks), so a thread per lookup costs nothing that matters.
public enum HostResolver {
    public typealias Completion = (Result<sockaddr_storage, SystemError>) -> Void

    public static func resolve(host: String, port: Int, on loop: EventLoop, _ completion: @escaping Completion) {
        if let literal = try? SocketAddress.make(host: host, port: port) {
            loop.atEndOfTurn { completion(.success(literal)) }
            return
        }
        // The completion is loop-confined: it rides to the thread and back untouched and is
        // called only on the loop, which is what makes the unchecked transfer sound.
        let lookup = Lookup(host: host, port: port, handle: loop.handle, completion: completion)
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let lookup = Unmanaged<Lookup>.fromOpaque(raw!).takeRetainedValue()
            let result = lookup.run()
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
