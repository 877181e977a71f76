import CLinux
import Glibc

/// An IPv4 or IPv6 address to bind.
public enum SocketAddress {
    /// Parses a numeric host (`127.0.0.1`, `0.0.0.0`, `::1`) or `localhost`.
    static func make(host: String, port: Int) throws(SystemError) -> sockaddr_storage {
        var storage = sockaddr_storage()
        let name = host == "localhost" ? "127.0.0.1" : host
        if name.contains(":") {
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET6, name, &addr.sin6_addr) == 1 else { throw SystemError("inet_pton(\(host))", errno: EINVAL) }
            withUnsafeBytes(of: addr) { source in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: source) } }
        } else {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET, name, &addr.sin_addr) == 1 else { throw SystemError("inet_pton(\(host))", errno: EINVAL) }
            withUnsafeBytes(of: addr) { source in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: source) } }
        }
        return storage
    }

    static func length(of storage: sockaddr_storage) -> socklen_t {
        socklen_t(storage.ss_family == sa_family_t(AF_INET6) ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
    }

    static func describe(_ storage: sockaddr_storage) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = storage.ss_family
        return withUnsafeBytes(of: storage) { raw -> String in
            if family == sa_family_t(AF_INET6) {
                let addr = raw.load(as: sockaddr_in6.self)
                var a = addr.sin6_addr
                inet_ntop(AF_INET6, &a, &text, socklen_t(text.count))
                return "[\(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))]:\(UInt16(bigEndian: addr.sin6_port))"
            }
            let addr = raw.load(as: sockaddr_in.self)
            var a = addr.sin_addr
            inet_ntop(AF_INET, &a, &text, socklen_t(text.count))
            return "\(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)):\(UInt16(bigEndian: addr.sin_port))"
        }
    }
}
